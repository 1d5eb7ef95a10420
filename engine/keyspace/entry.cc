// Entry allocation and string value encodings. See entry.h for the layout.
#include "engine/keyspace/entry.h"

#include <charconv>

#include "base/alloc.h"
#include "base/numbers.h"
#include "engine/keyspace/lazy_free.h"

namespace aegisr {
namespace {

struct RawStr {
  char* data;
  uint32_t len;
  uint32_t cap;
};

size_t PayloadSize(Encoding enc, size_t value_len) {
  switch (enc) {
    case Encoding::kInt:
      return 8;
    case Encoding::kEmbStr:
      return 4 + value_len;
    case Encoding::kRawStr:
      return sizeof(RawStr);
    case Encoding::kObject:
      return sizeof(void*);
    case Encoding::kDiskRef:
      return 16;
  }
  return 0;
}

// The value's own payload bytes.
size_t ValuePayloadSize(const Entry* e) {
  if (e->enc == Encoding::kEmbStr) {
    uint32_t n;
    std::memcpy(&n, e->payload(), 4);
    return 4 + n;
  }
  return PayloadSize(e->enc, 0);
}

// Everything after the key: the value's payload and a clean copy's reference.
size_t CurrentPayloadSize(const Entry* e) {
  return ValuePayloadSize(e) + (e->has_clean_copy() ? 16 : 0);
}

RawStr GetRaw(const Entry* e) {
  RawStr r;
  std::memcpy(&r, e->payload(), sizeof(r));
  return r;
}

void PutRaw(Entry* e, const RawStr& r) { std::memcpy(e->payload(), &r, sizeof(r)); }

// Allocates an entry with room for the key and a payload of payload_bytes, header filled.
Entry* Allocate(std::string_view key, uint32_t hash, bool with_expire, size_t payload_bytes) {
  size_t bytes = sizeof(Entry) + (with_expire ? 8 : 0) + key.size() + payload_bytes;
  auto* e = static_cast<Entry*>(AllocBytes(bytes));
  e->next = nullptr;
  e->hash = hash;
  e->key_len = static_cast<uint32_t>(key.size());
  e->type = ValueType::kString;
  e->enc = Encoding::kInt;
  e->tier = TierState::kInRam;
  e->flags = with_expire ? kEntryHasExpire : 0;
  e->access = 0;
  if (with_expire) e->set_expire_at(0);
  std::memcpy(e->tail() + (with_expire ? 8 : 0), key.data(), key.size());
  return e;
}

DiskRefReleaseHook g_release_hook = nullptr;
const ObjectOps* g_object_ops[8] = {};

const ObjectOps& OpsOf(const Entry* e) { return *g_object_ops[size_t(e->type) & 7]; }

void FreePayload(Entry* e) {
  DropCleanCopy(e);
  if (e->enc == Encoding::kRawStr) FreeBytes(GetRaw(e).data);
  if (e->enc == Encoding::kObject) FreeObject(OpsOf(e), e->object());
  if (e->enc == Encoding::kDiskRef) {
    if (g_release_hook) g_release_hook(e->disk_writer(), e->disk_ref(), false);
    e->flags &= kEntryHasExpire;  // the writer bits mean nothing for other encodings
  }
}

// Re-sizes e so that its payload area holds payload_bytes; keeps header, expiry and key.
Entry* ResizePayload(Entry* e, size_t payload_bytes) {
  size_t head = sizeof(Entry) + (e->has_expire() ? 8 : 0) + e->key_len;
  size_t need = head + payload_bytes;
  if (UsableSize(e) >= need && UsableSize(e) <= need + 64) return e;
  return static_cast<Entry*>(ReallocBytes(e, need));
}

void WriteEmb(Entry* e, std::string_view v) {
  uint32_t n = static_cast<uint32_t>(v.size());
  std::memcpy(e->payload(), &n, 4);
  if (n) std::memcpy(e->payload() + 4, v.data(), n);
}

}  // namespace

bool ParseCanonicalInt(std::string_view s, int64_t* out) { return String2ll(s, out); }

void SetDiskRefReleaseHook(DiskRefReleaseHook hook) { g_release_hook = hook; }

const char* Entry::clean_ref() const { return payload() + ValuePayloadSize(this); }
char* Entry::clean_ref() { return payload() + ValuePayloadSize(this); }

void DropCleanCopy(Entry* e) {
  if (!e->has_clean_copy()) return;
  if (g_release_hook) g_release_hook(e->disk_writer(), e->clean_ref(), true);
  e->tier = TierState::kInRam;
  e->flags &= kEntryHasExpire;  // (the 16 bytes stay as slack until the next resize)
}

Entry* PromoteFromDisk(Entry* disk_entry, Entry* fresh) {
  char ref16[16];
  std::memcpy(ref16, disk_entry->disk_ref(), 16);
  unsigned writer = disk_entry->disk_writer();
  if (disk_entry->has_expire()) fresh = SetExpire(fresh, disk_entry->expire_at());
  fresh = ResizePayload(fresh, ValuePayloadSize(fresh) + 16);
  std::memcpy(fresh->payload() + ValuePayloadSize(fresh), ref16, 16);
  fresh->tier = TierState::kInRamAndDisk;
  fresh->flags = uint8_t((fresh->flags & kEntryHasExpire) | (writer << kEntryWriterShift));
  fresh->access = disk_entry->access;
  fresh->next = disk_entry->next;
  FreeBytes(disk_entry);  // its record lives on as fresh's clean copy
  return fresh;
}

Entry* OffloadToCleanCopy(Entry* e) {
  char ref16[16];
  std::memcpy(ref16, e->clean_ref(), 16);
  unsigned writer = e->disk_writer();
  e->tier = TierState::kInRam;  // hand the reference over: SetDiskRef must not release it
  e->flags &= kEntryHasExpire;
  return SetDiskRef(e, writer, ref16);
}

Entry* SetDiskRef(Entry* e, unsigned writer, const char ref16[16]) {
  if (e->enc != Encoding::kDiskRef) FreePayload(e);  // (a disk entry is never re-offloaded)
  e = ResizePayload(e, 16);
  e->enc = Encoding::kDiskRef;
  e->tier = TierState::kOnDisk;
  e->flags = uint8_t((e->flags & kEntryHasExpire) | (writer << kEntryWriterShift));
  std::memcpy(e->payload(), ref16, 16);
  return e;
}

std::string_view Entry::str(char* scratch) const {
  switch (enc) {
    case Encoding::kInt: {
      auto [ptr, ec] = std::to_chars(scratch, scratch + 24, int_value());
      (void)ec;
      return {scratch, static_cast<size_t>(ptr - scratch)};
    }
    case Encoding::kEmbStr: {
      uint32_t n;
      std::memcpy(&n, payload(), 4);
      return {payload() + 4, n};
    }
    case Encoding::kRawStr: {
      RawStr r = GetRaw(this);
      return {r.data, r.len};
    }
    default:
      return {};
  }
}

size_t Entry::str_len() const {
  char scratch[24];
  return str(scratch).size();
}

size_t Entry::MemoryUsage() const {
  size_t n = UsableSize(this);
  if (enc == Encoding::kRawStr) n += UsableSize(GetRaw(this).data);
  if (enc == Encoding::kObject) n += OpsOf(this).memory(object());
  return n;
}

void SetObjectOps(ValueType t, const ObjectOps* ops) { g_object_ops[size_t(t) & 7] = ops; }
const ObjectOps* GetObjectOps(ValueType t) { return g_object_ops[size_t(t) & 7]; }

Entry* NewObjectEntry(std::string_view key, uint32_t hash, ValueType t, void* obj) {
  Entry* e = Allocate(key, hash, false, sizeof(void*));
  e->type = t;
  e->enc = Encoding::kObject;
  std::memcpy(e->payload(), &obj, sizeof(obj));
  return e;
}

void SetObjectPointer(Entry* e, void* obj) { std::memcpy(e->payload(), &obj, sizeof(obj)); }

Entry* NewIntEntry(std::string_view key, uint32_t hash, int64_t value) {
  Entry* e = Allocate(key, hash, false, 8);
  e->enc = Encoding::kInt;
  std::memcpy(e->payload(), &value, 8);
  return e;
}

Entry* NewStringEntry(std::string_view key, uint32_t hash, std::string_view value, bool allow_int) {
  int64_t iv;
  if (allow_int && value.size() <= 20 && ParseCanonicalInt(value, &iv))
    return NewIntEntry(key, hash, iv);
  if (value.size() <= kEmbedMax) {
    Entry* e = Allocate(key, hash, false, 4 + value.size());
    e->enc = Encoding::kEmbStr;
    WriteEmb(e, value);
    return e;
  }
  Entry* e = Allocate(key, hash, false, sizeof(RawStr));
  e->enc = Encoding::kRawStr;
  RawStr r{static_cast<char*>(AllocBytes(value.size())), static_cast<uint32_t>(value.size()),
           static_cast<uint32_t>(value.size())};
  std::memcpy(r.data, value.data(), value.size());
  PutRaw(e, r);
  return e;
}

void FreeEntry(Entry* e) {
  FreePayload(e);
  FreeBytes(e);
}

Entry* SetIntValue(Entry* e, int64_t value) {
  FreePayload(e);
  e = ResizePayload(e, 8);
  e->type = ValueType::kString;
  e->enc = Encoding::kInt;
  std::memcpy(e->payload(), &value, 8);
  return e;
}

Entry* SetStringValue(Entry* e, std::string_view value, bool allow_int) {
  int64_t iv;
  if (allow_int && value.size() <= 20 && ParseCanonicalInt(value, &iv)) return SetIntValue(e, iv);
  if (value.size() <= kEmbedMax) {
    FreePayload(e);
    e = ResizePayload(e, 4 + value.size());
    e->type = ValueType::kString;
    e->enc = Encoding::kEmbStr;
    WriteEmb(e, value);
    return e;
  }
  DropCleanCopy(e);                   // the value changes
  if (e->enc == Encoding::kRawStr) {  // reuse the buffer when it is big enough
    RawStr r = GetRaw(e);
    if (r.cap >= value.size() && r.cap / 2 <= value.size()) {
      std::memcpy(r.data, value.data(), value.size());
      r.len = static_cast<uint32_t>(value.size());
      PutRaw(e, r);
      return e;
    }
  }
  FreePayload(e);
  e = ResizePayload(e, sizeof(RawStr));
  e->type = ValueType::kString;
  e->enc = Encoding::kRawStr;
  RawStr r{static_cast<char*>(AllocBytes(value.size())), static_cast<uint32_t>(value.size()),
           static_cast<uint32_t>(value.size())};
  std::memcpy(r.data, value.data(), value.size());
  PutRaw(e, r);
  return e;
}

Entry* SetExpire(Entry* e, int64_t ms) {
  bool want = ms != 0;
  if (want == e->has_expire()) {
    if (want) e->set_expire_at(ms);
    return e;
  }
  size_t body = e->key_len + CurrentPayloadSize(e);
  if (want) {
    size_t need = sizeof(Entry) + 8 + body;
    if (UsableSize(e) < need) e = static_cast<Entry*>(ReallocBytes(e, need));
    std::memmove(e->tail() + 8, e->tail(), body);
    e->flags |= kEntryHasExpire;
    e->set_expire_at(ms);
  } else {
    std::memmove(e->tail(), e->tail() + 8, body);
    e->flags &= ~kEntryHasExpire;
  }
  return e;
}

Entry* MakeRawString(Entry* e, size_t min_len, char** data) {
  DropCleanCopy(e);  // the caller changes the value
  if (e->enc != Encoding::kRawStr) {
    char scratch[24];
    std::string_view cur = e->str(scratch);
    size_t cap = std::max(min_len, cur.size());
    RawStr r{static_cast<char*>(AllocBytes(cap)), static_cast<uint32_t>(cur.size()),
             static_cast<uint32_t>(cap)};
    std::memcpy(r.data, cur.data(), cur.size());
    e = ResizePayload(e, sizeof(RawStr));
    e->enc = Encoding::kRawStr;
    PutRaw(e, r);
  }
  RawStr r = GetRaw(e);
  if (r.cap < min_len) {
    size_t cap =
        std::max<size_t>(min_len, std::min<size_t>(size_t(r.cap) * 2, min_len + (1 << 20)));
    r.data = static_cast<char*>(ReallocBytes(r.data, cap));
    r.cap = static_cast<uint32_t>(cap);
  }
  if (r.len < min_len) std::memset(r.data + r.len, 0, min_len - r.len);
  PutRaw(e, r);
  *data = r.data;
  return e;
}

void SetRawLength(Entry* e, size_t len) {
  RawStr r = GetRaw(e);
  r.len = static_cast<uint32_t>(len);
  PutRaw(e, r);
}

Entry* RekeyEntry(Entry* e, std::string_view new_key, uint32_t new_hash) {
  DropCleanCopy(e);  // the record names the old key
  size_t payload = CurrentPayloadSize(e);
  Entry* n = Allocate(new_key, new_hash, e->has_expire(), payload);
  n->type = e->type;
  n->enc = e->enc;
  n->tier = e->tier;
  n->access = e->access;
  if (e->has_expire()) n->set_expire_at(e->expire_at());
  std::memcpy(n->payload(), e->payload(), payload);  // owned pointers move with the bytes
  FreeBytes(e);
  return n;
}

Entry* CloneEntry(const Entry* e, std::string_view new_key, uint32_t new_hash) {
  size_t payload = ValuePayloadSize(e);  // the copy has no clean copy of its own
  Entry* c = Allocate(new_key, new_hash, e->has_expire(), payload);
  c->type = e->type;
  c->enc = e->enc;
  c->access = e->access;
  if (e->has_expire()) c->set_expire_at(e->expire_at());
  std::memcpy(c->payload(), e->payload(), payload);
  if (e->enc == Encoding::kRawStr) {
    RawStr r = GetRaw(e);
    RawStr nr{static_cast<char*>(AllocBytes(r.cap)), r.len, r.cap};
    std::memcpy(nr.data, r.data, r.len);
    PutRaw(c, nr);
  }
  if (e->enc == Encoding::kObject) {
    void* obj = OpsOf(e).clone(e->object());
    std::memcpy(c->payload(), &obj, sizeof(obj));
  }
  return c;
}

}  // namespace aegisr
