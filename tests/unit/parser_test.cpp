// SPDX-License-Identifier: MIT
// Tests for the command-line parser: option kinds,
// positionals, exclusive groups, the trailing list, global options anywhere,
// no abbreviation guessing and "did you mean" suggestions.
#include "cli/command_model.hpp"
#include "cli/command_tree.hpp"
#include "cli/parser.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace {

using mgpux::cli::CommandNode;
using mgpux::cli::CommandSpec;
using mgpux::cli::GlobalOptions;
using mgpux::cli::OptionSpec;
using mgpux::cli::OptionType;
using mgpux::cli::ParseResult;
using mgpux::cli::UsageError;
namespace json = boost::json;

OptionSpec opt(std::string name, OptionType type = OptionType::String) {
    OptionSpec o;
    o.name = std::move(name);
    o.type = type;
    o.metavar = o.name;
    for (auto& c : o.metavar) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return o;
}

OptionSpec positional(std::string name, bool required, bool repeatable = false) {
    OptionSpec o = opt(std::move(name));
    o.positional = true;
    o.required = required;
    o.repeatable = repeatable;
    return o;
}

// A small tree:
//   info                       (no options)
//   serve                      (group)
//   serve launch               (every option kind)
//   serve keys create          (required option, positionals)
//   run                        (positionals with a repeatable last one, trailing list "args")
std::vector<CommandSpec> make_specs() {
    std::vector<CommandSpec> specs;

    CommandSpec info;
    info.path = {"info"};
    info.summary = "Show what the host found";
    specs.push_back(info);

    CommandSpec launch;
    launch.path = {"serve", "launch"};
    launch.summary = "Launch a server";
    launch.options.push_back(opt("name"));
    {
        OptionSpec o = opt("timeout", OptionType::Int);
        o.default_value = "30";
        launch.options.push_back(o);
    }
    launch.options.push_back(opt("ratio", OptionType::Float));
    launch.options.push_back(opt("detach", OptionType::Bool));
    {
        OptionSpec o = opt("cache", OptionType::Bool);
        o.negatable = true;
        launch.options.push_back(o);
    }
    {
        OptionSpec o = opt("gpu", OptionType::Choice);
        o.short_alias = 'g';
        o.choices = {"A100", "H100", "T4"};
        launch.options.push_back(o);
    }
    launch.options.push_back(opt("script", OptionType::Path));
    {
        OptionSpec o = opt("pip");
        o.repeatable = true;
        launch.options.push_back(o);
    }
    {
        OptionSpec o = opt("port", OptionType::Int);
        o.repeatable = true;
        o.default_value = "8000";
        launch.options.push_back(o);
    }
    launch.options.push_back(opt("versions"));
    {
        OptionSpec o = opt("interactive-shell", OptionType::Bool);
        o.negatable = true;
        launch.options.push_back(o);
    }
    {
        OptionSpec o = opt("warm", OptionType::Bool);
        o.default_value = "true";
        o.negatable = true;
        launch.options.push_back(o);
    }
    {
        OptionSpec o = opt("image");
        o.exclusive_group = "source";
        launch.options.push_back(o);
    }
    {
        OptionSpec o = opt("dockerfile", OptionType::Path);
        o.exclusive_group = "source";
        launch.options.push_back(o);
    }
    specs.push_back(launch);

    CommandSpec create;
    create.path = {"serve", "keys", "create"};
    create.summary = "Create a key";
    {
        OptionSpec o = opt("label");
        o.required = true;
        create.options.push_back(o);
    }
    create.options.push_back(positional("key-name", true));
    {
        OptionSpec o = positional("region", false);
        o.default_value = "us-east";
        create.options.push_back(o);
    }
    specs.push_back(create);

    CommandSpec run;
    run.path = {"run"};
    run.summary = "Run a script";
    run.trailing_name = "args";
    run.options.push_back(positional("app", true));
    run.options.push_back(positional("files", false, true));
    specs.push_back(run);

    return specs;
}

class ParserTest : public ::testing::Test {
protected:
    void SetUp() override {
        specs_ = make_specs();
        std::vector<std::string> warnings;
        root_ = mgpux::cli::build_tree({{nullptr, "test", "Test commands", "Commands", &specs_}},
                                       [&](const std::string& w) { warnings.push_back(w); });
        ASSERT_TRUE(warnings.empty());
    }

    ParseResult parse(const std::vector<std::string>& args) const {
        return mgpux::cli::parse_command_line(*root_, args);
    }

