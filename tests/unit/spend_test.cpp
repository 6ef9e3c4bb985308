// SPDX-License-Identifier: MIT
#include "services/catalog.hpp"
#include "services/service_error.hpp"
#include "services/spend.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

using namespace mgpux::services;
using namespace mgpux::services::spend;

namespace {

spend::Account account(const char* name, std::optional<double> used, std::optional<double> limit = std::nullopt) {
    return {name, used, limit};
}

int config_error_of(const char* text) {
    try {
        parse_budgets(boost::json::parse(text), "budgets.json");
    } catch (const ServiceError& e) {
        return e.code;
    }
    return 0;
}

}  // namespace

TEST(SpendPrice, FormatsWithThreeDecimalsUnderTenCents) {
    EXPECT_EQ(price_text(3.95), "~$3.95/h");
    EXPECT_EQ(price_text(0.0473), "~$0.047/h");
    EXPECT_EQ(price_text(std::nullopt), "");
}

TEST(SpendPrice, HourlyPriceOfAComputeLabel) {
    EXPECT_DOUBLE_EQ(*hourly_price("H100", static_rates()), 3.95);
    EXPECT_DOUBLE_EQ(*hourly_price("H100:2", static_rates()), 7.90);  // a count multiplies it
    EXPECT_NEAR(*hourly_price("CPU (8 cores, 4096 MB)", static_rates()), 8 * 0.0473 + 4 * 0.008, 1e-12);
    EXPECT_NEAR(*hourly_price("CPU (1 core, 512 MB)", static_rates()), 0.0473 + 0.5 * 0.008, 1e-12);
    EXPECT_FALSE(hourly_price("H100!", static_rates()));  // no rate of its own
    EXPECT_FALSE(hourly_price("something else", static_rates()));
    EXPECT_NEAR(*hourly_price(kDefaultContainerLabel, static_rates()), 0.125 * 0.0473 + 0.125 * 0.008, 1e-12);
}

TEST(SpendPrice, HourlyPriceFollowsLiveRates) {
    const RateTable live = apply_live_rates(static_rates(), {{"gpu_h100", "4.2"}, {"cpu", "0.05"}}, 0);
    EXPECT_DOUBLE_EQ(*hourly_price("H100:2", live), 8.4);
    EXPECT_NEAR(*hourly_price("CPU (8 cores, 4096 MB)", live), 8 * 0.05 + 4 * 0.008, 1e-12);
}

TEST(SpendPrice, WorstCaseOfATimeout) {
    EXPECT_EQ(worst_case_text(86400, 3.95), "24 h × ~$3.95/h ≈ $94.80 at most");
    EXPECT_EQ(worst_case_text(5400, 0.80), "1.50 h × ~$0.80/h ≈ $1.20 at most");
}

TEST(SpendBudgets, OriginalFormatAndCorruptFileRefusal) {
    const Budgets b = parse_budgets(boost::json::parse(R"({"work": 25, "*": 12.5})"), "budgets.json");
    EXPECT_EQ(limit_for(b, "work"), 25.0);
    EXPECT_EQ(limit_for(b, "other"), 12.5);
    EXPECT_FALSE(limit_for(Budgets{{"work", 1}}, "other"));
    EXPECT_TRUE(parse_budgets(boost::json::value(), "budgets.json").empty());
    for (const char* bad : {"[1]", R"({"work": "25"})", R"({"work": -2})", R"({"w": null})"})
        EXPECT_EQ(config_error_of(bad), kExitConfig) << bad;
}

TEST(SpendUsage, SumsTheReportsCosts) {
    EXPECT_DOUBLE_EQ(*month_used(boost::json::parse(R"([{"cost": "1.25"}, {"cost": "0.75"}, {"cost": 2}])")), 4.0);
    EXPECT_DOUBLE_EQ(*month_used(boost::json::parse("[]")), 0.0);
    EXPECT_FALSE(month_used(boost::json::parse(R"([{"cost": "x"}])")));
    EXPECT_FALSE(month_used(boost::json::parse(R"({"cost": "1"})")));
}

TEST(SpendAuto, MostSpendableWinsAndTheFirstWinsATie) {
    const auto c = choose_auto({account("a", 10), account("b", 5, 40), account("c", 15)});
    ASSERT_TRUE(c.profile);
    EXPECT_EQ(*c.profile, "b");  // $35 left of its budget beats $20 and $15 of the credit
    EXPECT_NE(c.reason.find("$35.00 left of $40.00 budget"), std::string::npos) << c.reason;
    EXPECT_EQ(*choose_auto({account("a", 10), account("b", 10)}).profile, "a");
}

TEST(SpendAuto, SkipsOverBudgetAndFailedRows) {
    const auto c = choose_auto({account("over", 5, 5), account("failed", std::nullopt), account("ok", 29)});
    ASSERT_TRUE(c.profile);
    EXPECT_EQ(*c.profile, "ok");
    EXPECT_NE(c.reason.find("1 over budget skipped"), std::string::npos) << c.reason;
    EXPECT_NE(c.reason.find("1 without usage figures skipped"), std::string::npos) << c.reason;
}

TEST(SpendAuto, NoneWhenAllAreOverOrSpent) {
    const auto c = choose_auto({account("a", 50, 10), account("b", 30), account("c", std::nullopt)});
    EXPECT_FALSE(c.profile);
    EXPECT_NE(c.reason.find("no profile has money left"), std::string::npos);
}
