// Keyspace notifications: the flag string as Redis parses and prints it, the messages Notify
// publishes (through the test observer) for commands of each family, in Redis 7.0's order, and
// the replayable event bus.
#include "engine/notify.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include "engine/config.h"
#include "engine/keyspace/keyspace.h"
#include "tests/engine/engine_fixture.h"

namespace aegisr {
namespace {

std::string Canonical(std::string_view in) {
  uint32_t f = 0;
  EXPECT_TRUE(ParseNotifyFlags(in, &f)) << in;
  return FormatNotifyFlags(f);
}

TEST(NotifyFlagsTest, PrintsTheCanonicalFormRedisPrints) {
  EXPECT_EQ(Canonical("KEA"), "AKE");
  EXPECT_EQ(Canonical("AKE"), "AKE");
  EXPECT_EQ(Canonical(""), "");
  EXPECT_EQ(Canonical("Kg"), "gK");
  EXPECT_EQ(Canonical("xKE"), "xKE");
  EXPECT_EQ(Canonical("AKEm"), "AKEm");
  EXPECT_EQ(Canonical("mE"), "Em");
  EXPECT_EQ(Canonical("Kgd"), "gdK");
  EXPECT_EQ(Canonical("tK"), "tK");
  EXPECT_EQ(Canonical("Ag"), "A");
  // Every class letter spelled out is A.
  EXPECT_EQ(Canonical("nKEg$lshzxetd"), "AKE");
  EXPECT_EQ(Canonical("g$lshzxetdKE"), "AKE");
  EXPECT_EQ(Canonical("Kn"), "nK");
}

TEST(NotifyFlagsTest, AKeepsNewEventsThoughItDoesNotPrintThem) {
  uint32_t f = 0;
  ASSERT_TRUE(ParseNotifyFlags("KEAn", &f));
  EXPECT_EQ(FormatNotifyFlags(f), "AKE");
  EXPECT_TRUE(f & kNotifyNew);
  EXPECT_FALSE(f & kNotifyKeyMiss);
}

TEST(NotifyFlagsTest, RefusesUnknownLetters) {
  uint32_t f = 123;
  EXPECT_FALSE(ParseNotifyFlags("Q", &f));
  EXPECT_FALSE(ParseNotifyFlags("KEa", &f));
  EXPECT_FALSE(ParseNotifyFlags("K E", &f));
  EXPECT_EQ(f, 123u);  // untouched on error
}

TEST(NotifyFlagsTest, ConfigSetStoresCanonicalFormAndRefusesBadText) {
  Config cfg;
  std::string_view ok[] = {"notify-keyspace-events", "KEA"};
  ASSERT_TRUE(ConfigSetPairs(cfg, ok).ok());
  EXPECT_EQ(cfg.Read(&Config::notify_keyspace_events), "AKE");
  EXPECT_EQ(uint32_t(cfg.notify_keyspace_events_flags.load()),
            uint32_t(kNotifyAll | kNotifyKeyspace | kNotifyKeyevent));
  std::string_view bad[] = {"notify-keyspace-events", "KEQ"};
  Status st = ConfigSetPairs(cfg, bad);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(),
            "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - "
            "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
  EXPECT_EQ(cfg.Read(&Config::notify_keyspace_events), "AKE");  // unchanged
}

// Every (channel, message) published while a test runs.
std::vector<std::pair<std::string, std::string>>& Seen() {
  static std::vector<std::pair<std::string, std::string>> seen;
  return seen;
}
void Observe(std::string_view channel, std::string_view message) {
  Seen().emplace_back(std::string(channel), std::string(message));
}

class NotifyTest : public EngineFixture {
 protected:
  void SetUp() override {
    Seen().clear();
    SetNotifyObserver(&Observe);
  }
  void TearDown() override { SetNotifyObserver(nullptr); }
  void Flags(std::string_view f) {
    std::string_view args[] = {"notify-keyspace-events", f};
    ASSERT_TRUE(ConfigSetPairs(config_, args).ok());
  }
  // The keyevent channel's events (flags E only), as "event key" strings.
  std::vector<std::string> Events() {
    std::vector<std::string> out;
    for (auto& [ch, msg] : Seen()) {
      std::string_view c = ch;
      size_t colon = c.find("__:");
      EXPECT_EQ(c.substr(0, 11), "__keyevent@") << c;
      out.push_back(std::string(c.substr(colon + 3)) + " " + msg);
    }
    Seen().clear();
    return out;
  }
  using V = std::vector<std::string>;
};

TEST_F(NotifyTest, NothingIsPublishedByDefault) {
  Run({"SET", "k", "v"});
  Run({"DEL", "k"});
  EXPECT_TRUE(Seen().empty());
}

TEST_F(NotifyTest, KeyspaceThenKeyeventChannels) {
  Flags("KE$");
  Run({"SELECT", "3"});
  Run({"SET", "k", "v"});
  ASSERT_EQ(Seen().size(), 2u);
  EXPECT_EQ(Seen()[0], (std::pair<std::string, std::string>{"__keyspace@3__:k", "set"}));
  EXPECT_EQ(Seen()[1], (std::pair<std::string, std::string>{"__keyevent@3__:set", "k"}));
}

TEST_F(NotifyTest, ClassFlagsFilterEvents) {
  Flags("E$");  // strings only: no generic events
  Run({"SET", "k", "v", "EX", "100"});
  Run({"DEL", "k"});
  EXPECT_EQ(Events(), (V{"set k"}));
  Flags("Eg");
  Run({"SET", "k", "v", "EX", "100"});
  Run({"DEL", "k"});
  EXPECT_EQ(Events(), (V{"expire k", "del k"}));
  Flags("g$");  // neither K nor E: nothing
  Run({"SET", "k", "v"});
  EXPECT_TRUE(Seen().empty());
}

TEST_F(NotifyTest, StringAndGenericEvents) {
  Flags("EA");
  Run({"SET", "a", "1"});
  Run({"INCRBY", "a", "2"});
  Run({"INCRBYFLOAT", "a", "1.5"});
  Run({"APPEND", "a", "x"});
  Run({"SETRANGE", "a", "0", "z"});
  Run({"SETRANGE", "a", "0", ""});  // no change: no event
  Run({"SET", "b", "x", "NX"});
  Run({"SET", "b", "y", "NX"});  // refused: no event
  Run({"MSET", "c", "1", "d", "2"});
  Run({"EXPIRE", "a", "100"});
  Run({"PERSIST", "a"});
  Run({"PERSIST", "a"});  // no TTL: no event
  Run({"RENAME", "a", "e"});
  Run({"GETDEL", "e"});
  Run({"DEL", "b", "nosuch", "c"});
  Run({"EXPIRE", "d", "-1"});  // a time in the past deletes
  EXPECT_EQ(Events(), (V{"set a", "incrby a", "incrbyfloat a", "append a", "setrange a", "set b",
                         "set c", "set d", "expire a", "persist a", "rename_from a", "rename_to e",
                         "del e", "del b", "del c", "del d"}));
}

TEST_F(NotifyTest, CopyAndMoveEvents) {
  Flags("EA");
  Run({"SET", "a", "1"});
  Events();
  Run({"COPY", "a", "b"});
  Run({"MOVE", "b", "2"});
  auto ev = Seen();
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0], (std::pair<std::string, std::string>{"__keyevent@0__:copy_to", "b"}));
  EXPECT_EQ(ev[1], (std::pair<std::string, std::string>{"__keyevent@0__:move_from", "b"}));
  EXPECT_EQ(ev[2], (std::pair<std::string, std::string>{"__keyevent@2__:move_to", "b"}));
}