    // The message of the UsageError that parsing `args` throws ("" if none).
    std::string usage_error(const std::vector<std::string>& args) const {
        try {
            parse(args);
        } catch (const UsageError& e) {
            return e.what();
        }
        ADD_FAILURE() << "expected a UsageError";
        return {};
    }

    std::vector<CommandSpec> specs_;
    std::unique_ptr<CommandNode> root_;
};

// ------------------------------------------------------------- option kinds

TEST_F(ParserTest, ResolvesCommandPath) {
    auto r = parse({"serve", "launch"});
    ASSERT_NE(r.node, nullptr);
    EXPECT_EQ(r.node->path_string(), "serve launch");
    ASSERT_NE(r.node->command, nullptr);
    EXPECT_EQ(r.node->command->summary, "Launch a server");
}

TEST_F(ParserTest, StringOption) {
    auto r = parse({"serve", "launch", "--name", "my app"});
    EXPECT_EQ(r.values.at("name"), json::value("my app"));
    auto eq = parse({"serve", "launch", "--name=x=y"});
    EXPECT_EQ(eq.values.at("name"), json::value("x=y"));
}

TEST_F(ParserTest, IntOption) {
    auto r = parse({"serve", "launch", "--timeout", "120"});
    ASSERT_TRUE(r.values.at("timeout").is_int64());
    EXPECT_EQ(r.values.at("timeout").as_int64(), 120);
}

TEST_F(ParserTest, IntOptionAcceptsNegativeValue) {
    EXPECT_EQ(parse({"serve", "launch", "--timeout", "-5"}).values.at("timeout"), json::value(-5));
    EXPECT_EQ(parse({"serve", "launch", "--timeout=-7"}).values.at("timeout"), json::value(-7));
}

