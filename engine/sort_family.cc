// SORT and SORT_RO, Redis 7.0 semantics (sort.c): the elements of a list, set or sorted set,
// sorted numerically (by their value as a double) or with ALPHA as strings, optionally by the
// values of other keys (BY pattern, where '*' stands for the element, and "key->field" reads a
// hash field), projected through GET patterns, cut by LIMIT, returned or stored as a list.
//
// Locking: without patterns the command touches its key and the STORE destination, locked in
// shard order. A BY or GET pattern names keys that are only known from the elements, so then
// every shard is locked for the command (it stays atomic, as in Redis). A pattern key whose
// value is on disk cannot be read without waiting, which a command holding locks must not do:
// SORT then answers with an error instead of a wrong result (see kPatternOnDisk).

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "base/numbers.h"
#include "engine/engine.h"
#include "engine/errors.h"
#include "engine/family.h"
#include "engine/keyspace/entry.h"
#include "engine/notify.h"
#include "engine/types/packed_list.h"

namespace aegisr {
namespace {

constexpr std::string_view kNotDouble = "ERR One or more scores can't be converted into double";
constexpr std::string_view kPatternOnDisk =
    "ERR SORT BY/GET refers to a key whose value is in the disk tier; read it first (e.g. with "
    "GET or HGET) and retry";

ElementsFn g_elements[8] = {};
HashFieldFn g_hash_field = nullptr;

struct SortOptions {
  bool desc = false;
  bool alpha = false;
  int64_t limit_start = 0;
  int64_t limit_count = -1;
  std::string_view store;
  bool has_store = false;
  std::string_view by;
  bool has_by = false;
  bool dontsort = false;
  std::vector<std::string_view> gets;
};

// Redis checks the pattern as a C string: it ends at the first NUL byte.
std::string_view CString(std::string_view s) { return s.substr(0, s.find('\0')); }

bool ParseOptions(ReplySink& reply, ArgList args, bool readonly, SortOptions* o) {
  for (size_t j = 2; j < args.size(); ++j) {
    size_t left = args.size() - j - 1;
    std::string_view a = args[j];
    if (EqualsIgnoreCase(a, "asc")) {
      o->desc = false;
    } else if (EqualsIgnoreCase(a, "desc")) {
      o->desc = true;
    } else if (EqualsIgnoreCase(a, "alpha")) {
      o->alpha = true;
    } else if (EqualsIgnoreCase(a, "limit") && left >= 2) {
      if (!String2ll(args[j + 1], &o->limit_start) || !String2ll(args[j + 2], &o->limit_count)) {
        reply.Error(errors::kNotInteger);
        return false;
      }
      j += 2;
    } else if (!readonly && EqualsIgnoreCase(a, "store") && left >= 1) {
      o->store = args[++j];
      o->has_store = true;
    } else if (EqualsIgnoreCase(a, "by") && left >= 1) {
      o->by = args[++j];
      o->has_by = true;
      // A pattern without '*' names one key for every element: nothing to sort by.
      o->dontsort = CString(o->by).find('*') == std::string_view::npos;
    } else if (EqualsIgnoreCase(a, "get") && left >= 1) {
      o->gets.push_back(args[++j]);
    } else {
      reply.Error(errors::kSyntax);
      return false;
    }
  }
  return true;
}

// Redis's lookupKeyByPattern: the value named by pattern for element `subst`. Sets *found
// (false: no such key, another type, or no '*' in the pattern); false if a value it needs is
// on disk.
bool LookupByPattern(Keyspace& ks, int db, std::string_view pattern, std::string_view subst,
                     std::string* out, bool* found) {
  *found = false;
  std::string_view cpat = CString(pattern);
  if (cpat == "#") {
    out->assign(subst);
    *found = true;
    return true;
  }
  size_t star = cpat.find('*');
  if (star == std::string_view::npos) return true;
  // "prefix*postfix->field": the field is what follows the first "->" after the '*', if not
  // empty.
  size_t arrow = cpat.find("->", star + 1);
  std::string_view field;
  size_t key_end = pattern.size();
  if (arrow != std::string_view::npos && arrow + 2 < cpat.size()) {
    field = pattern.substr(arrow + 2);
    key_end = arrow;
  }
  std::string key;
  key.reserve(key_end + subst.size());
  key.append(pattern.substr(0, star));
  key.append(subst);
  key.append(pattern.substr(star + 1, key_end - star - 1));
  KeyRef k(key);
  Shard& s = ks.shard(k);
  Entry** link = s.Lookup(db, k, Engine::NowMs(), ks.lru_clock());
  if (!link) return true;
  const Entry* e = *link;
  if (e->on_disk()) return false;
  if (!field.empty()) {
    if (e->type != ValueType::kHash || !g_hash_field) return true;
    *found = g_hash_field(*e, field, out);
    return true;
  }
  if (e->type != ValueType::kString) return true;
  char scratch[24];
  out->assign(e->str(scratch));
  *found = true;
  return true;
}

struct Item {
  std::string elem;
  double score = 0;
  std::string cmp;  // ALPHA with BY: the value sorted by
  bool has_cmp = false;
};

// Redis compares with strcoll in the C locale (strcmp: stops at a NUL byte) when it replies,
// and byte-wise when it stores.
int Collate(const std::string& a, const std::string& b, bool binary) {
  if (binary) return a.compare(b) < 0 ? -1 : a.compare(b) > 0 ? 1 : 0;
  int c = std::strcmp(a.c_str(), b.c_str());
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

void Sort(CommandContext& ctx, ArgList args, bool readonly) {
  SortOptions o;
  if (!ParseOptions(ctx.reply, args, readonly, &o)) return;
  Keyspace& ks = ctx.engine.keyspace();
  int db = Db(ctx);
  KeyRef key(args[1]);
  bool patterns = (o.has_by && !o.dontsort) ||
                  std::any_of(o.gets.begin(), o.gets.end(),
                              [](std::string_view g) { return CString(g) != "#"; });
  std::vector<KeyRef> refs{key};
  if (o.has_store) refs.emplace_back(o.store);
  ShardLock guard = patterns ? ks.LockAll() : ks.LockKeys(refs);

  Shard& s = ks.shard(key);
  Entry** link = s.Lookup(db, key, Engine::NowMs(), ks.lru_clock());
  ValueType type = ValueType::kList;
  if (link) {
    type = (*link)->type;
    if (type != ValueType::kList && type != ValueType::kSet && type != ValueType::kZset)
      return ctx.reply.Error(errors::kWrongType);
  }
  // A set's order is arbitrary: what is stored must not depend on it (Redis sorts it ALPHA).
  if (o.dontsort && type == ValueType::kSet && o.has_store) {
    o.dontsort = false;
    o.alpha = true;
    o.has_by = false;
  }
  std::vector<std::string> elems;
  if (link) {
    ElementsFn fn = g_elements[size_t(type) & 7];
    if (fn) fn(**link, &elems);
  }
  auto len = static_cast<int64_t>(elems.size());
  int64_t start = std::min(std::max<int64_t>(o.limit_start, 0), len);
  int64_t count = std::min(std::max<int64_t>(o.limit_count, -1), len);
  int64_t end = count < 0 ? len - 1 : start + count - 1;
  if (start >= len) {
    start = len - 1;
    end = len - 2;
  }
  if (end >= len) end = len - 1;

  std::vector<Item> items(elems.size());
  for (size_t i = 0; i < elems.size(); ++i) items[i].elem = std::move(elems[i]);
  // Lists and sorted sets keep their own order when not sorted; DESC reverses it.
  if (o.dontsort && o.desc && type != ValueType::kSet) std::reverse(items.begin(), items.end());

  bool not_double = false;
  if (!o.dontsort) {
    std::string by;
    for (Item& it : items) {
      const std::string* val = &it.elem;
      if (o.has_by) {
        bool found;
        if (!LookupByPattern(ks, db, o.by, it.elem, &by, &found))
          return ctx.reply.Error(kPatternOnDisk);
        if (!found) continue;
        val = &by;
      }
      if (o.alpha) {
        if (o.has_by) {
          it.cmp = *val;
          it.has_cmp = true;
        }
      } else {
        // strtod over the C string, as Redis: the text ends at a NUL byte, "" is 0.
        char* end_ptr;
        errno = 0;
        it.score = std::strtod(val->c_str(), &end_ptr);
        if (*end_ptr != '\0' || errno == ERANGE || std::isnan(it.score)) not_double = true;
      }
    }
    bool binary = o.has_store;
    auto less = [&](const Item& a, const Item& b) {
      int c;
      if (!o.alpha) {
        c = a.score > b.score ? 1 : a.score < b.score ? -1 : Collate(a.elem, b.elem, true);
      } else if (o.has_by) {
        if (!a.has_cmp || !b.has_cmp)
          c = a.has_cmp == b.has_cmp ? 0 : !a.has_cmp ? -1 : 1;
        else
          c = Collate(a.cmp, b.cmp, binary);
      } else {
        c = Collate(a.elem, b.elem, binary);
      }
      return (o.desc ? -c : c) < 0;
    };
    std::stable_sort(items.begin(), items.end(), less);
  }

  int64_t n = end >= start ? end - start + 1 : 0;
  size_t out_len = o.gets.empty() ? size_t(n) : size_t(n) * o.gets.size();
  if (not_double) return ctx.reply.Error(kNotDouble);

  // The values of the GET patterns for one element (found false: none).
  std::vector<std::string> got(o.gets.size());
  std::vector<char> found(o.gets.size());
  auto project = [&](const Item& it) {
    for (size_t g = 0; g < o.gets.size(); ++g) {
      bool f;
      if (!LookupByPattern(ks, db, o.gets[g], it.elem, &got[g], &f)) return false;
      found[g] = f;
    }
    return true;
  };

  if (!o.has_store) {
    for (int64_t j = start; j <= end && !o.gets.empty(); ++j)
      if (!project(items[size_t(j)])) return ctx.reply.Error(kPatternOnDisk);
    ctx.reply.ArrayHeader(out_len);
    for (int64_t j = start; j <= end; ++j) {
      const Item& it = items[size_t(j)];
      if (o.gets.empty()) {
        ctx.reply.Bulk(it.elem);
        continue;
      }
      project(it);
      for (size_t g = 0; g < o.gets.size(); ++g) {
        if (found[g])
          ctx.reply.Bulk(got[g]);
        else
          ctx.reply.Null();
      }
    }
    return;
  }

  auto list = std::make_unique<PackedList>();
  for (int64_t j = start; j <= end; ++j) {
    const Item& it = items[size_t(j)];
    if (o.gets.empty()) {
      list->PushBack(it.elem);
      continue;
    }
    if (!project(it)) return ctx.reply.Error(kPatternOnDisk);
    for (size_t g = 0; g < o.gets.size(); ++g) list->PushBack(found[g] ? got[g] : "");
  }
  KeyRef dst(o.store);
  Shard& ds = ks.shard(dst);
  bool existed = false;
  if (Entry** old = ds.Find(db, dst, Engine::NowMs())) {
    ds.Delete(db, old);
    existed = true;
  }
  if (!list->empty()) {
    OverwriteScope overwrite(existed);
    ds.Insert(db, NewObjectEntry(dst.key, dst.hash, ValueType::kList, list.release()));
    Notify(ctx, kNotifyList, "sortstore", dst.key);
  } else if (existed) {
    Notify(ctx, kNotifyGeneric, "del", dst.key);
  }
  ctx.reply.Integer(int64_t(out_len));
}

void CmdSort(CommandContext& ctx, ArgList args) { Sort(ctx, args, false); }
void CmdSortRo(CommandContext& ctx, ArgList args) { Sort(ctx, args, true); }

void ListElements(const Entry& e, std::vector<std::string>* out) {
  const auto& l = ObjectOf<PackedList>(&e);
  out->reserve(l.size());
  if (!l.empty()) l.ForRange(0, l.size() - 1, [&](std::string_view v) { out->emplace_back(v); });
}

}  // namespace

void SetSortElements(ValueType t, ElementsFn fn) { g_elements[size_t(t) & 7] = fn; }
void SetHashFieldGetter(HashFieldFn fn) { g_hash_field = fn; }

void RegisterSortFamily(CommandRegistry& r) {
  SetSortElements(ValueType::kList, ListElements);
  r.Register(CommandSpec("sort", -2, kCmdWrite | kCmdDenyOom | kCmdMovableKeys, 1, 1, 1, CmdSort));
  r.Register(CommandSpec("sort_ro", -2, kCmdReadonly, 1, 1, 1, CmdSortRo));
}

}  // namespace aegisr
