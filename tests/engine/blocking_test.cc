// Unit tests of the blocked clients' registry (engine/blocking.h) through Engine::Dispatch: the
// timeout argument, first-come-first-served serving, wake-ups, forgetting, CLIENT UNBLOCK, and
// the race between serving and timing out (exactly one wins; an element is never lost). The
// connection side (replies, deadlines, disconnects) is covered by tests/integration/
// test_blocking.py.

#include "engine/blocking.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/client.h"
#include "engine/command.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "net/resp_writer.h"

namespace aegisr {
namespace {

class WakeRecorder : public ServerControl {
 public:
  void RequestShutdown() override {}
  void KillClient(uint64_t, unsigned) override {}
  void WakeBlocked(uint64_t id, unsigned thread) override {
    std::lock_guard lk(mu);
    woken.push_back(id);
  }
  unsigned thread_count() const override { return 1; }
  const char* io_backend() const override { return "epoll"; }
  int tcp_port() const override { return 0; }
  std::mutex mu;
  std::vector<uint64_t> woken;
};

class BlockingTest : public ::testing::Test {
 protected:
  BlockingTest() {
    engine_.set_control(&control_);
    for (uint64_t i = 0; i < 4; ++i) clients_[i].id = 100 + i;
  }
  std::string Run(ClientState& c, std::vector<std::string_view> args) {
    RespWriter w(2);
    engine_.Dispatch(c, w, args);
    return w.buffer();
  }
  // The reply a woken client's connection would write.
  std::string Finish(ClientState& c) {
    std::shared_ptr<BlockedClient> bc = c.blocked;
    engine_.blocking().Forget(bc);
    c.blocked.reset();
    RespWriter w(2);
    switch (bc->state.load()) {
      case BlockState::kServed:
        if (!bc->error.empty())
          w.Error(bc->error);
        else
          bc->reply(*bc, w);
        break;
      case BlockState::kTimedOut:
        bc->timeout_reply(w);
        break;
      default:
        break;
    }
    return w.buffer();
  }
  size_t Waiters() {
    size_t n = 0;
    for (unsigned i = 0; i < kNumShards; ++i) {
      Shard& s = engine_.keyspace().shard(i);
      std::lock_guard lk(s.mu);
      n += s.waiters;
    }
    return n;
  }