TEST_F(NotifyTest, NewKeyEventComesFirstOnlyWithN) {
  Flags("EA");
  Run({"SET", "a", "1"});
  EXPECT_EQ(Events(), (V{"set a"}));
  Flags("EAn");
  Run({"SET", "b", "1"});
  Run({"SET", "b", "2"});  // exists: no "new"
  EXPECT_EQ(Events(), (V{"new b", "set b", "set b"}));
}

TEST_F(NotifyTest, OverwritesAreNotNewKeysButRenamesAre) {
  Flags("EAn");
  Run({"SADD", "x", "a"});
  Run({"SET", "x", "v"});  // replaces a set: an overwrite, as Redis's dbOverwrite
  Run({"SADD", "y", "a"});
  Run({"SUNIONSTORE", "x", "y"});  // STORE over an existing key: no "new" either
  Run({"RENAME", "y", "x"});       // RENAME adds the destination anew, as Redis's dbAdd
  EXPECT_EQ(Events(), (V{"new x", "sadd x", "set x", "new y", "sadd y", "sunionstore x", "new x",
                         "rename_from y", "rename_to x"}));
}

TEST_F(NotifyTest, ListEventsAndDelWhenEmptied) {
  Flags("EA");
  Run({"RPUSH", "l", "a", "b", "c"});
  Run({"LPUSH", "l", "z"});
  Run({"LSET", "l", "0", "y"});
  Run({"LINSERT", "l", "BEFORE", "a", "q"});
  Run({"LREM", "l", "0", "q"});
  Run({"LTRIM", "l", "0", "2"});
  Run({"RPOP", "l"});
  Run({"LMOVE", "l", "m", "LEFT", "RIGHT"});
  Run({"LPOP", "l"});
  Run({"LPOP", "l"});  // missing: nothing
  EXPECT_EQ(Events(), (V{"rpush l", "lpush l", "lset l", "linsert l", "lrem l", "ltrim l", "rpop l",
                         "rpush m", "lpop l", "lpop l", "del l"}));
}

