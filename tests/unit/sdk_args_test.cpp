// SPDX-License-Identifier: MIT
// Tests for mgpux::Args, the C++ helper's view of the values a plugin's run
// receives: an on/off flag that was not given is absent, and a plugin can
// tell it from --no-x.
#include "mgpux/plugin.hpp"

#include <gtest/gtest.h>

#include <optional>

namespace {

const char* const kArgs = R"({"command":"x go","values":{"yes-flag":true,"no-flag":false,"name":"Ada"},"global":{}})";

TEST(SdkArgs, FlagIsFalseWhenAbsent) {
    mgpux::Args args(kArgs);
    EXPECT_TRUE(args.flag("yes-flag"));
    EXPECT_FALSE(args.flag("no-flag"));
    EXPECT_FALSE(args.flag("unset"));
}

TEST(SdkArgs, FlagOrTakesTheFallbackOnlyWhenAbsent) {
    mgpux::Args args(kArgs);
    EXPECT_TRUE(args.flag_or("unset", true));
    EXPECT_FALSE(args.flag_or("unset", false));
    EXPECT_FALSE(args.flag_or("no-flag", true));
    EXPECT_TRUE(args.flag_or("yes-flag", false));
}

TEST(SdkArgs, OptionalFlagHasThreeStates) {
    mgpux::Args args(kArgs);
    EXPECT_EQ(args.optional_flag("unset"), std::nullopt);
    EXPECT_EQ(args.optional_flag("no-flag"), std::optional<bool>(false));
    EXPECT_EQ(args.optional_flag("yes-flag"), std::optional<bool>(true));
}

}  // namespace