TEST_F(ParserTest, IntOptionRejectsText) {
    EXPECT_THROW(parse({"serve", "launch", "--timeout", "abc"}), UsageError);
    EXPECT_THROW(parse({"serve", "launch", "--timeout", "12abc"}), UsageError);
    EXPECT_THROW(parse({"serve", "launch", "--timeout", "1.5"}), UsageError);
    const std::string msg = usage_error({"serve", "launch", "--timeout", "abc"});
    EXPECT_NE(msg.find("'abc'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("--timeout"), std::string::npos) << msg;
    EXPECT_NE(msg.find("integer"), std::string::npos) << msg;
}

TEST_F(ParserTest, FloatOption) {
    auto r = parse({"serve", "launch", "--ratio", "0.25"});
    ASSERT_TRUE(r.values.at("ratio").is_double());
    EXPECT_DOUBLE_EQ(r.values.at("ratio").as_double(), 0.25);
    EXPECT_THROW(parse({"serve", "launch", "--ratio", "fast"}), UsageError);
    EXPECT_THROW(parse({"serve", "launch", "--ratio", "nan"}), UsageError);
    EXPECT_THROW(parse({"serve", "launch", "--ratio", "inf"}), UsageError);
}

TEST_F(ParserTest, BoolFlagPresentAndAbsent) {
    auto given = parse({"serve", "launch", "--detach"});
    EXPECT_EQ(given.values.at("detach"), json::value(true));
    auto absent = parse({"serve", "launch"});
    ASSERT_TRUE(absent.values.contains("detach"));
    EXPECT_EQ(absent.values.at("detach"), json::value(false));
}

TEST_F(ParserTest, NegatableFlag) {
    EXPECT_EQ(parse({"serve", "launch", "--cache"}).values.at("cache"), json::value(true));
    EXPECT_EQ(parse({"serve", "launch", "--no-cache"}).values.at("cache"), json::value(false));
    // Not given and without a default: absent, so a plugin can tell it from --no-cache.
    EXPECT_FALSE(parse({"serve", "launch"}).values.contains("cache"));
    // A default of true is kept unless --no-x is given.
    EXPECT_EQ(parse({"serve", "launch"}).values.at("warm"), json::value(true));
    EXPECT_EQ(parse({"serve", "launch", "--no-warm"}).values.at("warm"), json::value(false));
}

TEST_F(ParserTest, UnsetNegatableFlagsReadAsFalseForAbi10Plugins) {
    auto r = parse({"serve", "launch", "--no-warm"});
    mgpux::cli::add_unset_flags_as_false(*r.node->command, r.values);
    EXPECT_EQ(r.values.at("cache"), json::value(false));
    EXPECT_EQ(r.values.at("interactive-shell"), json::value(false));
    EXPECT_EQ(r.values.at("warm"), json::value(false));  // given values are kept
    auto given = parse({"serve", "launch", "--cache"});
    mgpux::cli::add_unset_flags_as_false(*given.node->command, given.values);
    EXPECT_EQ(given.values.at("cache"), json::value(true));
    EXPECT_FALSE(given.values.contains("name"));  // only on/off flags are filled in
}

TEST_F(ParserTest, NegatableBothGivenIsError) {
    const std::string msg = usage_error({"serve", "launch", "--cache", "--no-cache"});
    EXPECT_NE(msg.find("--cache"), std::string::npos) << msg;
    EXPECT_NE(msg.find("--no-cache"), std::string::npos) << msg;
}

TEST_F(ParserTest, NonNegatableFlagHasNoNoForm) { EXPECT_THROW(parse({"serve", "launch", "--no-detach"}), UsageError); }

TEST_F(ParserTest, ChoiceOption) {
    auto r = parse({"serve", "launch", "--gpu", "H100"});
    EXPECT_EQ(r.values.at("gpu"), json::value("H100"));
}

TEST_F(ParserTest, ChoiceOutsideChoicesNamesThem) {
    const std::string msg = usage_error({"serve", "launch", "--gpu", "V100"});
    EXPECT_NE(msg.find("'V100'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("A100, H100, T4"), std::string::npos) << msg;
    // Choices are case-sensitive.
    EXPECT_THROW(parse({"serve", "launch", "--gpu", "a100"}), UsageError);
}

TEST_F(ParserTest, PathOptionIsKeptVerbatim) {
    auto r = parse({"serve", "launch", "--script", "./dir with space/app.py"});
    EXPECT_EQ(r.values.at("script"), json::value("./dir with space/app.py"));
}

TEST_F(ParserTest, DashIsAnOrdinaryValue) {
    // `-` means "read it from stdin" to some commands; the parser keeps it.
    EXPECT_EQ(parse({"serve", "launch", "--name", "-"}).values.at("name"), json::value("-"));
    EXPECT_EQ(parse({"run", "-"}).values.at("app"), json::value("-"));
}

TEST_F(ParserTest, ShortAlias) {
    auto r = parse({"serve", "launch", "-g", "A100"});
    EXPECT_EQ(r.values.at("gpu"), json::value("A100"));
    // A short alias is stored under the long name only.
    EXPECT_FALSE(r.values.contains("g"));
    EXPECT_EQ(parse({"serve", "launch", "-gT4"}).values.at("gpu"), json::value("T4"));
    EXPECT_THROW(parse({"serve", "launch", "-g", "V100"}), UsageError);
}

TEST_F(ParserTest, RepeatableCollectsArray) {
    auto r = parse({"serve", "launch", "--pip", "a", "--pip", "b"});
    EXPECT_EQ(r.values.at("pip"), (json::array{"a", "b"}));
    auto one = parse({"serve", "launch", "--pip", "only"});
    EXPECT_EQ(one.values.at("pip"), (json::array{"only"}));
    // Not given and no default: absent.
    EXPECT_FALSE(parse({"serve", "launch"}).values.contains("pip"));
}

TEST_F(ParserTest, RepeatableIntIsTypedAndDefaultIsArray) {
    auto r = parse({"serve", "launch", "--port", "1", "--port", "2"});
    EXPECT_EQ(r.values.at("port"), (json::array{1, 2}));
    EXPECT_EQ(parse({"serve", "launch"}).values.at("port"), (json::array{8000}));
}

TEST_F(ParserTest, NonRepeatableGivenTwiceIsError) {
    const std::string msg = usage_error({"serve", "launch", "--name", "a", "--name", "b"});
    EXPECT_NE(msg.find("--name"), std::string::npos) << msg;
    EXPECT_NE(msg.find("more than once"), std::string::npos) << msg;
}

TEST_F(ParserTest, RequiredOptionMissing) {
    const std::string msg = usage_error({"serve", "keys", "create", "k1"});
    EXPECT_NE(msg.find("--label"), std::string::npos) << msg;
}

TEST_F(ParserTest, DefaultsAppliedAndTyped) {
    auto r = parse({"serve", "launch"});
    ASSERT_TRUE(r.values.contains("timeout"));
    ASSERT_TRUE(r.values.at("timeout").is_int64());
    EXPECT_EQ(r.values.at("timeout").as_int64(), 30);
    // Options without a default and not given are absent.
    EXPECT_FALSE(r.values.contains("name"));
    EXPECT_FALSE(r.values.contains("ratio"));
}

// -------------------------------------------------------------- positionals

TEST_F(ParserTest, PositionalsRequiredAndOptional) {
    auto r = parse({"serve", "keys", "create", "--label", "L", "k1", "eu-west"});
    EXPECT_EQ(r.node->path_string(), "serve keys create");
    EXPECT_EQ(r.values.at("label"), json::value("L"));
    EXPECT_EQ(r.values.at("key-name"), json::value("k1"));
    EXPECT_EQ(r.values.at("region"), json::value("eu-west"));

    auto defaulted = parse({"serve", "keys", "create", "k1", "--label", "L"});
    EXPECT_EQ(defaulted.values.at("key-name"), json::value("k1"));
    EXPECT_EQ(defaulted.values.at("region"), json::value("us-east"));
}

TEST_F(ParserTest, RequiredPositionalMissing) {
    const std::string msg = usage_error({"serve", "keys", "create", "--label", "L"});
    EXPECT_NE(msg.find("KEY-NAME"), std::string::npos) << msg;
}

TEST_F(ParserTest, TooManyPositionalsIsError) {
    const std::string msg = usage_error({"serve", "keys", "create", "--label", "L", "a", "b", "c"});
    EXPECT_NE(msg.find("'c'"), std::string::npos) << msg;
    EXPECT_THROW(parse({"info", "extra"}), UsageError);
}

TEST_F(ParserTest, LastRepeatablePositionalTakesTheRest) {
    auto r = parse({"run", "app.py", "a.txt", "b.txt", "c.txt"});
    EXPECT_EQ(r.values.at("app"), json::value("app.py"));
    EXPECT_EQ(r.values.at("files"), (json::array{"a.txt", "b.txt", "c.txt"}));
    auto none = parse({"run", "app.py"});
    EXPECT_FALSE(none.values.contains("files"));
}

// ----------------------------------------------------------- exclusive group

TEST_F(ParserTest, MutuallyExclusiveGroup) {
    EXPECT_EQ(parse({"serve", "launch", "--image", "img"}).values.at("image"), json::value("img"));
    EXPECT_EQ(parse({"serve", "launch", "--dockerfile", "Dockerfile"}).values.at("dockerfile"),
              json::value("Dockerfile"));
    const std::string msg = usage_error({"serve", "launch", "--image", "img", "--dockerfile", "Dockerfile"});
    EXPECT_NE(msg.find("--image"), std::string::npos) << msg;
    EXPECT_NE(msg.find("--dockerfile"), std::string::npos) << msg;
}

// ------------------------------------------------------------ trailing list

TEST_F(ParserTest, TrailingListCollectedVerbatim) {
    auto r = parse({"run", "app.py", "--", "--json", "-v", "plain", "--"});
    EXPECT_TRUE(r.trailing_given);
    EXPECT_EQ(r.trailing, (std::vector<std::string>{"--json", "-v", "plain", "--"}));
    EXPECT_EQ(r.values.at("args"), (json::array{"--json", "-v", "plain", "--"}));
    // What follows `--` is not a global option.
    EXPECT_FALSE(r.globals.json);
    EXPECT_EQ(r.globals.verbosity, 0);
    // And not a positional either.
    EXPECT_FALSE(r.values.contains("files"));
}

TEST_F(ParserTest, TrailingListEmptyWhenNotGiven) {
    auto r = parse({"run", "app.py"});
    EXPECT_FALSE(r.trailing_given);
    EXPECT_EQ(r.values.at("args"), json::array{});
}

TEST_F(ParserTest, DoubleDashRejectedWithoutTrailingName) {
    const std::string msg = usage_error({"serve", "launch", "--", "x"});
    EXPECT_NE(msg.find("--"), std::string::npos) << msg;
    EXPECT_THROW(parse({"serve", "--", "x"}), UsageError);  // a group
}

// ---------------------------------------------------------- global options

TEST_F(ParserTest, GlobalBeforeAndAfterCommandWords) {
    auto before = parse({"--json", "info"});
    EXPECT_TRUE(before.globals.json);
    EXPECT_EQ(before.node->path_string(), "info");
    auto after = parse({"info", "--json"});
    EXPECT_TRUE(after.globals.json);
    EXPECT_EQ(after.node->path_string(), "info");
    auto between = parse({"serve", "--dry-run", "launch", "--name", "n"});
    EXPECT_TRUE(between.globals.dry_run);
    EXPECT_EQ(between.node->path_string(), "serve launch");
    EXPECT_EQ(between.values.at("name"), json::value("n"));
    EXPECT_FALSE(parse({"info"}).globals.json);
}

TEST_F(ParserTest, ProfileWithEqualsOrSeparateValue) {
    auto eq = parse({"--profile=work", "info"});
    ASSERT_TRUE(eq.globals.profile.has_value());
    EXPECT_EQ(*eq.globals.profile, "work");
    auto sep = parse({"info", "--profile", "home"});
    ASSERT_TRUE(sep.globals.profile.has_value());
    EXPECT_EQ(*sep.globals.profile, "home");
    EXPECT_EQ(sep.node->path_string(), "info");
    EXPECT_FALSE(parse({"info"}).globals.profile.has_value());
    EXPECT_THROW(parse({"info", "--profile"}), UsageError);
    EXPECT_THROW(parse({"info", "--profile="}), UsageError);
}

TEST_F(ParserTest, ShortGlobalClusters) {
    auto yv = parse({"-yv", "info"});
    EXPECT_TRUE(yv.globals.yes);
    EXPECT_EQ(yv.globals.verbosity, 1);
    EXPECT_EQ(parse({"info", "-vv"}).globals.verbosity, 2);
    EXPECT_EQ(parse({"-v", "info", "-v"}).globals.verbosity, 2);
    EXPECT_EQ(parse({"-q", "info"}).globals.verbosity, -1);
    EXPECT_EQ(parse({"--verbose", "--quiet", "--verbose", "info"}).globals.verbosity, 1);
}

TEST_F(ParserTest, OtherFlagGlobals) {
    auto r = parse({"--yes", "--no-input", "--dry-run", "--script-out", "out.py", "info"});
    EXPECT_TRUE(r.globals.yes);
    EXPECT_TRUE(r.globals.no_input);
    EXPECT_TRUE(r.globals.dry_run);
    ASSERT_TRUE(r.globals.script_out.has_value());
    EXPECT_EQ(*r.globals.script_out, "out.py");
}

TEST_F(ParserTest, ColorValues) {
    EXPECT_EQ(parse({"info"}).globals.color, "auto");
    EXPECT_EQ(parse({"--color", "never", "info"}).globals.color, "never");
    EXPECT_EQ(parse({"info", "--color=always"}).globals.color, "always");
    const std::string msg = usage_error({"--color", "bogus", "info"});
    EXPECT_NE(msg.find("bogus"), std::string::npos) << msg;
}

TEST_F(ParserTest, BackendValues) {
    auto r = parse({"--backend", "local", "info"});
    ASSERT_TRUE(r.globals.backend.has_value());
    EXPECT_EQ(*r.globals.backend, "local");
    EXPECT_FALSE(parse({"info"}).globals.backend.has_value());
    EXPECT_THROW(parse({"--backend", "cloud", "info"}), UsageError);
}

TEST_F(ParserTest, ExtractGlobalOptionsKeepsOtherTokensInOrder) {
    GlobalOptions g;
    auto rest = mgpux::cli::extract_global_options(
        {"serve", "--json", "launch", "-g", "A100", "--profile", "p", "-q", "--name", "n", "--", "--json"}, g);
    EXPECT_EQ(rest, (std::vector<std::string>{"serve", "launch", "-g", "A100", "--name", "n", "--", "--json"}));
    EXPECT_TRUE(g.json);
    EXPECT_EQ(g.verbosity, -1);
    ASSERT_TRUE(g.profile.has_value());
    EXPECT_EQ(*g.profile, "p");
}

TEST_F(ParserTest, HelpAnywhereResolvesDeepestNode) {
    auto r = parse({"serve", "launch", "--help"});
    EXPECT_TRUE(r.globals.help);
    EXPECT_EQ(r.node->path_string(), "serve launch");

    auto mid = parse({"serve", "-h", "keys", "create"});
    EXPECT_TRUE(mid.globals.help);
    EXPECT_EQ(mid.node->path_string(), "serve keys create");

    auto group = parse({"--help", "serve"});
    EXPECT_TRUE(group.globals.help);
    EXPECT_EQ(group.node->path_string(), "serve");

    // Help wins over what would otherwise be an error (missing --label).
    auto lenient = parse({"serve", "keys", "create", "-h"});
    EXPECT_TRUE(lenient.globals.help);
    EXPECT_EQ(lenient.node->path_string(), "serve keys create");
}

TEST_F(ParserTest, GroupWithoutCommandWordIsNotAnError) {
    auto r = parse({"serve"});
    EXPECT_EQ(r.node->path_string(), "serve");
    EXPECT_EQ(r.node->command, nullptr);
    auto root = parse({});
    EXPECT_EQ(root.node, root_.get());
}

// ------------------------------------------------- no guessing, suggestions

TEST_F(ParserTest, NoAbbreviationGuessing) {
    const std::string msg = usage_error({"serve", "launch", "--ver", "1"});
    EXPECT_NE(msg.find("unknown option '--ver'"), std::string::npos) << msg;
    EXPECT_THROW(parse({"serve", "launch", "--nam", "x"}), UsageError);
    EXPECT_THROW(parse({"serve", "launch", "--det"}), UsageError);
}

TEST_F(ParserTest, NoPrefixMeansNoInput) {
    // `--no-i` is neither --no-input (global) nor --no-interactive-shell.
    EXPECT_THROW(parse({"serve", "launch", "--no-i"}), UsageError);
    EXPECT_THROW(parse({"info", "--no-i"}), UsageError);
    EXPECT_THROW(parse({"info", "--no-inp"}), UsageError);
}

TEST_F(ParserTest, UnknownCommandSuggests) {
    const std::string top = usage_error({"serv"});
    EXPECT_NE(top.find("unknown command 'serv'"), std::string::npos) << top;
    EXPECT_NE(top.find("did you mean 'serve'"), std::string::npos) << top;

    const std::string sub = usage_error({"serve", "lanch"});
    EXPECT_NE(sub.find("'lanch'"), std::string::npos) << sub;
    EXPECT_NE(sub.find("did you mean 'launch'"), std::string::npos) << sub;

    const std::string far = usage_error({"zzzzzz"});
    EXPECT_EQ(far.find("did you mean"), std::string::npos) << far;
}

TEST_F(ParserTest, UnknownCommandErrorCarriesNode) {
    try {
        parse({"serve", "lanch"});
        FAIL() << "expected a UsageError";
    } catch (const UsageError& e) {
        ASSERT_NE(e.node, nullptr);
        EXPECT_EQ(e.node->path_string(), "serve");
    }
}

TEST_F(ParserTest, UnknownOptionSuggests) {
    const std::string msg = usage_error({"serve", "launch", "--detatch"});
    EXPECT_NE(msg.find("unknown option '--detatch'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("did you mean '--detach'"), std::string::npos) << msg;

    const std::string neg = usage_error({"serve", "launch", "--no-cahce"});
    EXPECT_NE(neg.find("did you mean '--no-cache'"), std::string::npos) << neg;

    // On a group, options of no command are offered; globals still are.
    const std::string grp = usage_error({"serve", "--jsn"});
    EXPECT_NE(grp.find("did you mean '--json'"), std::string::npos) << grp;
}

// A command that is also a group heading (`account` with `account switch`
// under it): a mistyped subcommand is blamed, not the argument after it.
TEST(ParserHeadingTest, MistypedSubcommandWithArgumentSuggestsTheSubcommand) {
    std::vector<CommandSpec> specs(2);
    specs[0].path = {"account"};
    specs[0].summary = "Profiles";
    specs[1].path = {"account", "switch"};
    specs[1].summary = "Switch";
    specs[1].options.push_back(positional("name", true));
    auto root = mgpux::cli::build_tree({{nullptr, "account", "Profiles", "Commands", &specs}}, nullptr);
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"account", "swich"}, std::vector<std::string>{"account", "swich", "p1"},
          std::vector<std::string>{"account", "swich", "p1", "p2"}}) {
        try {
            mgpux::cli::parse_command_line(*root, args);
            ADD_FAILURE() << "expected a UsageError for " << args.size() << " words";
        } catch (const UsageError& e) {
            const std::string msg = e.what();
            EXPECT_NE(msg.find("unknown command 'swich' for 'm-gpux account'"), std::string::npos) << msg;
            EXPECT_NE(msg.find("did you mean 'switch'"), std::string::npos) << msg;
            ASSERT_NE(e.node, nullptr);
            EXPECT_EQ(e.node->path_string(), "account");
        }
    }
}

}  // namespace
