// SPDX-License-Identifier: MIT
// Tests for the prompts service: --yes, --no-input and a
// non-terminal stdin never ask; the numbered list when only stdin is a
// terminal; the arrow menu when both are; cancellation is status 130.
#include "services/prompts.hpp"

#include <gtest/gtest.h>
#include <mgpux/contracts.hpp>

#include <algorithm>
#include <cctype>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace {

using mgpux::services::Key;
using mgpux::services::KeyPress;
using mgpux::services::Prompter;
using mgpux::services::PromptError;
using mgpux::services::PromptSettings;
using mgpux::services::Terminal;

// A scripted terminal: answers come from queues; an empty queue is end of
// input. Everything drawn is recorded.
class FakeTerminal : public Terminal {
public:
    std::optional<std::string> read_line() override {
        ++line_reads;
        if (lines.empty()) return std::nullopt;
        auto l = lines.front();
        lines.pop_front();
        return l;
    }
    std::optional<std::string> read_secret() override {
        ++secret_reads;
        if (secrets.empty()) return std::nullopt;
        auto l = secrets.front();
        secrets.pop_front();
        return l;
    }
    KeyPress read_key() override {
        ++key_reads;
        if (keys.empty()) return {Key::Eof, 0};
        auto k = keys.front();
        keys.pop_front();
        return k;
    }
    void write(const std::string& s) override { output += s; }
    int rows() const override { return rows_; }

    int reads() const { return line_reads + secret_reads + key_reads; }

    std::deque<std::optional<std::string>> lines;
    std::deque<std::optional<std::string>> secrets;
    std::deque<KeyPress> keys;
    std::string output;
    int line_reads = 0;
    int secret_reads = 0;
    int key_reads = 0;
    int rows_ = 24;
};

const std::vector<std::string> kLabels = {"alpha", "beta", "gamma"};
const std::vector<std::string> kDescs = {"first", "second", "third"};

PromptSettings non_tty() { return {}; }
PromptSettings yes() { return {true, false, true, true}; }
PromptSettings no_input() { return {false, true, true, true}; }
PromptSettings numbered() { return {false, false, true, false}; }
PromptSettings arrows() { return {false, false, true, true}; }

KeyPress key(Key k, int digit = 0) { return {k, digit}; }

