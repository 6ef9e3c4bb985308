// SPDX-License-Identifier: MIT
#include "account_logic.hpp"

#include <gtest/gtest.h>

using account::Balance;
using account::Credentials;
using account::Nanos;
using mgpux::Json;

namespace {

constexpr Nanos kDollar = billing::kNanosPerDollar;

Json ok_row(std::initializer_list<const char*> costs) {
    Json rows = Json::array();
    for (const char* c : costs) {
        Json r = Json::object();
        r.set("description", "m-gpux-jupyter");
        r.set("environment", "main");
        r.set("cost", c);
        rows.push(r);
    }
    Json row = Json::object();
    row.set("profile", "p");
    row.set("ok", true);
    row.set("error", nullptr);
    row.set("json", rows);
    return row;
}

Json failed_row(const char* error) {
    Json row = Json::object();
    row.set("profile", "p");
    row.set("ok", false);
    row.set("error", error);
    row.set("json", nullptr);
    return row;
}

}  // namespace

TEST(Remaining, ClampsAtZero) {
    EXPECT_EQ(account::remaining_credit(0), 30 * kDollar);
    EXPECT_EQ(account::remaining_credit(12 * kDollar), 18 * kDollar);
    EXPECT_EQ(account::remaining_credit(30 * kDollar), 0);
    EXPECT_EQ(account::remaining_credit(45 * kDollar), 0);
}

