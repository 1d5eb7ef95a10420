// Engine::Dispatch's accounting through the real reply encoder: calls, rejected and failed
// calls per command, as INFO commandstats reports them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/config.h"
#include "engine/engine.h"
#include "net/resp_writer.h"

namespace aegisr {
namespace {

class DispatchStatsTest : public ::testing::Test {
 protected:
  std::string Run(std::vector<std::string_view> args) {
    writer_.clear();
    engine_.Dispatch(client_, writer_, args);
    return writer_.buffer();
  }
  const ThreadStats::PerCommand& Stats(std::string_view name) {
    const CommandSpec* spec = engine_.commands().Find(name);
    EXPECT_NE(spec, nullptr);
    return engine_.thread_stats().per_command[spec->id];
  }

  Config config_;
  Engine engine_{&config_};
  ClientState client_;
  RespWriter writer_;
};

TEST_F(DispatchStatsTest, ErrorReplyFromHandlerCountsAsFailedCall) {
  EXPECT_EQ(Run({"SET", "s", "x"}), "+OK\r\n");
  EXPECT_EQ(Run({"INCR", "s"}), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(Stats("incr").calls.load(), 1u);
  EXPECT_EQ(Stats("incr").failed.load(), 1u);
  EXPECT_EQ(Stats("set").failed.load(), 0u);
}

TEST_F(DispatchStatsTest, ArityErrorCountsAsRejectedNotCalled) {
  EXPECT_EQ(Run({"GET"}), "-ERR wrong number of arguments for 'get' command\r\n");
  EXPECT_EQ(Stats("get").rejected.load(), 1u);
  EXPECT_EQ(Stats("get").calls.load(), 0u);
}

TEST_F(DispatchStatsTest, UnknownCommandErrorStopsAtNulAndTruncatesArgs) {
  std::string big(200, 'a');
  EXPECT_EQ(Run({std::string_view("GE\0T", 4), "x"}),
            "-ERR unknown command 'GE', with args beginning with: 'x' \r\n");
  std::string reply = Run({"nope", big, "b"});
  // Redis stops adding arguments once 128 bytes of them are shown.
  EXPECT_EQ(reply, "-ERR unknown command 'nope', with args beginning with: '" +
                       std::string(128, 'a') + "' \r\n");
}

}  // namespace
}  // namespace aegisr
