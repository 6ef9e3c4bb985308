// SPDX-License-Identifier: MIT
// Tests for the console service: table layout, where each kind of text goes
// (stdout holds only the JSON document under --json), and colour decisions.
#include "services/console.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdlib>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>

namespace {

using mgpux::services::Console;
using mgpux::services::ConsoleSettings;
using mgpux::services::decide_color;
using mgpux::services::format_table;
using mgpux::services::Table;
using mgpux::services::table_from_json;
using mgpux::services::TextKind;
namespace json = boost::json;

// ------------------------------------------------------------------ tables

TEST(FormatTable, PadsToWidestCellWithRule) {
    Table t;
    t.columns = {"NAME", "GPU", "STATE"};
    t.rows = {{"a", "A100", "running"}, {"longer-name", "T4", "stopped"}};
    EXPECT_EQ(format_table(t),
              "NAME         GPU   STATE\n"
              "-----------  ----  -------\n"
              "a            A100  running\n"
              "longer-name  T4    stopped\n");
}

TEST(FormatTable, TitleFirst) {
    Table t;
    t.title = "Apps";
    t.columns = {"ID"};
    t.rows = {{"ap-1"}};
    EXPECT_EQ(format_table(t), "Apps\nID\n----\nap-1\n");
}

TEST(FormatTable, TrailingSpacesTrimmed) {
    Table t;
    t.columns = {"KEY", "VALUE"};
    t.rows = {{"a", ""}, {"b", "x"}};
    const std::string out = format_table(t);
    EXPECT_EQ(out, "KEY  VALUE\n---  -----\na\nb    x\n");
    EXPECT_EQ(out.find(" \n"), std::string::npos);
}

TEST(FormatTable, ShortRowsArePadded) {
    Table t;
    t.columns = {"A", "B", "C"};
    t.rows = {{"1"}};
    EXPECT_EQ(format_table(t), "A  B  C\n-  -  -\n1\n");
}

TEST(FormatTable, Utf8CountsCodePoints) {
    Table t;
    t.columns = {"NAME", "N"};
    t.rows = {{"caf\xc3\xa9s", "1"}, {"\xe2\x9c\x93", "2"}};  // "cafés" (5), "✓" (1)
    EXPECT_EQ(format_table(t),
              "NAME   N\n"
              "-----  -\n"
              "caf\xc3\xa9s  1\n"
              "\xe2\x9c\x93      2\n");
}

TEST(TableFromJson, ReadsTitleColumnsRows) {
    Table t =
        table_from_json(json::parse(R"({"title":"T","columns":["A","B","C","D"],"rows":[["x",1,true,null],["y"]]})"));
    EXPECT_EQ(t.title, "T");
    EXPECT_EQ(t.columns, (std::vector<std::string>{"A", "B", "C", "D"}));
    ASSERT_EQ(t.rows.size(), 2u);
    EXPECT_EQ(t.rows[0], (std::vector<std::string>{"x", "1", "yes", ""}));
    EXPECT_EQ(t.rows[1], (std::vector<std::string>{"y", "", "", ""}));
}

TEST(TableFromJson, RowsAreOptional) {
    Table t = table_from_json(json::parse(R"({"columns":["A"]})"));
    EXPECT_EQ(t.columns.size(), 1u);
    EXPECT_TRUE(t.rows.empty());
    EXPECT_EQ(t.title, "");
}

TEST(TableFromJson, MalformedInputThrows) {
    for (const char* text : {R"([])", R"("table")", R"({})", R"({"columns":"A"})", R"({"columns":["A"],"rows":{}})",
                             R"({"columns":["A"],"rows":["x"]})", R"({"columns":["A"],"rows":[["x"], 3]})"}) {
        EXPECT_THROW(table_from_json(json::parse(text)), std::invalid_argument) << text;
    }
}

// ----------------------------------------------------------------- routing

struct Streams {
    std::ostringstream out;
    std::ostringstream err;
};

TEST(ConsoleRouting, PlainToOutInfoAndWarningToErr) {
    Streams s;
    Console c(ConsoleSettings{}, s.out, s.err);
    c.text(TextKind::Plain, "plain\n");
    c.text(TextKind::Success, "done\n");
    c.text(TextKind::Heading, "Head\n");
    c.text(TextKind::Info, "info\n");
    c.text(TextKind::Warning, "careful\n");
    c.text(TextKind::Error, "bad\n");
    EXPECT_EQ(s.out.str(), "plain\ndone\nHead\n");
    EXPECT_EQ(s.err.str(), "info\ncareful\nbad\n");
}

TEST(ConsoleRouting, WarningAndErrorHelpers) {
    Streams s;
    Console c(ConsoleSettings{}, s.out, s.err);
    c.warning("disk almost full");
    c.error("modal failed");
    EXPECT_EQ(s.out.str(), "");
    EXPECT_EQ(s.err.str(), "m-gpux: warning: disk almost full\nm-gpux: error: modal failed\n");
}

TEST(ConsoleRouting, JsonModeKeepsStdoutForTheDocument) {
    Streams s;
    ConsoleSettings settings;
    settings.json = true;
    Console c(settings, s.out, s.err);
    c.text(TextKind::Plain, "plain\n");
    c.text(TextKind::Success, "done\n");
    Table t;
    t.columns = {"A"};
    c.table(t);
    EXPECT_EQ(s.out.str(), "");
    EXPECT_EQ(s.err.str(), "plain\ndone\nA\n-\n");

    EXPECT_FALSE(c.json_written());
    EXPECT_TRUE(c.json(json::parse(R"({"ok":true,"n":[1]})")));
    EXPECT_TRUE(c.json_written());
    const std::string doc = "{\n  \"ok\": true,\n  \"n\": [\n    1\n  ]\n}\n";
    EXPECT_EQ(s.out.str(), doc);

    EXPECT_FALSE(c.json(json::parse(R"({"second":1})")));
    EXPECT_EQ(s.out.str(), doc);
}

TEST(ConsoleRouting, TableGoesToOut) {
    Streams s;
    Console c(ConsoleSettings{}, s.out, s.err);
    Table t;
    t.columns = {"A", "B"};
    t.rows = {{"1", "2"}};
    c.table(t);
    EXPECT_EQ(s.out.str(), "A  B\n-  -\n1  2\n");
    EXPECT_EQ(s.err.str(), "");
}

TEST(ConsoleRouting, QuietHidesInfoOnly) {
    Streams s;
    ConsoleSettings settings;
    settings.verbosity = -1;
    Console c(settings, s.out, s.err);
    c.text(TextKind::Info, "hidden\n");
    c.text(TextKind::Warning, "shown\n");
    c.text(TextKind::Plain, "result\n");
    c.progress("working");
    EXPECT_EQ(s.out.str(), "result\n");
    EXPECT_EQ(s.err.str(), "shown\n");
}

TEST(ConsoleRouting, ProgressWithoutTerminalIsOneLine) {
    Streams s;
    Console c(ConsoleSettings{}, s.out, s.err);
    c.progress("Deploying");
    c.progress(nullptr);
    EXPECT_EQ(s.err.str(), "Deploying...\n");
    EXPECT_EQ(s.out.str(), "");
}

TEST(ConsoleRouting, ColourOnlyWhereEnabled) {
    Streams plain;
    Console no(ConsoleSettings{}, plain.out, plain.err);
    no.text(TextKind::Success, "ok\n");
    EXPECT_EQ(plain.out.str(), "ok\n");

    Streams coloured;
    ConsoleSettings settings;
    settings.color_stdout = true;
    Console yes(settings, coloured.out, coloured.err);
    yes.text(TextKind::Success, "ok\n");
    yes.text(TextKind::Warning, "w\n");  // stderr colour is off
    EXPECT_EQ(coloured.out.str(), "\033[32mok\033[0m\n");
    EXPECT_EQ(coloured.err.str(), "w\n");
}

// ------------------------------------------------------------------ colour

// Sets or clears an environment variable for one scope.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value) ::setenv(name, value, 1);
        else ::unsetenv(name);
    }
    ~ScopedEnv() {
        if (old_) ::setenv(name_, old_->c_str(), 1);
        else ::unsetenv(name_);
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    const char* name_;
    std::optional<std::string> old_;
};

