#!/usr/bin/env bash
# growth_latency.sh BUILD_DIR [keys]: GET latency while the keyspace grows, to show whether
# incremental rehashing keeps the tail flat. Starts BUILD_DIR/aegisr-daemon on a free port,
# inserts `keys` new keys (default 10,000,000; 16-byte values) with aegisr-bench --mode put,
# and meanwhile sends GETs of random keys at a fixed low rate on one connection, timing each
# round trip. Prints p50/p99/p99.9/max per one-second window, then the worst window's p99.9
# relative to the median window's p99.9. The daemon and the probe are stopped at the end.
#
# A second, control phase repeats the same SETs over the now existing keys (no growth) so that
# the machine's own noise can be told apart from what growth adds.
#
# Environment: RATE (probe GETs per second, default 2000), PIPELINE (loader pipeline depth,
# default 16), CONNS (loader connections, default 8), CONTROL=0 (skip the control phase),
# DAEMON_ARGS (extra daemon flags); MIMALLOC_LARGE_OS_PAGES=1 reaches the daemon (huge pages).
# Exit status: 0 when the run completed (whatever the latencies: this is a measurement, not a
# test), 1 when the daemon, the loader or the probe failed, 2 on bad usage.
set -euo pipefail
# shellcheck source=perf/lib.sh
source "$(dirname "$0")/lib.sh"

