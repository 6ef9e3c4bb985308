// SPDX-License-Identifier: MIT
// Tests for the "did you mean" helpers.
#include "cli/suggest.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using mgpux::cli::closest_match;
using mgpux::cli::edit_distance;

TEST(EditDistance, Basics) {
    EXPECT_EQ(edit_distance("", ""), 0u);
    EXPECT_EQ(edit_distance("abc", ""), 3u);
    EXPECT_EQ(edit_distance("", "abcd"), 4u);
    EXPECT_EQ(edit_distance("serve", "serve"), 0u);
    EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
    EXPECT_EQ(edit_distance("flaw", "lawn"), 2u);
}

TEST(EditDistance, SingleEdits) {
    EXPECT_EQ(edit_distance("serve", "serv"), 1u);    // deletion
    EXPECT_EQ(edit_distance("lanch", "launch"), 1u);  // insertion
    EXPECT_EQ(edit_distance("serve", "sorve"), 1u);   // substitution
}

TEST(EditDistance, TranspositionCountsOnce) {
    EXPECT_EQ(edit_distance("ab", "ba"), 1u);
    EXPECT_EQ(edit_distance("serve", "sevre"), 1u);
    EXPECT_EQ(edit_distance("--detach", "--detahc"), 1u);
    // Optimal string alignment: a transposed pair is not edited again.
    EXPECT_EQ(edit_distance("ca", "abc"), 3u);
}

TEST(EditDistance, IsSymmetric) {
    const std::vector<std::pair<std::string, std::string>> pairs = {
        {"kitten", "sitting"}, {"abc", "cab"}, {"plugins", "plugin"}, {"", "x"}};
    for (const auto& [a, b] : pairs) EXPECT_EQ(edit_distance(a, b), edit_distance(b, a)) << a << " / " << b;
}

TEST(ClosestMatch, FindsTypo) {
    const std::vector<std::string> commands = {"info", "serve", "plugins", "completion"};
    EXPECT_EQ(closest_match("serv", commands), "serve");
    EXPECT_EQ(closest_match("sevre", commands), "serve");
    EXPECT_EQ(closest_match("ifno", commands), "info");
    EXPECT_EQ(closest_match("pluggins", commands), "plugins");
}

TEST(ClosestMatch, NothingCloseGivesEmpty) {
    EXPECT_EQ(closest_match("deploy", {"info", "serve"}), "");
    EXPECT_EQ(closest_match("xyz", {"info"}), "");
    EXPECT_EQ(closest_match("serve", {}), "");
}

TEST(ClosestMatch, PrefersSmallestDistance) {
    // "sheet" is two edits away, "shell" one; order must not matter.
    EXPECT_EQ(closest_match("shel", {"sheet", "shell"}), "shell");
    EXPECT_EQ(closest_match("shel", {"shell", "sheet"}), "shell");
}

TEST(ClosestMatch, TiesKeepTheFirst) {
    EXPECT_EQ(closest_match("cat", {"bat", "hat"}), "bat");
    EXPECT_EQ(closest_match("cat", {"hat", "bat"}), "hat");
}

TEST(ClosestMatch, PrefixOfTwoOrMoreCharactersCounts) {
    EXPECT_EQ(closest_match("comp", {"info", "completion"}), "completion");
    EXPECT_EQ(closest_match("--pr", {"--json", "--profile"}), "--profile");
    // A single character is too short to be a prefix guess.
    EXPECT_EQ(closest_match("c", {"completion"}), "");
}

TEST(ClosestMatch, LimitGrowsWithWordLength) {
    // Two edits are allowed for short words...
    EXPECT_EQ(closest_match("sxrvx", {"serve"}), "serve");
    EXPECT_EQ(closest_match("sxxvx", {"serve"}), "");
    // ...and a third of the length for long ones (12 / 3 = 4).
    EXPECT_EQ(closest_match("cxmxlxtxonab", {"completionab"}), "completionab");
    EXPECT_EQ(closest_match("cxmxlxtxxnab", {"completionab"}), "");
}

}  // namespace