TEST(DecideColor, ExplicitModes) {
    ScopedEnv no_color("NO_COLOR", "1");
    EXPECT_FALSE(decide_color("never", true));
    EXPECT_TRUE(decide_color("always", false));
}

TEST(DecideColor, AutoFollowsTerminal) {
    ScopedEnv no_color("NO_COLOR", nullptr);
    ScopedEnv term("TERM", "xterm-256color");
    EXPECT_FALSE(decide_color("auto", false));
    EXPECT_TRUE(decide_color("auto", true));
}

TEST(DecideColor, AutoHonoursNoColorAndDumbTerminal) {
    {
        ScopedEnv no_color("NO_COLOR", "1");
        ScopedEnv term("TERM", "xterm");
        EXPECT_FALSE(decide_color("auto", true));
    }
    {
        ScopedEnv no_color("NO_COLOR", nullptr);
        ScopedEnv term("TERM", "dumb");
        EXPECT_FALSE(decide_color("auto", true));
    }
}

}  // namespace

TEST(VisibleControls, ControlCharactersAreShownNotSent) {
    using mgpux::services::visible_controls;
    EXPECT_EQ(visible_controls("red\x1b[31mx\a"), "red\\x1b[31mx\\x07");
    EXPECT_EQ(visible_controls("a\nb\tc\rd"), "a\nb\tc\\rd");
    EXPECT_EQ(visible_controls("a\nb\tc", false), "a\\nb\\tc");
    EXPECT_EQ(visible_controls("del\x7f"), "del\\x7f");
    EXPECT_EQ(visible_controls("c1 \xc2\x9b"
                               "2J"),
              "c1 \\u009b2J");                                                    // U+009B, the one-character CSI
    EXPECT_EQ(visible_controls("bad \x9b byte"), "bad \\x9b byte");               // not UTF-8
    EXPECT_EQ(visible_controls("é ü 中 🙂 \\x1b"), "é ü 中 🙂 \\x1b");  // text and backslashes stay
}