if [[ $# -lt 1 || $# -gt 2 || ! -x "$1/aegisr-daemon" || ! -x "$1/aegisr-bench" ]]; then
  echo "usage: $0 BUILD_DIR [keys]   (BUILD_DIR holds aegisr-daemon and aegisr-bench)" >&2
  exit 2
fi
BUILD=$(cd "$1" && pwd)
KEYS=${2:-10000000}
RATE=${RATE:-2000}
PIPELINE=${PIPELINE:-16}
CONNS=${CONNS:-8}
if ! [[ "$KEYS" =~ ^[1-9][0-9]*$ && "$RATE" =~ ^[1-9][0-9]*$ ]]; then
  echo "keys and RATE must be positive integers" >&2
  exit 2
fi

perf_workdir growth_latency
free_port PORT
# shellcheck disable=SC2086,SC2153  # DAEMON_ARGS is a list of flags; free_port set PORT
start_aegisr daemon "$PORT" "$BUILD/aegisr-daemon" ${DAEMON_ARGS:-}
DAEMON_PID=${PERF_PIDS[-1]}

# The probe: one connection, GET key:%010d of random indexes at RATE per second (open loop on a
# fixed schedule; a reply later than the next slot delays that slot, it is not dropped). Each
# one-second window prints its percentiles and the server's key count. Stops on SIGTERM and
# writes the summary.
cat >"$WORK/probe.py" <<'EOF'
import random, signal, socket, sys, time

port, keys, rate = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)

sock = socket.create_connection(("127.0.0.1", port))
sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
buf = bytearray()

def read_reply():
    # One RESP2 reply of GET/DBSIZE: "$-1", "$n\r\n<n>\r\n", ":n" (or "-ERR ...").
    global buf
    while True:
        i = buf.find(b"\r\n")
        if i >= 0:
            head = bytes(buf[:i])
            if head[:1] == b"$" and head != b"$-1":
                need = i + 2 + int(head[1:]) + 2
                if len(buf) >= need:
                    del buf[:need]
                    return head
            else:
                del buf[:i + 2]
                if head[:1] == b"-":
                    raise RuntimeError("error reply: " + head.decode())
                return head
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed")
        buf += chunk

def dbsize():
    sock.sendall(b"*1\r\n$6\r\nDBSIZE\r\n")
    return int(read_reply()[1:])

def pct(s, p):
    return s[min(len(s) - 1, int(p * len(s)))]

print(f"{'t(s)':>5} {'keys':>10} {'n':>6} {'p50(us)':>8} {'p99(us)':>8} {'p99.9(us)':>9} {'max(us)':>8}",
      flush=True)
interval = 1.0 / rate
rows = []
start = time.perf_counter()
next_send = start
window_end = start + 1.0
samples = []
while not stop:
    now = time.perf_counter()
    if now < next_send:
        time.sleep(next_send - now)
    idx = random.randrange(keys)
    key = b"key:%010d" % idx
    t0 = time.perf_counter_ns()
    sock.sendall(b"*2\r\n$3\r\nGET\r\n$14\r\n" + key + b"\r\n")
    read_reply()
    samples.append((time.perf_counter_ns() - t0) / 1000.0)
    next_send += interval
    if time.perf_counter() >= window_end:
        s = sorted(samples)
        row = (window_end - start, dbsize(), len(s), pct(s, .50), pct(s, .99), pct(s, .999), s[-1])
        rows.append(row)
        print(f"{row[0]:5.0f} {row[1]:10d} {row[2]:6d} {row[3]:8.0f} {row[4]:8.0f} {row[5]:9.0f} {row[6]:8.0f}",
              flush=True)
        samples = []
        window_end += 1.0
        next_send = max(next_send, time.perf_counter())  # no catch-up burst after a slow window

if not rows:
    print("no complete window", flush=True)
    sys.exit(1)
p999 = sorted(r[5] for r in rows)
median = p999[len(p999) // 2]
worst = max(rows, key=lambda r: r[5])
print(f"windows: {len(rows)}; p99.9 median {median:.0f} us, worst {worst[5]:.0f} us "
      f"(t={worst[0]:.0f}s, {worst[1]} keys): worst/median = {worst[5] / median:.2f}; "
      f"max of all windows {max(r[6] for r in rows):.0f} us", flush=True)
EOF

echo "aegisr growth latency: $KEYS keys, 16-byte values, probe $RATE GET/s, daemon port $PORT"
# Large OS pages change the tail while memory grows (docs/perf.md), so say which were used.
echo "MIMALLOC_LARGE_OS_PAGES=${MIMALLOC_LARGE_OS_PAGES:-unset (off)}; transparent huge pages:" \
  "$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo n/a)," \
  "defrag $(cat /sys/kernel/mm/transparent_hugepage/defrag 2>/dev/null || echo n/a)"
loader_rc=0
probe_rc=0
# run_phase LABEL: the probe around one aegisr-bench put run of $KEYS keys.
run_phase() {
  echo "== $1"
  /usr/bin/python3 "$WORK/probe.py" "$PORT" "$KEYS" "$RATE" &
  PROBE_PID=$!
  PERF_PIDS+=("$PROBE_PID")  # stopped by cleanup if the script ends early
  sleep 2  # two windows before the load
  local start_s end_s rc=0
  start_s=$(date +%s.%N)
  timeout 600 "$BUILD/aegisr-bench" -p "$PORT" --mode put -n "$KEYS" --keyspace "$KEYS" -d 16 \
    -c "$CONNS" -P "$PIPELINE" --quiet >"$WORK/loader.txt" 2>&1 || rc=$?
  end_s=$(date +%s.%N)
  sleep 2  # two windows after it
  kill -TERM "$PROBE_PID" 2>/dev/null || true
  wait "$PROBE_PID" || probe_rc=$?
  unset 'PERF_PIDS[-1]'
  if [[ $rc -ne 0 ]]; then
    loader_rc=$rc
    cat "$WORK/loader.txt" >&2
  fi
  echo "loader: $(awk -v a="$start_s" -v b="$end_s" 'BEGIN { printf "%.1f", b - a }') s, exit $rc," \
    "$(grep -E '^SET ' "$WORK/loader.txt" | awk '{ printf "%s SET/s, loader p99.9 %s us, max %s us", $3, $7, $8 }')"
}
run_phase "growth: $KEYS new keys"
# Control: the same load again, now overwriting the same keys (no growth, no rehash), so the
# tail that the growth run adds can be told apart from this machine's own noise.
if [[ "${CONTROL:-1}" != 0 ]]; then
  run_phase "control: the same $KEYS SETs overwriting existing keys (no growth)"
fi

keys_now=$("$REDIS_CLI" -p "$PORT" dbsize)
rss_kb=$(ps -o rss= -p "$DAEMON_PID" | tr -d ' ')
echo "keys $keys_now; daemon RSS $((rss_kb / 1024)) MiB" \
  "($(awk -v r="$rss_kb" -v k="$keys_now" 'BEGIN { printf "%.0f", k ? r * 1024 / k : 0 }') bytes/key)"
if [[ $loader_rc -ne 0 || $probe_rc -ne 0 || "$keys_now" -ne "$KEYS" ]]; then
  echo "run failed (loader exit $loader_rc, probe exit $probe_rc, $keys_now of $KEYS keys)" >&2
  exit 1
fi
