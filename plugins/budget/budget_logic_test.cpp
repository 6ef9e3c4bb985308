// SPDX-License-Identifier: MIT
#include "budget_logic.hpp"

#include <gtest/gtest.h>

using namespace budget;
using mgpux::Json;

namespace {

constexpr Nanos kDollar = billing::kNanosPerDollar;

int code_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const mgpux::Error& e) {
        return e.code();
    }
    return 0;
}

Standing standing(std::optional<Nanos> limit, std::optional<Nanos> used) {
    Standing s;
    s.profile = "work";
    s.limit.amount = limit;
    s.limit.source = limit ? "own" : "";
    s.used = used;
    return s;
}

}  // namespace

TEST(BudgetFile, ReadsTheOriginalFormat) {
    const Budgets b = parse_budgets(Json::parse(R"({"work": 25, "*": 12.5, "play": 0})"));
    EXPECT_EQ(b.at("work"), 25 * kDollar);
    EXPECT_EQ(b.at("*"), 12 * kDollar + kDollar / 2);
    EXPECT_EQ(b.at("play"), 0);
    EXPECT_TRUE(parse_budgets(Json()).empty());  // no file
}

TEST(BudgetFile, CorruptContentIsAConfigError) {
    for (const char* text : {R"([25])", R"({"work": "25"})", R"({"work": -1})", R"({"work": null})", R"("x")"})
        EXPECT_EQ(code_of([&] { parse_budgets(Json::parse(text)); }), MGPUX_E_CONFIG) << text;
}

TEST(BudgetFile, RoundTrips) {
    const Budgets b{{"*", 30 * kDollar}, {"work", 7 * kDollar + kDollar / 4}};
    EXPECT_EQ(parse_budgets(budgets_json(b)), b);
}

TEST(BudgetAmount, DollarsWithOrWithoutTheSign) {
    EXPECT_EQ(parse_amount("25"), 25 * kDollar);
    EXPECT_EQ(parse_amount("$12.50"), 12 * kDollar + kDollar / 2);
    EXPECT_EQ(parse_amount("0"), 0);
    for (const char* bad : {"", "-5", "+5", "abc", "$", "1e999", "12,50"})
        EXPECT_EQ(code_of([&] { parse_amount(bad); }), MGPUX_E_USAGE) << bad;
}

TEST(BudgetLimit, OwnThenDefaultThenNone) {
    const Budgets b{{"*", 10 * kDollar}, {"work", 50 * kDollar}};
    EXPECT_EQ(limit_for(b, "work").amount, 50 * kDollar);
    EXPECT_EQ(limit_for(b, "work").source, "own");
    EXPECT_EQ(limit_for(b, "play").amount, 10 * kDollar);
    EXPECT_EQ(limit_for(b, "play").source, "default (*)");
    EXPECT_FALSE(limit_for(Budgets{}, "play").amount);
}

TEST(BudgetStanding, SpendableAndOver) {
    EXPECT_EQ(standing(20 * kDollar, 5 * kDollar).spendable(), 15 * kDollar);
    EXPECT_FALSE(standing(20 * kDollar, 5 * kDollar).over());
    EXPECT_TRUE(standing(20 * kDollar, 20 * kDollar).over());  // nothing left is over
    EXPECT_EQ(standing(20 * kDollar, 31 * kDollar).spendable(), 0);
    // Without a limit: the $30 credit, and never "over".
    EXPECT_EQ(standing(std::nullopt, 12 * kDollar).spendable(), 18 * kDollar);
    EXPECT_FALSE(standing(std::nullopt, 40 * kDollar).over());
    // A failed billing call: no figure, not over, status unknown.
    EXPECT_FALSE(standing(1 * kDollar, std::nullopt).spendable());
    EXPECT_FALSE(standing(1 * kDollar, std::nullopt).over());
    EXPECT_EQ(status_word(standing(1 * kDollar, std::nullopt)), "unknown");
    EXPECT_EQ(status_word(standing(1 * kDollar, 2 * kDollar)), "over budget");
    EXPECT_EQ(status_word(standing(std::nullopt, 2 * kDollar)), "no limit");
}

TEST(BudgetStanding, JsonAndWatchLine) {
    const Standing over = standing(20 * kDollar, 31 * kDollar);
    const Json j = standing_json(over);
    EXPECT_EQ(j.find("budget")->as_float(), 20.0);
    EXPECT_EQ(j.find("used")->as_float(), 31.0);
    EXPECT_TRUE(j.find("over")->as_bool());
    EXPECT_TRUE(j.find("error")->is_null());
    Standing play = standing(std::nullopt, std::nullopt);
    play.profile = "play";
    EXPECT_EQ(watch_line("12:00:00", {over, play}), "12:00:00 work $31.00 of $20.00 OVER; play usage unavailable");
}