TEST(VisibleControls, TableCellsAndMessagesAreEscapedColoursAreOurs) {
    using namespace mgpux::services;
    std::ostringstream out, err;
    ConsoleSettings s;
    s.color_stdout = s.color_stderr = true;
    Console c(s, out, err);
    c.table(Table{"t\x1b]0;x\a", {"name", "note"}, {{"a\x1b[2Jb", "two\nlines"}, {"c", "d"}}});
    EXPECT_EQ(out.str(),
              "t\\x1b]0;x\\x07\n"
              "name       note\n"
              "---------  ----------\n"
              "a\\x1b[2Jb  two\\nlines\n"
              "c          d\n");
    c.text(TextKind::Success, "ok \x1b[5m\n");
    EXPECT_NE(out.str().find("\x1b[32mok \\x1b[5m\x1b[0m\n"), std::string::npos);
    c.error("no profile '\x1b[31mx'");
    EXPECT_EQ(err.str(), "\x1b[31mm-gpux: error: \x1b[0mno profile '\\x1b[31mx'\n");
}

TEST(VisibleControls, OnlyALeadingClearScreenPassesThrough) {
    using namespace mgpux::services;
    std::ostringstream out, err;
    Console c(ConsoleSettings{}, out, err);
    c.text(TextKind::Plain, std::string(kClearScreen) + "frame \x1b[H\n");
    EXPECT_EQ(out.str(), "\x1b[H\x1b[2Jframe \\x1b[H\n");
}
