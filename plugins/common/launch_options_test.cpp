// SPDX-License-Identifier: MIT
#include "launch_options.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

using namespace mgpux::launch;

namespace {

const mgpux_option* find(const std::vector<mgpux_option>& v, const char* name) {
    for (const auto& o : v)
        if (std::strcmp(o.name, name) == 0) return &o;
    return nullptr;
}

}  // namespace

TEST(SharedOptions, AllGroupsInOrder) {
    const auto v = shared_options(kAllShared, "86400");
    std::vector<std::string> names;
    for (const auto& o : v) names.emplace_back(o.name);
    EXPECT_EQ(names, (std::vector<std::string>{"gpu", "cpu", "memory", "python", "requirements", "pip", "no-deps",
                                               "exclude", "no-default-excludes", "timeout", "save-preset", "image"}));
    for (const auto& o : v) {
        EXPECT_EQ(o.struct_size, sizeof(mgpux_option));
        EXPECT_NE(o.help, nullptr) << o.name;
    }
    EXPECT_STREQ(find(v, "gpu")->exclusive_group, kComputeGroup);
    EXPECT_STREQ(find(v, "cpu")->exclusive_group, kComputeGroup);
    EXPECT_EQ(find(v, "cpu")->type, MGPUX_OPT_INT);
    EXPECT_TRUE(find(v, "pip")->flags & MGPUX_OPTF_REPEATABLE);
    EXPECT_TRUE(find(v, "exclude")->flags & MGPUX_OPTF_REPEATABLE);
    EXPECT_EQ(find(v, "no-deps")->type, MGPUX_OPT_BOOL);
    EXPECT_EQ(find(v, "requirements")->type, MGPUX_OPT_PATH);
    EXPECT_STREQ(find(v, "timeout")->default_value, "86400");
    EXPECT_EQ(find(v, "python")->default_value, nullptr);  // the catalog's default applies
}

TEST(SharedOptions, SubsetsAndNoTimeoutDefault) {
    const auto v = shared_options(kCompute | kTimeout);
    EXPECT_EQ(v.size(), 4u);
    EXPECT_EQ(find(v, "pip"), nullptr);
    EXPECT_EQ(find(v, "timeout")->default_value, nullptr);
    EXPECT_TRUE(shared_options(0).empty());
}

TEST(SharedOptions, OwnOptionsComeFirst) {
    const auto v =
        with_shared({mgpux::option("entry", MGPUX_OPT_STRING, "module:object", nullptr, 0, 'e')}, kCompute | kExcludes);
    ASSERT_EQ(v.size(), 6u);
    EXPECT_STREQ(v[0].name, "entry");
    EXPECT_STREQ(v[1].name, "gpu");
}

TEST(SharedOptions, DuplicateNameIsRefused) {
    EXPECT_THROW(with_shared({mgpux::option("gpu", MGPUX_OPT_STRING, "again")}), std::logic_error);
}