TEST_F(NotifyTest, HashSetZsetEvents) {
  Flags("EA");
  Run({"HSET", "h", "f", "1"});
  Run({"HINCRBY", "h", "f", "2"});
  Run({"HDEL", "h", "f"});
  Run({"SADD", "s", "a", "b"});
  Run({"SADD", "s", "a"});  // nothing added: no event
  Run({"SREM", "s", "a"});
  Run({"SMOVE", "s", "t", "b"});
  Run({"ZADD", "z", "1", "a", "2", "b"});
  Run({"ZINCRBY", "z", "1", "a"});
  Run({"ZREM", "z", "a"});
  Run({"ZPOPMIN", "z"});
  EXPECT_EQ(Events(), (V{"hset h", "hincrby h", "hdel h", "del h", "sadd s", "srem s", "srem s",
                         "del s", "sadd t", "zadd z", "zincr z", "zrem z", "zpopmin z", "del z"}));
}

TEST_F(NotifyTest, StreamEvents) {
  Flags("EA");
  Run({"XADD", "x", "1-0", "f", "v"});
  Run({"XADD", "x", "MAXLEN", "1", "2-0", "f", "v"});
  Run({"XGROUP", "CREATE", "x", "g", "0"});
  Run({"XDEL", "x", "2-0"});
  EXPECT_EQ(Events(), (V{"xadd x", "xadd x", "xtrim x", "xgroup-create x", "xdel x"}));
}

// Redis 7.0.15 (t_stream.c streamCreateConsumer with SCC_DEFAULT at every implicit creation):
// a consumer created by XREADGROUP (for a stream it serves, NOACK or not), XCLAIM or XAUTOCLAIM
// (at the first entry claimed) raises xgroup-createconsumer; nothing else of those commands does.
TEST_F(NotifyTest, ConsumersCreatedImplicitlyAreAnnounced) {
  Flags("EA");
  Run({"XADD", "x", "1-0", "f", "v"});
  Run({"XADD", "x", "2-0", "f", "v"});
  Run({"XGROUP", "CREATE", "x", "g", "0"});
  Events();
  Run({"XREADGROUP", "GROUP", "g", "a", "COUNT", "1", "STREAMS", "x", ">"});
  Run({"XREADGROUP", "GROUP", "g", "a", "COUNT", "1", "STREAMS", "x", ">"});  // exists
  Run({"XREADGROUP", "GROUP", "g", "b", "NOACK", "STREAMS", "x", ">"});       // nothing new
  Run({"XREADGROUP", "GROUP", "g", "c", "NOACK", "STREAMS", "x", "0"});       // history
  EXPECT_EQ(Events(), (V{"xgroup-createconsumer x", "xgroup-createconsumer x"}));
  Run({"XCLAIM", "x", "g", "d", "3600000", "1-0"});  // not idle long enough: no consumer
  Run({"XCLAIM", "x", "g", "d", "0", "1-0"});
  Run({"XCLAIM", "x", "g", "d", "0", "1-0"});
  Run({"XAUTOCLAIM", "x", "g", "e", "3600000", "0"});
  Run({"XAUTOCLAIM", "x", "g", "e", "0", "0"});
  Run({"XAUTOCLAIM", "x", "g", "e", "0", "0"});
  EXPECT_EQ(Events(), (V{"xgroup-createconsumer x", "xgroup-createconsumer x"}));
  EXPECT_EQ(Run({"XGROUP", "CREATECONSUMER", "x", "g", "b"}), ":1\r\n");
}

