// SPDX-License-Identifier: MIT
// Tests for the C++ helper's option builder and bound commands: the builder
// writes the same mgpux_option as the older positional form, and a
// mgpux::Commands list gives both the table and the dispatch by path.
#include "mgpux/plugin.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace {

const char* const kActions[] = {"bash", "jupyter", nullptr};

void expect_same(const mgpux_option& a, const mgpux_option& b) {
    EXPECT_EQ(a.struct_size, b.struct_size);
    EXPECT_STREQ(a.name, b.name);
    EXPECT_EQ(a.short_alias, b.short_alias);
    EXPECT_EQ(a.type, b.type);
    EXPECT_EQ(a.flags, b.flags);
    EXPECT_EQ(a.metavar, b.metavar);
    EXPECT_EQ(a.help, b.help);
    EXPECT_EQ(a.default_value, b.default_value);
    EXPECT_EQ(a.choices, b.choices);
    EXPECT_EQ(a.exclusive_group, b.exclusive_group);
}

TEST(SdkOptionBuilder, WritesWhatThePositionalFormWrites) {
    const char* help = "GPU type";
    const char* metavar = "NAME[:N]";
    const char* group = "compute";
    const mgpux_option built = mgpux::option("gpu").alias('g').metavar(metavar).help(help).exclusive_group(group);
    expect_same(built, mgpux::option("gpu", MGPUX_OPT_STRING, help, nullptr, 0, 'g', nullptr, metavar, group));
}

TEST(SdkOptionBuilder, KindsFlagsAndDefaults) {
    const mgpux_option port = mgpux::option("port").kind(MGPUX_OPT_INT).default_value("8000");
    EXPECT_EQ(port.type, MGPUX_OPT_INT);
    EXPECT_STREQ(port.default_value, "8000");
    EXPECT_EQ(port.flags, 0u);

    const mgpux_option pip = mgpux::option("pip").repeatable().required().hidden();
    EXPECT_EQ(pip.flags, MGPUX_OPTF_REPEATABLE | MGPUX_OPTF_REQUIRED | MGPUX_OPTF_HIDDEN);

    const mgpux_option warm = mgpux::option("warmup").negatable();
    EXPECT_EQ(warm.type, MGPUX_OPT_BOOL);
    EXPECT_EQ(warm.flags, MGPUX_OPTF_NEGATABLE);

    const mgpux_option yes = mgpux::option("force").flag();
    EXPECT_EQ(yes.type, MGPUX_OPT_BOOL);
    EXPECT_EQ(yes.flags, 0u);
}

TEST(SdkOptionBuilder, ChoicesMakeAChoiceOption) {
    const mgpux_option action = mgpux::option("action").choices(kActions);
    EXPECT_EQ(action.type, MGPUX_OPT_CHOICE);
    EXPECT_EQ(action.choices, kActions);
}

TEST(SdkOptionBuilder, PositionalIsRequiredUnlessMadeOptional) {
    const mgpux_option name = mgpux::positional("name").help("the preset");
    expect_same(name, mgpux::positional("name", name.help));
    const mgpux_option opt = mgpux::positional("name").optional();
    EXPECT_EQ(opt.flags, MGPUX_OPTF_POSITIONAL);
}

TEST(SdkOptionBuilder, BuildsAConstantTable) {
    static constexpr mgpux_option kTable[] = {mgpux::option("a").alias('a'), mgpux::positional("b")};
    static_assert(kTable[0].short_alias == 'a', "built at compile time");
    static_assert(kTable[1].flags == (MGPUX_OPTF_POSITIONAL | MGPUX_OPTF_REQUIRED), "built at compile time");
    EXPECT_EQ(kTable[0].struct_size, sizeof(mgpux_option));
}

std::string called;

int keys_create(mgpux::Host&, const mgpux::Args&) {
    called = "create";
    return 7;
}

const mgpux::Commands kCommands{
    mgpux::command("serve", "Serve models"),
    mgpux::command("serve keys create", "Create a key", {mgpux::option("name").required(), mgpux::option("ttl")},
                   keys_create)
        .flags(MGPUX_CMDF_JSON)
        .help("Creates an API key."),
    mgpux::command("serve keys list", "List keys",
                   [](mgpux::Host&, const mgpux::Args& args) {
                       called = "list " + args.str("filter", "-");
                       return 0;
                   })
        .trailing("args"),
};

const mgpux_option kShared[] = {mgpux::option("ttl").kind(MGPUX_OPT_INT)};
const mgpux::Commands kFromArray{mgpux::command("x go", "Go", kShared, keys_create)};

TEST(SdkBinding, AStaticOptionArrayIsCopiedIntoTheTable) {
    ASSERT_EQ(kFromArray.size(), 1u);
    ASSERT_EQ(kFromArray.table()[0].option_count, 1u);
    EXPECT_STREQ(kFromArray.table()[0].options[0].name, "ttl");
    EXPECT_EQ(kFromArray.table()[0].options[0].type, MGPUX_OPT_INT);
}

TEST(SdkBinding, TableHoldsEachCommandOnce) {
    ASSERT_EQ(kCommands.size(), 3u);
    const mgpux_command* t = kCommands.table();
    EXPECT_STREQ(t[0].path, "serve");
    EXPECT_EQ(t[0].option_count, 0u);
    EXPECT_EQ(t[0].options, nullptr);
    EXPECT_STREQ(t[1].path, "serve keys create");
    EXPECT_STREQ(t[1].summary, "Create a key");
    EXPECT_STREQ(t[1].help, "Creates an API key.");
    EXPECT_EQ(t[1].flags, MGPUX_CMDF_JSON);
    ASSERT_EQ(t[1].option_count, 2u);
    EXPECT_STREQ(t[1].options[0].name, "name");
    EXPECT_EQ(t[1].options[0].flags, MGPUX_OPTF_REQUIRED);
    EXPECT_STREQ(t[1].options[1].name, "ttl");
    EXPECT_EQ(t[1].options[0].struct_size, sizeof(mgpux_option));
    EXPECT_EQ(t[2].struct_size, sizeof(mgpux_command));
    EXPECT_STREQ(t[2].trailing_name, "args");
    EXPECT_EQ(t[2].help, nullptr);
}

TEST(SdkBinding, RunCallsTheHandlerBoundToThePath) {
    mgpux::Host host(nullptr);
    called.clear();
    EXPECT_EQ(kCommands.run(host, mgpux::Args(R"({"command":"serve keys create","values":{"name":"a"}})")), 7);
    EXPECT_EQ(called, "create");
    EXPECT_EQ(kCommands.run(host, mgpux::Args(R"({"command":"serve keys list","values":{"filter":"x"}})")), 0);
    EXPECT_EQ(called, "list x");
}

TEST(SdkBinding, AHeadingOrAnUnknownPathIsAFailedCall) {
    mgpux::Host host(nullptr);
    for (const char* args : {R"({"command":"serve"})", R"({"command":"serve keys delete"})"}) {
        try {
            kCommands.run(host, mgpux::Args(args));
            ADD_FAILURE() << args << " ran";
        } catch (const mgpux::Error& e) {
            EXPECT_EQ(e.code(), MGPUX_E_FAILED);
            EXPECT_NE(std::string(e.what()).find("no handler"), std::string::npos);
        }
    }
}

}  // namespace