// The PromptError thrown by `fn`, or a failure.
template <class Fn>
PromptError prompt_error(Fn fn) {
    try {
        fn();
    } catch (const PromptError& e) {
        return e;
    }
    ADD_FAILURE() << "expected a PromptError";
    return PromptError(0, "");
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// ---------------------------------------------------------- non-interactive

TEST(PromptsNonInteractive, InteractiveOnlyWithTtyAndNoFlags) {
    FakeTerminal t;
    EXPECT_TRUE(Prompter(arrows(), t).interactive());
    EXPECT_TRUE(Prompter(numbered(), t).interactive());
    EXPECT_FALSE(Prompter(yes(), t).interactive());
    EXPECT_FALSE(Prompter(no_input(), t).interactive());
    EXPECT_FALSE(Prompter(non_tty(), t).interactive());
}

TEST(PromptsNonInteractive, YesTakesDefaults) {
    FakeTerminal t;
    Prompter p(yes(), t);
    EXPECT_EQ(p.select("GPU", kLabels, kDescs, 2, "--gpu"), 2);
    EXPECT_EQ(p.text("Name", std::string("app"), false, "--name"), "app");
    EXPECT_FALSE(p.confirm("Stop the app now?", false, false, ""));
    EXPECT_TRUE(p.confirm("Continue?", true, false, ""));
    EXPECT_EQ(t.reads(), 0);
    EXPECT_EQ(t.output, "");
}

TEST(PromptsNonInteractive, YesConfirmsDestructive) {
    FakeTerminal t;
    Prompter p(yes(), t);
    EXPECT_TRUE(p.confirm("Delete the volume?", false, true, "--yes"));
    EXPECT_EQ(t.reads(), 0);
}

TEST(PromptsNonInteractive, NoInputTakesDefaults) {
    FakeTerminal t;
    Prompter p(no_input(), t);
    EXPECT_EQ(p.select("GPU", kLabels, kDescs, 1, "--gpu"), 1);
    EXPECT_EQ(p.text("Name", std::string("app"), false, "--name"), "app");
    EXPECT_TRUE(p.confirm("Continue?", true, false, ""));
    EXPECT_FALSE(p.confirm("Continue?", false, false, ""));
    EXPECT_EQ(t.reads(), 0);
}

TEST(PromptsNonInteractive, StdinNotTtyTakesDefaults) {
    FakeTerminal t;
    t.lines = {std::string("3")};  // must not be read
    Prompter p(non_tty(), t);
    EXPECT_EQ(p.select("GPU", kLabels, kDescs, 0, "--gpu"), 0);
    EXPECT_EQ(p.text("Name", std::string("dflt"), true, "--name"), "dflt");
    EXPECT_TRUE(p.confirm("Continue?", true, false, ""));
    EXPECT_EQ(t.reads(), 0);
}

TEST(PromptsNonInteractive, SelectWithoutDefaultNamesFlag) {
    for (const auto& s : {no_input(), non_tty(), yes()}) {
        FakeTerminal t;
        Prompter p(s, t);
        auto e = prompt_error([&] { p.select("Pick a GPU", kLabels, kDescs, -1, "--gpu NAME"); });
        EXPECT_EQ(e.status, 2);
        EXPECT_TRUE(contains(e.what(), "--gpu NAME")) << e.what();
        EXPECT_TRUE(contains(e.what(), "Pick a GPU")) << e.what();
        EXPECT_EQ(t.reads(), 0);
    }
    // An out-of-range default counts as none.
    FakeTerminal t;
    Prompter p(no_input(), t);
    EXPECT_EQ(prompt_error([&] { p.select("GPU", kLabels, kDescs, 3, "--gpu"); }).status, 2);
}

TEST(PromptsNonInteractive, TextWithoutDefaultNamesFlag) {
    FakeTerminal t;
    Prompter p(no_input(), t);
    auto e = prompt_error([&] { p.text("Token", std::nullopt, true, "--token"); });
    EXPECT_EQ(e.status, 2);
    EXPECT_TRUE(contains(e.what(), "--token")) << e.what();
    EXPECT_TRUE(contains(e.what(), "--no-input")) << e.what();
}

TEST(PromptsNonInteractive, WhyIsStdinNotTerminal) {
    FakeTerminal t;
    Prompter p(non_tty(), t);
    auto e = prompt_error([&] { p.text("Token", std::nullopt, false, "--token"); });
    EXPECT_TRUE(contains(e.what(), "stdin is not a terminal")) << e.what();
}

TEST(PromptsNonInteractive, DestructiveConfirmIsNeverAssumed) {
    FakeTerminal t;
    Prompter p(no_input(), t);
    auto e = prompt_error([&] { p.confirm("Delete everything?", true, true, ""); });
    EXPECT_EQ(e.status, 2);
    EXPECT_TRUE(contains(e.what(), "--yes")) << e.what();
    EXPECT_TRUE(contains(e.what(), "destructive")) << e.what();

    auto hinted = prompt_error([&] { p.confirm("Delete everything?", true, true, "--force"); });
    EXPECT_EQ(hinted.status, 2);
    EXPECT_TRUE(contains(hinted.what(), "--force")) << hinted.what();

    FakeTerminal t2;
    Prompter piped(non_tty(), t2);
    EXPECT_EQ(prompt_error([&] { piped.confirm("Delete?", false, true, ""); }).status, 2);
}

// ---------------------------------------------------------- the SDK's Prompt

mgpux::Prompt prompt(const char* kind, const char* message) {
    mgpux::Prompt p;
    p.kind = kind;
    p.message = message;
    return p;
}

TEST(PromptsAnswer, EachKindAnswersInItsMember) {
    FakeTerminal t;
    Prompter p(no_input(), t);
    auto select = prompt("select", "GPU");
    select.labels = kLabels;
    select.default_index = 1;
    mgpux::PromptAnswer picked;
    picked.index = 1;
    EXPECT_EQ(p.answer(select), picked);
    auto text = prompt("text", "Name");
    text.default_value = "app";
    mgpux::PromptAnswer typed;
    typed.text = "app";
    EXPECT_EQ(p.answer(text), typed);
    auto confirm = prompt("confirm", "Continue?");
    confirm.default_yes = true;
    mgpux::PromptAnswer yes_answer;
    yes_answer.yes = true;
    EXPECT_EQ(p.answer(confirm), yes_answer);
    EXPECT_EQ(t.reads(), 0);
}

TEST(PromptsAnswer, ADestructiveQuestionIsNeverAssumedWithoutATerminal) {
    FakeTerminal t;
    Prompter p(no_input(), t);
    auto text = prompt("text", "Apps to stop");
    text.default_value = "all";
    text.destructive = true;
    text.flag_hint = "--all";
    const auto e = prompt_error([&] { p.answer(text); });
    EXPECT_EQ(e.status, 2);
    EXPECT_STREQ(e.what(), "cannot ask \"Apps to stop\" without a terminal; pass --all");
    auto confirm = prompt("confirm", "Stop it?");
    confirm.destructive = true;
    EXPECT_EQ(prompt_error([&] { p.answer(confirm); }).status, 2);
    // --yes answers both.
    FakeTerminal t2;
    Prompter with_yes(yes(), t2);
    EXPECT_EQ(with_yes.answer(text).text, std::optional<std::string>("all"));
    EXPECT_EQ(with_yes.answer(confirm).yes, std::optional<bool>(true));
}

TEST(PromptsNonInteractive, EmptyChoiceListIsAnError) {
    FakeTerminal t;
    Prompter p(arrows(), t);
    EXPECT_EQ(prompt_error([&] { p.select("GPU", {}, {}, 0, "--gpu"); }).status, 1);
}

// ------------------------------------------------------------ numbered menu

TEST(PromptsNumbered, NumberSelects) {
    FakeTerminal t;
    t.lines = {std::string("2")};
    Prompter p(numbered(), t);
    EXPECT_EQ(p.select("GPU", kLabels, kDescs, 0, "--gpu"), 1);
    EXPECT_EQ(t.key_reads, 0);
    EXPECT_TRUE(contains(t.output, "GPU (a number, Enter for the default, q to cancel)\n")) << t.output;
    EXPECT_TRUE(contains(t.output, "  1) alpha  first\n")) << t.output;
    EXPECT_TRUE(contains(t.output, "  3) gamma  third\n")) << t.output;
    EXPECT_TRUE(contains(t.output, "Choice [1]: ")) << t.output;
}

TEST(PromptsNumbered, EmptyTakesDefault) {
    FakeTerminal t;
    t.lines = {std::string("  ")};
    Prompter p(numbered(), t);
    EXPECT_EQ(p.select("GPU", kLabels, kDescs, 2, "--gpu"), 2);
}

TEST(PromptsNumbered, LabelIsAcceptedToo) {
    FakeTerminal t;
    t.lines = {std::string("gamma")};
    Prompter p(numbered(), t);
    EXPECT_EQ(p.select("GPU", kLabels, kDescs, 0, "--gpu"), 2);
}

TEST(PromptsNumbered, BadInputReasks) {
    FakeTerminal t;
    t.lines = {std::string("9"), std::string("0"), std::string("x"), std::string("2x"), std::string("3")};
    Prompter p(numbered(), t);
    EXPECT_EQ(p.select("GPU", kLabels, kDescs, 0, "--gpu"), 2);
    EXPECT_EQ(t.line_reads, 5);
    EXPECT_TRUE(contains(t.output, "Please enter a number from 1 to 3.")) << t.output;
}

TEST(PromptsNumbered, EmptyWithoutDefaultReasks) {
    FakeTerminal t;
    t.lines = {std::string(""), std::string("1")};
    Prompter p(numbered(), t);
    EXPECT_EQ(p.select("GPU", kLabels, kDescs, -1, "--gpu"), 0);
    EXPECT_EQ(t.line_reads, 2);
    EXPECT_TRUE(contains(t.output, "Choice: ")) << t.output;
}

TEST(PromptsNumbered, EofCancels) {
    FakeTerminal t;
    Prompter p(numbered(), t);
    EXPECT_EQ(prompt_error([&] { p.select("GPU", kLabels, kDescs, 0, "--gpu"); }).status, 130);
}

// The column where each row's description starts, in the lines that hold
// one of `labels` followed by its description (colour codes removed).
std::vector<std::size_t> description_columns(const std::string& output, const std::vector<std::string>& labels,
                                             const std::vector<std::string>& descriptions) {
    std::string plain;
    for (std::size_t i = 0; i < output.size(); ++i) {
        if (output[i] == '\033') {
            while (i < output.size() && !std::isalpha(static_cast<unsigned char>(output[i]))) ++i;
            continue;
        }
        plain += output[i];
    }
    std::vector<std::size_t> columns;
    std::size_t start = 0;
    while (start < plain.size()) {
        const auto end = plain.find('\n', start);
        const std::string line = plain.substr(start, end == std::string::npos ? std::string::npos : end - start);
        for (std::size_t i = 0; i < labels.size(); ++i) {
            const auto at = line.find(labels[i]);
            const auto desc = line.rfind(descriptions[i]);
            if (at == std::string::npos || desc == std::string::npos || desc < at + labels[i].size()) continue;
            // At least one space between the label and its description.
            EXPECT_EQ(line[desc - 1], ' ') << line;
            columns.push_back(desc);
        }
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return columns;
}

bool all_equal(const std::vector<std::size_t>& v) {
    return std::adjacent_find(v.begin(), v.end(), std::not_equal_to<>()) == v.end();
}

TEST(PromptsNumbered, LabelsAndNumbersAreAligned) {
    std::vector<std::string> labels, descs;
    for (int i = 0; i < 11; ++i) {
        labels.push_back(i == 4 ? "RTX-PRO-6000-long-name" : std::string("gpu-") + static_cast<char>('a' + i));
        descs.push_back("description " + std::to_string(i));
    }
    FakeTerminal t;
    t.lines = {std::string("1")};
    Prompter p(numbered(), t);
    EXPECT_EQ(p.select("GPU", labels, descs, 0, "--gpu"), 0);
    const auto columns = description_columns(t.output, labels, descs);
    ASSERT_EQ(columns.size(), labels.size()) << t.output;
    EXPECT_TRUE(all_equal(columns)) << t.output;
    EXPECT_TRUE(contains(t.output, "   9) gpu-i ")) << t.output;
    EXPECT_TRUE(contains(t.output, "  10) gpu-j ")) << t.output;
}

TEST(PromptsNumbered, QOrCCancels) {
    for (const char* answer : {"q", "c", "Q", " cancel ", "quit"}) {
        FakeTerminal t;
        t.lines = {std::string(answer), std::string("1")};
        Prompter p(numbered(), t);
        EXPECT_EQ(prompt_error([&] { p.select("GPU", kLabels, kDescs, 0, "--gpu"); }).status, 130) << answer;
        EXPECT_EQ(t.line_reads, 1) << answer;
        EXPECT_TRUE(contains(t.output, "q to cancel")) << t.output;
    }
}

TEST(PromptsNumbered, ALabelNamedLikeACancelKeyIsStillChosen) {
    FakeTerminal t;
    t.lines = {std::string("c")};
    Prompter p(numbered(), t);
    EXPECT_EQ(p.select("Pick", {"a", "b", "c"}, {}, 0, "--pick"), 2);
}

// --------------------------------------------------------------- arrow menu

TEST(PromptsArrows, DownDownEnter) {
    FakeTerminal t;
    t.keys = {key(Key::Down), key(Key::Down), key(Key::Enter)};
    Prompter p(arrows(), t);
    EXPECT_EQ(p.select("GPU", kLabels, kDescs, 0, "--gpu"), 2);
    EXPECT_EQ(t.line_reads, 0);
    EXPECT_EQ(t.key_reads, 3);
    EXPECT_TRUE(contains(t.output, "> gamma")) << t.output;
}

TEST(PromptsArrows, StartsAtDefault) {
    FakeTerminal t;
    t.keys = {key(Key::Enter)};
    Prompter p(arrows(), t);
    EXPECT_EQ(p.select("GPU", kLabels, kDescs, 1, "--gpu"), 1);
}

TEST(PromptsArrows, WrapsAround) {
    FakeTerminal up;
    up.keys = {key(Key::Up), key(Key::Enter)};
    EXPECT_EQ(Prompter(arrows(), up).select("GPU", kLabels, kDescs, 0, "--gpu"), 2);

    FakeTerminal down;
    down.keys = {key(Key::Down), key(Key::Enter)};
    EXPECT_EQ(Prompter(arrows(), down).select("GPU", kLabels, kDescs, 2, "--gpu"), 0);
}

TEST(PromptsArrows, DigitJumps) {
    FakeTerminal t;
    t.keys = {key(Key::Digit, 2), key(Key::Enter)};
    EXPECT_EQ(Prompter(arrows(), t).select("GPU", kLabels, kDescs, 0, "--gpu"), 1);

    // A digit beyond the list is ignored.
    FakeTerminal far;
    far.keys = {key(Key::Digit, 9), key(Key::Other), key(Key::Enter)};
    EXPECT_EQ(Prompter(arrows(), far).select("GPU", kLabels, kDescs, 2, "--gpu"), 2);
}

TEST(PromptsArrows, CancelInterruptEof) {
    for (Key k : {Key::Cancel, Key::Interrupt, Key::Eof}) {
        FakeTerminal t;
        t.keys = {key(Key::Down), key(k)};
        Prompter p(arrows(), t);
        auto e = prompt_error([&] { p.select("GPU", kLabels, kDescs, 0, "--gpu"); });
        EXPECT_EQ(e.status, 130);
    }
}

TEST(PromptsArrows, LongLabelsPushTheDescriptionColumn) {
    const std::vector<std::string> labels = {"T4", "a-label-longer-than-eighteen-columns", "L4"};
    const std::vector<std::string> descs = {"first", "second", "third"};
    FakeTerminal t;
    t.keys = {key(Key::Down), key(Key::Enter)};
    Prompter p(arrows(), t);
    EXPECT_EQ(p.select("GPU", labels, descs, 0, "--gpu"), 1);
    const auto columns = description_columns(t.output, labels, descs);
    ASSERT_EQ(columns.size(), 6u) << t.output;  // two frames of three rows
    EXPECT_TRUE(all_equal(columns)) << t.output;
}

TEST(PromptsArrows, ShortLabelsKeepANarrowColumn) {
    FakeTerminal t;
    t.keys = {key(Key::Enter)};
    Prompter p(arrows(), t);
    p.select("GPU", kLabels, kDescs, 0, "--gpu");
    EXPECT_TRUE(contains(t.output, "gamma  third")) << t.output;
}

TEST(PromptsArrows, LongListScrolls) {
    std::vector<std::string> labels;
    for (int i = 0; i < 30; ++i) labels.push_back("item" + std::to_string(i));
    FakeTerminal t;
    t.rows_ = 10;
    t.keys = {key(Key::Up), key(Key::Enter)};
    Prompter p(arrows(), t);
    EXPECT_EQ(p.select("Pick", labels, {}, 0, "--item"), 29);
    EXPECT_TRUE(contains(t.output, "more below")) << t.output;
    EXPECT_TRUE(contains(t.output, "more above")) << t.output;
}

// ---------------------------------------------------------------------- text

TEST(PromptsText, DefaultOnEmptyAnswer) {
    FakeTerminal t;
    t.lines = {std::string("")};
    Prompter p(numbered(), t);
    EXPECT_EQ(p.text("App name", std::string("demo"), false, "--name"), "demo");
    EXPECT_TRUE(contains(t.output, "App name [demo]: ")) << t.output;
}

TEST(PromptsText, AnswerIsTrimmed) {
    FakeTerminal t;
    t.lines = {std::string("  my-app \r")};
    Prompter p(arrows(), t);
    EXPECT_EQ(p.text("App name", std::string("demo"), false, "--name"), "my-app");
}

TEST(PromptsText, RequiredReasks) {
    FakeTerminal t;
    t.lines = {std::string(""), std::string("value")};
    Prompter p(numbered(), t);
    EXPECT_EQ(p.text("Value", std::nullopt, false, "--value"), "value");
    EXPECT_EQ(t.line_reads, 2);
    EXPECT_TRUE(contains(t.output, "A value is required.")) << t.output;
}

TEST(PromptsText, SecretUsesReadSecret) {
    FakeTerminal t;
    t.lines = {std::string("visible")};  // must not be read
    t.secrets = {std::string(" s3cret ")};
    Prompter p(numbered(), t);
    EXPECT_EQ(p.text("Token", std::string("old-token"), true, "--token"), " s3cret ");
    EXPECT_EQ(t.secret_reads, 1);
    EXPECT_EQ(t.line_reads, 0);
    // The default of a secret is never shown.
    EXPECT_FALSE(contains(t.output, "old-token")) << t.output;
}

TEST(PromptsText, EofCancels) {
    FakeTerminal t;
    Prompter p(numbered(), t);
    EXPECT_EQ(prompt_error([&] { p.text("Name", std::string("x"), false, "--name"); }).status, 130);
    EXPECT_EQ(prompt_error([&] { p.text("Token", std::nullopt, true, "--token"); }).status, 130);
}

// ------------------------------------------------------------------- confirm

TEST(PromptsConfirm, Answers) {
    struct Case {
        std::string answer;
        bool default_yes;
        bool expected;
    };
    const std::vector<Case> cases = {
        {"y", false, true},   {"n", true, false},    {"", true, true},     {"", false, false},
        {"YES", false, true}, {" No ", true, false}, {"yes", false, true},
    };
    for (const auto& c : cases) {
        FakeTerminal t;
        t.lines = {c.answer};
        Prompter p(arrows(), t);
        EXPECT_EQ(p.confirm("Proceed?", c.default_yes, false, ""), c.expected) << "answer '" << c.answer << "'";
        EXPECT_TRUE(contains(t.output, c.default_yes ? "Proceed? [Y/n]: " : "Proceed? [y/N]: ")) << t.output;
    }
}

TEST(PromptsConfirm, GarbageThenYes) {
    FakeTerminal t;
    t.lines = {std::string("maybe"), std::string("y")};
    Prompter p(numbered(), t);
    EXPECT_TRUE(p.confirm("Proceed?", false, false, ""));
    EXPECT_EQ(t.line_reads, 2);
    EXPECT_TRUE(contains(t.output, "Please answer y or n.")) << t.output;
}

TEST(PromptsConfirm, DestructiveIsAskedWhenInteractive) {
    FakeTerminal t;
    t.lines = {std::string("n")};
    Prompter p(arrows(), t);
    EXPECT_FALSE(p.confirm("Delete?", true, true, "--yes"));
    EXPECT_EQ(t.line_reads, 1);
}

TEST(PromptsConfirm, EofCancels) {
    FakeTerminal t;
    Prompter p(numbered(), t);
    auto e = prompt_error([&] { p.confirm("Proceed?", true, false, ""); });
    EXPECT_EQ(e.status, 130);
}

}  // namespace