// Redis 7.4 (t_hash.c hashTypeSetExDone, hpersistCommand, hashTypeExpire): one event per
// command that changed a field's TTL or deleted a field by a past time, and "hexpired" when
// fields expire, then "del" if the hash went with them.
TEST_F(NotifyTest, HashFieldTtlEvents) {
  Flags("EA");
  Run({"HSET", "h", "a", "1", "b", "2", "c", "3"});
  Run({"HEXPIRE", "h", "100", "FIELDS", "2", "a", "nosuch"});
  Run({"HEXPIRE", "h", "100", "NX", "FIELDS", "1", "a"});  // not met: nothing
  Run({"HPERSIST", "h", "FIELDS", "1", "a"});
  Run({"HPERSIST", "h", "FIELDS", "1", "a"});  // no TTL: nothing
  Run({"HPEXPIREAT", "h", "1", "FIELDS", "1", "a"});
  Run({"HPEXPIREAT", "h", "1", "FIELDS", "2", "b", "c"});
  EXPECT_EQ(Events(), (V{"hset h", "hexpire h", "hpersist h", "hdel h", "hdel h", "del h"}));
  Run({"HSET", "h", "a", "1", "b", "2"});
  Run({"HPEXPIRE", "h", "1", "FIELDS", "1", "a"});
  Events();
  usleep(5000);
  Run({"HSET", "h", "c", "3"});  // finds a expired: hexpired before its own event
  EXPECT_EQ(Events(), (V{"hexpired h", "hset h"}));
  Run({"HPEXPIRE", "h", "1", "FIELDS", "2", "b", "c"});
  Run({"HPEXPIRE", "h", "1", "FIELDS", "1", "b"});
  Events();
  usleep(5000);
  for (int i = 0; i < 3 && Seen().empty(); ++i) engine_.Cron(0, 1);
  EXPECT_EQ(Events(), (V{"hexpired h", "del h"}));
  EXPECT_EQ(Run({"EXISTS", "h"}), ":0\r\n");
}

TEST_F(NotifyTest, KeymissOnReadMissesOnly) {
  Flags("Em");
  Run({"GET", "nx"});
  Run({"EXISTS", "ny"});
  Run({"OBJECT", "ENCODING", "nz"});  // Redis looks it up without notifying
  Run({"LPOP", "nw"});                // a write command's lookup: no keymiss
  Run({"SET", "k", "v"});
  Run({"GET", "k"});
  EXPECT_EQ(Events(), (V{"keymiss nx", "keymiss ny"}));
  Flags("EA");  // A does not include m
  Run({"GET", "nx"});
  EXPECT_TRUE(Seen().empty());
}

TEST_F(NotifyTest, LazyExpiryRaisesExpired) {
  Flags("EA");
  Run({"SET", "k", "v", "PX", "1"});
  Events();
  usleep(5000);
  EXPECT_EQ(Run({"GET", "k"}), "$-1\r\n");
  EXPECT_EQ(Events(), (V{"expired k"}));
}

TEST_F(NotifyTest, ActiveExpiryRaisesExpired) {
  Flags("Ex");
  Run({"SET", "k", "v", "PX", "1"});
  usleep(5000);
  for (int i = 0; i < 3 && Seen().empty(); ++i) engine_.Cron(0, 1);
  EXPECT_EQ(Events(), (V{"expired k"}));
}

