#include "engine/command.h"

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

namespace aegisr {
namespace {

void Noop(CommandContext&, ArgList) {}

TEST(CommandRegistryTest, FindIsCaseInsensitive) {
  CommandRegistry r;
  r.Register(CommandSpec("get", 2, kCmdReadonly | kCmdFast, 1, 1, 1, Noop));
  ASSERT_NE(r.Find("GET"), nullptr);
  EXPECT_EQ(r.Find("gEt")->name, "get");
  EXPECT_EQ(r.Find("set"), nullptr);
}

TEST(CommandSpecTest, ArityExactAndMinimum) {
  CommandSpec get("get", 2, 0, 1, 1, 1, Noop);
  EXPECT_TRUE(get.ArityOk(2));
  EXPECT_FALSE(get.ArityOk(3));
  CommandSpec del("del", -2, 0, 1, -1, 1, Noop);
  EXPECT_FALSE(del.ArityOk(1));
  EXPECT_TRUE(del.ArityOk(5));
}

std::vector<size_t> Keys(const CommandSpec& spec, std::vector<std::string_view> args) {
  std::vector<size_t> out;
  spec.ForEachKey(args, [&](size_t i) { out.push_back(i); });
  return out;
}

TEST(CommandSpecTest, KeysByFirstLastStep) {
  CommandSpec mset("mset", -3, 0, 1, -1, 2, Noop);
  EXPECT_EQ(Keys(mset, {"mset", "a", "1", "b", "2"}), (std::vector<size_t>{1, 3}));
  CommandSpec ping("ping", -1, 0, 0, 0, 0, Noop);
  EXPECT_TRUE(Keys(ping, {"ping"}).empty());
}

TEST(CommandSpecTest, KeysCountedByANumkeysArgument) {
  CommandSpec lmpop("lmpop", -4, kCmdMovableKeys, 0, 0, 0, Noop);
  lmpop.numkeys_arg = 1;
  EXPECT_EQ(Keys(lmpop, {"lmpop", "2", "a", "b", "LEFT"}), (std::vector<size_t>{2, 3}));
  EXPECT_EQ(Keys(lmpop, {"lmpop", "1", "a", "LEFT", "COUNT", "3"}), (std::vector<size_t>{2}));
  // A count that is not a positive integer, or runs past the arguments: no keys (the handler
  // replies with the error).
  for (std::string_view bad : {"0", "-1", "abc", "", "01", "5"})
    EXPECT_TRUE(Keys(lmpop, {"lmpop", bad, "a", "b", "LEFT"}).empty()) << bad;
}

}  // namespace
}  // namespace aegisr