  Config config_;
  Engine engine_{&config_};
  WakeRecorder control_;
  ClientState clients_[4];
};

TEST(BlockingTimeout, ParsesAsRedis70) {
  int64_t d = -1;
  EXPECT_TRUE(Blocking::ParseTimeout("0", 1000, &d).empty());
  EXPECT_EQ(d, 0);
  EXPECT_TRUE(Blocking::ParseTimeout("1.5", 1000, &d).empty());
  EXPECT_EQ(d, 2500);
  EXPECT_TRUE(Blocking::ParseTimeout("0.0001", 1000, &d).empty());
  EXPECT_EQ(d, 1001);  // rounded up to a whole millisecond
  EXPECT_TRUE(Blocking::ParseTimeout("-0.0001", 1000, &d).empty());
  EXPECT_EQ(d, 0);  // rounds up to 0: no timeout, as in Redis
  EXPECT_TRUE(Blocking::ParseTimeout("9223372036854775", 1000, &d).empty());
  EXPECT_EQ(d, INT64_MAX);  // saturates instead of overflowing
  EXPECT_EQ(Blocking::ParseTimeout("abc", 0, &d), "ERR timeout is not a float or out of range");
  EXPECT_EQ(Blocking::ParseTimeout("", 0, &d), "ERR timeout is not a float or out of range");
  EXPECT_EQ(Blocking::ParseTimeout("nan", 0, &d), "ERR timeout is not a float or out of range");
  EXPECT_EQ(Blocking::ParseTimeout("-1", 0, &d), "ERR timeout is negative");
  EXPECT_EQ(Blocking::ParseTimeout("inf", 0, &d), "ERR timeout is negative");
  EXPECT_EQ(Blocking::ParseTimeout("1e17", 0, &d), "ERR timeout is negative");
}

TEST_F(BlockingTest, PushServesWaitersInArrivalOrderAndWakesThem) {
  EXPECT_EQ(Run(clients_[0], {"BLPOP", "q", "0"}), "");  // no reply: blocked
  EXPECT_EQ(Run(clients_[1], {"BRPOP", "other", "q", "0"}), "");
  EXPECT_EQ(Run(clients_[2], {"BLMPOP", "0", "1", "q", "RIGHT", "COUNT", "5"}), "");
  EXPECT_EQ(engine_.blocking().blocked_clients(), 3u);
  EXPECT_EQ(Waiters(), 4u);  // client 1 waits on two keys
  EXPECT_EQ(Run(clients_[3], {"RPUSH", "q", "a", "b", "c", "d", "e"}), ":5\r\n");
  EXPECT_EQ(control_.woken, (std::vector<uint64_t>{100, 101, 102}));
  EXPECT_EQ(Finish(clients_[0]), "*2\r\n$1\r\nq\r\n$1\r\na\r\n");
  EXPECT_EQ(Finish(clients_[1]), "*2\r\n$1\r\nq\r\n$1\r\ne\r\n");
  EXPECT_EQ(Finish(clients_[2]), "*2\r\n$1\r\nq\r\n*3\r\n$1\r\nd\r\n$1\r\nc\r\n$1\r\nb\r\n");
  EXPECT_EQ(Run(clients_[3], {"EXISTS", "q"}), ":0\r\n");
  EXPECT_EQ(engine_.blocking().blocked_clients(), 0u);
  EXPECT_EQ(Waiters(), 0u);
}

TEST_F(BlockingTest, OnlyAsManyAreServedAsThereAreElements) {
  Run(clients_[0], {"BLPOP", "q", "0"});
  Run(clients_[1], {"BLPOP", "q", "0"});
  Run(clients_[3], {"LPUSH", "q", "x"});
  EXPECT_EQ(control_.woken, (std::vector<uint64_t>{100}));
  EXPECT_EQ(clients_[1].blocked->state.load(), BlockState::kWaiting);
  // A value of another type does not serve a list waiter; the key is created again later.
  Run(clients_[3], {"SET", "q", "str"});
  EXPECT_EQ(clients_[1].blocked->state.load(), BlockState::kWaiting);
  Run(clients_[3], {"DEL", "q"});
  Run(clients_[3], {"RPUSH", "q", "y"});
  EXPECT_EQ(Finish(clients_[1]), "*2\r\n$1\r\nq\r\n$1\r\ny\r\n");
  EXPECT_EQ(Finish(clients_[0]), "*2\r\n$1\r\nq\r\n$1\r\nx\r\n");
}

TEST_F(BlockingTest, UnblockAndForgetLeaveNothingBehind) {
  Run(clients_[0], {"BLMOVE", "a", "b", "LEFT", "LEFT", "0"});
  EXPECT_FALSE(engine_.blocking().Unblock(999, false));
  EXPECT_TRUE(engine_.blocking().Unblock(100, true));
  EXPECT_FALSE(engine_.blocking().Unblock(100, false));  // already ended
  EXPECT_EQ(clients_[0].blocked->state.load(), BlockState::kUnblockedError);
  Finish(clients_[0]);
  EXPECT_EQ(Waiters(), 0u);
  // A client that goes away: cancelled and forgotten; a later push keeps its element.
  Run(clients_[1], {"BLPOP", "k", "0"});
  EXPECT_TRUE(clients_[1].blocked->Claim(BlockState::kCancelled));
  engine_.blocking().Forget(clients_[1].blocked);
  EXPECT_EQ(Waiters(), 0u);
  EXPECT_EQ(Run(clients_[3], {"RPUSH", "k", "kept"}), ":1\r\n");
  EXPECT_EQ(Run(clients_[3], {"LLEN", "k"}), ":1\r\n");
}

TEST_F(BlockingTest, ServingAndTimingOutRaceWithExactlyOneWinner) {
  // A pusher thread and a "timer" thread race for each blocked client: the element ends up
  // either given to the client (served) or still in the list (timed out), never both or neither.
  for (int round = 0; round < 300; ++round) {
    ClientState& waiter = clients_[0];
    ASSERT_EQ(Run(waiter, {"BLPOP", "r", "0"}), "");
    std::shared_ptr<BlockedClient> bc = waiter.blocked;
    std::thread pusher([&] {
      ClientState c;
      c.id = 999;
      Run(c, {"RPUSH", "r", "e"});
    });
    bool timed_out = bc->Claim(BlockState::kTimedOut);
    pusher.join();
    std::string reply = Finish(waiter);
    std::string len = Run(clients_[3], {"LLEN", "r"});
    if (timed_out) {
      EXPECT_EQ(reply, "*-1\r\n");
      EXPECT_EQ(len, ":1\r\n");
    } else {
      EXPECT_EQ(reply, "*2\r\n$1\r\nr\r\n$1\r\ne\r\n");
      EXPECT_EQ(len, ":0\r\n");
    }
    Run(clients_[3], {"DEL", "r"});
  }
  EXPECT_EQ(Waiters(), 0u);
}

// Stream waiters (engine/blocking.h "Streams"): an XADD serves every XREAD waiting on the key,
// not only the first; a waiter with its own ready()/serve() (as XREADGROUP plugs in) is offered
// the key when new entries come and when the stream goes away, and may end with an error.
TEST_F(BlockingTest, StreamWaitersAreAllServedAndLearnWhenTheKeyGoes) {
  EXPECT_EQ(Run(clients_[0], {"XREAD", "BLOCK", "0", "STREAMS", "s", "$"}), "");
  EXPECT_EQ(Run(clients_[1], {"XREAD", "COUNT", "5", "BLOCK", "0", "STREAMS", "x", "s", "$", "$"}),
            "");
  {
    // A waiter served only once the stream is gone, as XREADGROUP's are.
    RespWriter w(2);
    CommandContext ctx{engine_, clients_[2], w};
    KeyRef k("s");
    auto lk = engine_.keyspace().Lock(k);
    auto bc = std::make_shared<BlockedClient>();
    bc->type = ValueType::kStream;
    bc->keys.emplace_back("s");
    bc->ready = [](Engine& e, const BlockedClient& b, const KeyRef& key) {
      Entry** link = e.keyspace().shard(key).Find(b.db, key, Engine::NowMs());
      return !link || (*link)->type != ValueType::kStream;
    };
    bc->serve = [](Engine&, BlockedClient& b, const KeyRef&) {
      b.error = "UNBLOCKED the stream key no longer exists";
    };
    bc->reply = [](const BlockedClient&, ReplySink&) {};
    bc->timeout_reply = [](ReplySink& r) { r.NullArray(); };
    std::vector<std::string_view> args = {"XREADGROUP"};
    BlockClient(ctx, args, bc);
  }
  EXPECT_EQ(Run(clients_[3], {"XADD", "s", "1-1", "f", "v"}), "$3\r\n1-1\r\n");
  EXPECT_EQ(control_.woken, (std::vector<uint64_t>{100, 101}));
  std::string entry =
      "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n";
  EXPECT_EQ(Finish(clients_[0]), entry);
  EXPECT_EQ(Finish(clients_[1]), entry);
  EXPECT_EQ(clients_[2].blocked->state.load(), BlockState::kWaiting);
  // An XREAD waiter keeps waiting when the key goes; the other one is told.
  EXPECT_EQ(Run(clients_[0], {"XREAD", "BLOCK", "0", "STREAMS", "s", "$"}), "");
  EXPECT_EQ(Run(clients_[3], {"DEL", "s"}), ":1\r\n");
  EXPECT_EQ(control_.woken, (std::vector<uint64_t>{100, 101, 102}));
  EXPECT_EQ(Finish(clients_[2]), "-UNBLOCKED the stream key no longer exists\r\n");
  EXPECT_EQ(clients_[0].blocked->state.load(), BlockState::kWaiting);
  // Its "$" was 1-1: a new stream's 1-0 is not after it, 2-0 is.
  EXPECT_EQ(Run(clients_[3], {"XADD", "s", "1-0", "g", "w"}), "$3\r\n1-0\r\n");
  EXPECT_EQ(clients_[0].blocked->state.load(), BlockState::kWaiting);
  EXPECT_EQ(Run(clients_[3], {"XADD", "s", "2-0", "g", "w"}), "$3\r\n2-0\r\n");
  EXPECT_EQ(Finish(clients_[0]),
            "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\ng\r\n$1\r\nw\r\n");
  EXPECT_EQ(engine_.blocking().blocked_clients(), 0u);
  EXPECT_EQ(Waiters(), 0u);
}

// Waiters for another type of value do not hold up those behind them.
TEST_F(BlockingTest, AWaiterForAnotherTypeDoesNotHoldUpTheQueue) {
  EXPECT_EQ(Run(clients_[0], {"XREAD", "BLOCK", "0", "STREAMS", "k", "$"}), "");
  EXPECT_EQ(Run(clients_[1], {"BZPOPMIN", "k", "0"}), "");
  EXPECT_EQ(Run(clients_[2], {"BLPOP", "k", "0"}), "");
  EXPECT_EQ(Run(clients_[3], {"RPUSH", "k", "a"}), ":1\r\n");
  EXPECT_EQ(control_.woken, (std::vector<uint64_t>{102}));
  EXPECT_EQ(Finish(clients_[2]), "*2\r\n$1\r\nk\r\n$1\r\na\r\n");
  EXPECT_EQ(Run(clients_[3], {"ZADD", "k", "1", "m"}), ":1\r\n");
  EXPECT_EQ(Finish(clients_[1]), "*3\r\n$1\r\nk\r\n$1\r\nm\r\n$1\r\n1\r\n");
  EXPECT_EQ(clients_[0].blocked->state.load(), BlockState::kWaiting);
  EXPECT_EQ(Run(clients_[3], {"XADD", "k", "1-1", "f", "v"}), "$3\r\n1-1\r\n");
  EXPECT_EQ(control_.woken, (std::vector<uint64_t>{102, 101, 100}));
  Finish(clients_[0]);
  EXPECT_EQ(Waiters(), 0u);
}

}  // namespace
}  // namespace aegisr
