#pragma once
// A test fixture with an Engine and one client, for the command-family unit tests: runs commands
// through Engine::Dispatch, looks at an entry under its shard lock, and checks the shards' memory
// bookkeeping against a recount. Single-threaded.

#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "engine/client.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/keyspace/entry.h"
#include "net/resp_writer.h"

namespace aegisr {

class EngineFixture : public ::testing::Test {
 protected:
  // The reply to one command, as RESP bytes of protocol `proto`.
  std::string Run(std::vector<std::string_view> args, int proto = 2) {
    RespWriter w(proto);
    engine_.Dispatch(client_, w, args);
    return w.buffer();
  }
  // fn(Entry* or nullptr) for key in db 0, with its shard locked.
  template <typename Fn>
  void WithEntry(std::string_view key, Fn&& fn) {
    KeyRef k(key);
    Keyspace& ks = engine_.keyspace();
    auto lk = ks.Lock(k);
    Entry** link = ks.shard(k).Find(0, k, Engine::NowMs());
    fn(link ? *link : nullptr);
  }
  // used_bytes of every shard against a recount from the entries.
  void ExpectBookkeepingExact() {
    Keyspace& ks = engine_.keyspace();
    for (unsigned i = 0; i < kNumShards; ++i) {
      Shard& s = ks.shard(i);
      std::lock_guard lk(s.mu);
      EXPECT_EQ(s.used_bytes(), s.RecountBytes()) << "shard " << i;
    }
  }

  Config config_;
  Engine engine_{&config_};
  ClientState client_;
};

}  // namespace aegisr