TEST_F(NotifyTest, EventBusRecordsEventsInAStream) {
  Flags("KEA");
  std::string_view bus[] = {"event-bus-stream", "bus", "event-bus-maxlen", "100"};
  ASSERT_TRUE(ConfigSetPairs(config_, bus).ok());
  Run({"SET", "k", "v"});
  Run({"DEL", "k"});
  EXPECT_EQ(Run({"XLEN", "bus"}), ":2\r\n");
  std::string r = Run({"XRANGE", "bus", "-", "+"});
  EXPECT_NE(
      r.find("$4\r\ntype\r\n$6\r\nstring\r\n$5\r\nevent\r\n$3\r\nset\r\n$3\r\nkey\r\n$1\r\nk"),
      std::string::npos)
      << r;
  EXPECT_NE(r.find("$5\r\nevent\r\n$3\r\ndel\r\n"), std::string::npos) << r;
  // The bus's own XADDs raised no xadd event of their own.
  for (auto& [ch, msg] : Seen()) EXPECT_NE(msg, "bus") << ch;
  // Appending to the bus is not an event either; a plain XADD to it is.
  Seen().clear();
  Run({"XADD", "bus", "*", "f", "v"});
  EXPECT_EQ(Seen().size(), 2u);  // the client's own XADD: keyspace and keyevent
  // Its entry, and the bus's record of its xadd event (which raises nothing further).
  EXPECT_EQ(Run({"XLEN", "bus"}), ":4\r\n");
}

TEST_F(NotifyTest, EventBusRecordsChosenChannelsMessages) {
  std::string_view bus[] = {"event-bus-stream", "bus", "event-bus-channels", "news.* alerts"};
  ASSERT_TRUE(ConfigSetPairs(config_, bus).ok());
  Run({"PUBLISH", "news.sport", "goal"});
  Run({"PUBLISH", "weather", "rain"});  // not chosen
  Run({"PUBLISH", "alerts", "fire"});
  Run({"SET", "k", "v"});  // notify-keyspace-events is empty: no event, nothing recorded
  std::string r = Run({"XRANGE", "bus", "-", "+"});
  EXPECT_EQ(Run({"XLEN", "bus"}), ":2\r\n") << r;
  EXPECT_NE(r.find("$7\r\nchannel\r\n$10\r\nnews.sport\r\n$7\r\nmessage\r\n$4\r\ngoal"),
            std::string::npos)
      << r;
  EXPECT_NE(r.find("$6\r\nalerts\r\n$7\r\nmessage\r\n$4\r\nfire"), std::string::npos) << r;
  EXPECT_EQ(r.find("weather"), std::string::npos) << r;
}

TEST_F(NotifyTest, EventBusCountsTheAppendsItDrops) {
  Flags("A");
  Run({"SET", "bus", "not a stream"});
  std::string_view bus[] = {"event-bus-stream", "bus"};
  ASSERT_TRUE(ConfigSetPairs(config_, bus).ok());
  uint64_t before = EventBusDropped();
  Run({"SET", "k", "v"});
  Run({"DEL", "k"});
  EXPECT_EQ(EventBusDropped() - before, 2u);
  EXPECT_EQ(Run({"GET", "bus"}), "$12\r\nnot a stream\r\n");
  std::string_view ok[] = {"event-bus-stream", "bus2"};
  ASSERT_TRUE(ConfigSetPairs(config_, ok).ok());
  Run({"SET", "k", "v"});
  EXPECT_EQ(EventBusDropped() - before, 2u);
  EXPECT_EQ(Run({"XLEN", "bus2"}), ":1\r\n");
}

TEST_F(NotifyTest, EventBusIsCapped) {
  Flags("E$");
  std::string_view bus[] = {"event-bus-stream", "bus", "event-bus-maxlen", "1"};
  ASSERT_TRUE(ConfigSetPairs(config_, bus).ok());
  for (int i = 0; i < 1000; ++i) Run({"SET", "k", "v"});
  std::string len = Run({"XLEN", "bus"});
  int64_t n = std::stoll(len.substr(1));
  EXPECT_GE(n, 1);
  EXPECT_LE(n, 200);  // MAXLEN ~ keeps whole nodes of up to 100 entries
}

}  // namespace
}  // namespace aegisr
