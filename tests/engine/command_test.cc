#include "engine/command.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace aegisr