TEST(BalanceFromRow, SumsTheMonth) {
    const Balance b = account::balance_from_row(ok_row({"1.25", "2.5", "0.000001"}));
    ASSERT_TRUE(b.used.has_value());
    EXPECT_EQ(*b.used, 3'750'001'000);
    EXPECT_EQ(*b.remaining, 30 * kDollar - 3'750'001'000);
    EXPECT_TRUE(b.error.empty());
}

TEST(BalanceFromRow, EmptyReportIsZeroUsed) {
    const Balance b = account::balance_from_row(ok_row({}));
    EXPECT_EQ(b.used, Nanos{0});
    EXPECT_EQ(b.remaining, 30 * kDollar);
}

TEST(BalanceFromRow, FailureKeepsTheReasonWithoutTheCommand) {
    const Balance b = account::balance_from_row(
        failed_row("`modal billing report --for this month --json` failed (exit 1): AuthError: token rejected"));
    EXPECT_FALSE(b.used.has_value());
    EXPECT_FALSE(b.remaining.has_value());
    EXPECT_EQ(b.error, "failed (exit 1): AuthError: token rejected");
}

TEST(BalanceFromRow, MalformedReportIsAnError) {
    Json row = ok_row({"abc"});
    const Balance b = account::balance_from_row(row);
    EXPECT_FALSE(b.used.has_value());
    EXPECT_NE(b.error.find("not a number"), std::string::npos);
    Json not_list = ok_row({});
    not_list.set("json", Json::object());
    EXPECT_FALSE(account::balance_from_row(not_list).error.empty());
}

// The original's worked example: usages {a: 10, b: error, c: 29.99, d: 31} pick a.
TEST(AutoPick, SpecVector) {
    const auto pick =
        account::auto_pick({{"a", 10 * kDollar}, {"b", std::nullopt}, {"c", 29'990'000'000}, {"d", 31 * kDollar}});
    EXPECT_EQ(pick, std::optional<std::string>("a"));
}

TEST(AutoPick, NoneWhenAllUsedUpOrFailed) {
    EXPECT_FALSE(account::auto_pick({{"a", 30 * kDollar}, {"b", 31 * kDollar}}).has_value());
    EXPECT_FALSE(account::auto_pick({{"a", std::nullopt}, {"b", std::nullopt}}).has_value());
    EXPECT_FALSE(account::auto_pick({}).has_value());
}

TEST(AutoPick, FirstInFileOrderWinsATie) {
    EXPECT_EQ(account::auto_pick({{"x", 5 * kDollar}, {"y", 5 * kDollar}}), std::optional<std::string>("x"));
}

TEST(Note, SaysWhatMatters) {
    Balance fine{2 * kDollar, 28 * kDollar, ""};
    Balance low{27 * kDollar, 3 * kDollar, ""};
    Balance over{31 * kDollar, 0, ""};
    Balance failed{std::nullopt, std::nullopt, "failed (exit 1): denied"};
    EXPECT_EQ(account::balance_note(fine, true, false), "");
    EXPECT_EQ(account::balance_note(fine, true, true), "AUTO pick (most credit left)");
    EXPECT_EQ(account::balance_note(low, true, true), "under $5 left; AUTO pick (most credit left)");
    EXPECT_EQ(account::balance_note(over, true, false), "credit used up");
    EXPECT_EQ(account::balance_note(failed, true, false), "error: failed (exit 1): denied");
    EXPECT_EQ(account::balance_note(Balance{}, false, false), "no token");
    EXPECT_EQ(account::balance_note(Balance{}, true, false), "");
}

TEST(MonthLabel, NamesTheMonth) {
    using namespace std::chrono;
    EXPECT_EQ(account::month_label(sys_days{year{2026} / August / 20}), "August 2026");
    EXPECT_EQ(account::month_label(sys_days{year{2027} / January / 1}), "January 2027");
}

TEST(ApplyPaste, TakesBothTokensAndTheProfileWhenNoNameGiven) {
    Json parsed = Json::object();
    parsed.set("token_id", "ak-1");
    parsed.set("token_secret", "as-2");
    parsed.set("profile", "work");
    Credentials c;
    EXPECT_TRUE(account::apply_paste(c, parsed));
    EXPECT_EQ(c.name, "work");
    EXPECT_EQ(c.token_id, "ak-1");
    EXPECT_EQ(c.token_secret, "as-2");

    Credentials named{"mine", "ak-old", ""};
    EXPECT_TRUE(account::apply_paste(named, parsed));
    EXPECT_EQ(named.name, "mine");  // --name wins over the pasted --profile
    EXPECT_EQ(named.token_id, "ak-1");
}

TEST(ApplyPaste, NullOrPartialIsNoPaste) {
    Credentials c{"n", "", ""};
    EXPECT_FALSE(account::apply_paste(c, Json()));
    Json partial = Json::object();
    partial.set("token_id", "ak-1");
    EXPECT_FALSE(account::apply_paste(c, partial));
    EXPECT_EQ(c.token_id, "");
    Json no_profile = Json::object();
    no_profile.set("token_id", "ak-1");
    no_profile.set("token_secret", "as-2");
    no_profile.set("profile", nullptr);
    Credentials unnamed;
    EXPECT_TRUE(account::apply_paste(unnamed, no_profile));
    EXPECT_EQ(unnamed.name, "");
}

TEST(Trim, Whitespace) {
    EXPECT_EQ(account::trim("  as-1\r\n"), "as-1");
    EXPECT_EQ(account::trim("\n\t "), "");
    EXPECT_EQ(account::trim("a b"), "a b");
}

TEST(TokenWarnings, FlagOddOrSwappedTokensWithoutQuotingThem) {
    EXPECT_TRUE(account::token_warnings({"n", "ak-1", "as-2"}).empty());
    const auto swapped = account::token_warnings({"n", "as-secret", "ak-id"});
    ASSERT_EQ(swapped.size(), 1u);
    EXPECT_NE(swapped[0].find("swapped"), std::string::npos);
    EXPECT_EQ(swapped[0].find("as-secret"), std::string::npos);
    EXPECT_EQ(account::token_warnings({"n", "xyz", "as-2"}).size(), 1u);
    EXPECT_EQ(account::token_warnings({"n", "ak-1", "hunter2"}).size(), 1u);
    for (const auto& w : account::token_warnings({"n", "ak-1", "hunter2"}))
        EXPECT_EQ(w.find("hunter2"), std::string::npos);
}

TEST(EnvTokensNote, NamesTheProfileItOverrides) {
    const std::string one = account::env_tokens_note("alice", false);
    EXPECT_NE(one.find("MODAL_TOKEN_ID / MODAL_TOKEN_SECRET"), std::string::npos) << one;
    EXPECT_NE(one.find("not profile 'alice', while they are set"), std::string::npos) << one;
    EXPECT_NE(account::env_tokens_note("alice", true).find("not profile 'alice' or any other"), std::string::npos);
    EXPECT_NE(account::env_tokens_note("", true).find("not any profile's"), std::string::npos);
    EXPECT_EQ(account::env_tokens_note("", false).find("not "), std::string::npos);
}
