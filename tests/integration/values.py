# Self-describing values for the memory and tier tests: each names its key, so a read-back
# proves it belongs to that key. Shared by test_maxmemory.py and test_tier.py.

PATTERN = bytes(range(256)) * 16


def value_of(i, size=1024):
    head = b"value-of-%d:" % i
    start = (i * 7) % 256
    return head + PATTERN[start:start + size - len(head)]


def fill(r, first, count, size=1024, batch=1000):
    """SETs key:first .. key:first+count-1 through redis-py pipelines; every reply must be OK."""
    for start in range(first, first + count, batch):
        p = r.pipeline(transaction=False)
        for i in range(start, min(start + batch, first + count)):
            p.set(b"key:%d" % i, value_of(i, size))
        for reply in p.execute(raise_on_error=False):
            assert reply is True, reply


def read_back(r, first, count, size=1024, batch=1000):
    """Every key present holds exactly its value. Returns how many are present."""
    present = 0
    for start in range(first, first + count, batch):
        ids = list(range(start, min(start + batch, first + count)))
        for i, v in zip(ids, r.mget([b"key:%d" % i for i in ids])):
            if v is not None:
                assert v == value_of(i, size), f"key:{i} holds a wrong value ({v[:24]!r}...)"
                present += 1
    return present


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def sanitized(pid):
    """True when the process runs under AddressSanitizer, whose quarantine and shadow memory
    make RSS say nothing about the program's own use."""
    with open(f"/proc/{pid}/maps") as f:
        return "libasan" in f.read()
