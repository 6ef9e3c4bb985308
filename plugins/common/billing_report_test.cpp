// SPDX-License-Identifier: MIT
#include "billing_report.hpp"

#include <gtest/gtest.h>

#include <limits>

using billing::format_usd;
using billing::Nanos;
using billing::parse_cost;
using mgpux::Json;

namespace {

Json row(const char* description, const char* env, Json cost) {
    Json r = Json::object();
    r.set("object_id", "ap-x");
    r.set("description", description);
    r.set("environment", env);
    r.set("interval_start", "2026-08-01T00:00:00");
    r.set("cost", std::move(cost));
    return r;
}

}  // namespace

TEST(ParseCost, DecimalStrings) {
    EXPECT_EQ(parse_cost(std::string("1.234567")), Nanos{1'234'567'000});
    EXPECT_EQ(parse_cost(std::string("0")), Nanos{0});
    EXPECT_EQ(parse_cost(std::string("12")), Nanos{12'000'000'000});
    EXPECT_EQ(parse_cost(std::string(".5")), Nanos{500'000'000});
    EXPECT_EQ(parse_cost(std::string("3.")), Nanos{3'000'000'000});
    EXPECT_EQ(parse_cost(std::string(" 0.25\n")), Nanos{250'000'000});
    EXPECT_EQ(parse_cost(std::string("-0.10")), Nanos{-100'000'000});
    EXPECT_EQ(parse_cost(std::string("+2")), Nanos{2'000'000'000});
}

TEST(ParseCost, ScientificNotationAsPythonDecimalWritesIt) {
    EXPECT_EQ(parse_cost(std::string("1E-7")), Nanos{100});
    EXPECT_EQ(parse_cost(std::string("2.5e+2")), Nanos{250'000'000'000});
    EXPECT_EQ(parse_cost(std::string("0E-10")), Nanos{0});
}

TEST(ParseCost, RoundsHalfAwayFromZeroBeyondNanos) {
    EXPECT_EQ(parse_cost(std::string("0.0000000015")), Nanos{2});
    EXPECT_EQ(parse_cost(std::string("0.0000000014")), Nanos{1});
    EXPECT_EQ(parse_cost(std::string("-0.0000000015")), Nanos{-2});
    EXPECT_EQ(parse_cost(std::string("0.00000000049")), Nanos{0});
    EXPECT_EQ(parse_cost(std::string("0.0000000005")), Nanos{1});
}

TEST(ParseCost, RejectsWhatIsNotANumber) {
    for (const char* bad : {"", "abc", "1.2.3", "1e", "--1", "1,5", "NaN", "inf", "1e99999", "$1", "1 2"})
        EXPECT_FALSE(parse_cost(std::string(bad)).has_value()) << bad;
}

TEST(ParseCost, OverflowIsRejected) {
    EXPECT_FALSE(parse_cost(std::string("99999999999")).has_value());  // 1e11 dollars
    EXPECT_TRUE(parse_cost(std::string("9000000000")).has_value());    // 9e9 dollars still fits
    EXPECT_EQ(parse_cost(std::string("0e50")), Nanos{0});
}

TEST(ParseCost, JsonValues) {
    EXPECT_EQ(parse_cost(Json("0.5")), Nanos{500'000'000});
    EXPECT_EQ(parse_cost(Json(1.25)), Nanos{1'250'000'000});
    EXPECT_EQ(parse_cost(Json(2)), Nanos{2'000'000'000});
    EXPECT_FALSE(parse_cost(Json()).has_value());
    EXPECT_FALSE(parse_cost(Json(true)).has_value());
}

TEST(FormatUsd, RoundsAndPads) {
    EXPECT_EQ(format_usd(1'234'567'000, 2), "$1.23");
    EXPECT_EQ(format_usd(1'235'000'000, 2), "$1.24");
    EXPECT_EQ(format_usd(1'234'567'000, 4), "$1.2346");
    EXPECT_EQ(format_usd(0, 2), "$0.00");
    EXPECT_EQ(format_usd(40'000'000, 4), "$0.0400");
    EXPECT_EQ(format_usd(-1'500'000'000, 2), "-$1.50");
    EXPECT_EQ(format_usd(30'000'000'000, 0), "$30");
    EXPECT_EQ(format_usd(999'999'999, 2), "$1.00");
}

TEST(FormatUsd, TinyNegativeRoundsToPlainZero) {
    EXPECT_EQ(format_usd(-4'000'000, 2), "$0.00");
    EXPECT_EQ(format_usd(std::numeric_limits<Nanos>::min(), 2).substr(0, 2), "-$");
}

TEST(Summarize, GroupsByAppAndEnvironmentSortedByCost) {
    Json rows = Json::array();
    rows.push(row("m-gpux-jupyter", "main", "1.50"));
    rows.push(row("m-gpux-llm-api", "main", "2.25"));
    rows.push(row("m-gpux-jupyter", "main", "0.50"));
    rows.push(row("m-gpux-jupyter", "dev", "0.10"));
    const auto s = billing::summarize(rows);
    EXPECT_EQ(s.total, Nanos{4'350'000'000});
    ASSERT_EQ(s.by_app.size(), 3u);
    EXPECT_EQ(s.by_app[0].description, "m-gpux-llm-api");
    EXPECT_EQ(s.by_app[0].cost, Nanos{2'250'000'000});
    EXPECT_EQ(s.by_app[1].description, "m-gpux-jupyter");
    EXPECT_EQ(s.by_app[1].environment, "main");
    EXPECT_EQ(s.by_app[1].cost, Nanos{2'000'000'000});
    EXPECT_EQ(s.by_app[2].environment, "dev");
    ASSERT_EQ(s.by_environment.size(), 2u);
    EXPECT_EQ(s.by_environment[0], (std::pair<std::string, Nanos>{"main", 4'250'000'000}));
    EXPECT_EQ(s.by_environment[1], (std::pair<std::string, Nanos>{"dev", 100'000'000}));
}

TEST(Summarize, DescriptionWithSeparatorStaysWhole) {
    // The original joined "env - description" and split it back, breaking descriptions that hold " - ".
    Json rows = Json::array();
    rows.push(row("train - resnet - v2", "prod - eu", "1"));
    const auto s = billing::summarize(rows);
    ASSERT_EQ(s.by_app.size(), 1u);
    EXPECT_EQ(s.by_app[0].description, "train - resnet - v2");
    EXPECT_EQ(s.by_app[0].environment, "prod - eu");
}

TEST(Summarize, SumsExactlyWithoutFloatingPointDrift) {
    Json rows = Json::array();
    for (int i = 0; i < 10; ++i) rows.push(row("a", "main", "0.1"));
    EXPECT_EQ(billing::summarize(rows).total, Nanos{1'000'000'000});
}

TEST(Summarize, ZeroGroupsLeftOutAndMissingFieldsTolerated) {
    Json rows = Json::array();
    rows.push(row("idle", "main", "0"));
    Json bare = Json::object();
    bare.set("cost", "0.3");
    rows.push(bare);
    Json legacy = Json::object();
    legacy.set("description", "old");
    legacy.set("environment_name", "legacy-env");
    legacy.set("cost", 0.2);
    rows.push(legacy);
    Json no_cost = Json::object();
    no_cost.set("description", "free");
    rows.push(no_cost);
    const auto s = billing::summarize(rows);
    EXPECT_EQ(s.total, Nanos{500'000'000});
    ASSERT_EQ(s.by_app.size(), 2u);
    EXPECT_EQ(s.by_app[0].description, "");
    EXPECT_EQ(s.by_app[0].environment, "");
    EXPECT_EQ(s.by_app[1].environment, "legacy-env");
}

TEST(Summarize, EmptyReport) {
    const auto s = billing::summarize(Json::array());
    EXPECT_EQ(s.total, 0);
    EXPECT_TRUE(s.by_app.empty());
    EXPECT_TRUE(s.by_environment.empty());
}

TEST(Summarize, MalformedReportsAreErrors) {
    EXPECT_THROW(billing::summarize(Json::object()), billing::ReportError);
    EXPECT_THROW(billing::summarize(Json()), billing::ReportError);
    Json rows = Json::array();
    rows.push(Json("not an object"));
    EXPECT_THROW(billing::summarize(rows), billing::ReportError);
    Json bad_cost = Json::array();
    bad_cost.push(row("a", "main", "lots"));
    try {
        billing::summarize(bad_cost);
        FAIL() << "expected a ReportError";
    } catch (const billing::ReportError& e) {
        EXPECT_NE(std::string(e.what()).find("row 1"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("lots"), std::string::npos);
    }
}

TEST(Dates, DaysBeforeCrossesMonthsAndLeapDays) {
    using namespace std::chrono;
    const sys_days d = year{2026} / March / 1;
    EXPECT_EQ(billing::date_days_before(d, 1), "2026-02-28");
    EXPECT_EQ(billing::date_days_before(d, 30), "2026-01-30");
    EXPECT_EQ(billing::date_days_before(sys_days{year{2024} / March / 1}, 1), "2024-02-29");
    EXPECT_EQ(billing::date_days_before(sys_days{year{2026} / January / 5}, 10), "2025-12-26");
    EXPECT_EQ(billing::date_days_before(d, 0), "2026-03-01");
}

TEST(FetchError, DropsTheCommandAndAddsHints) {
    EXPECT_EQ(billing::describe_fetch_error(
                  "`modal billing report --start 2026-01-01 --json` failed (exit 1): AuthError: bad"),
              "failed (exit 1): AuthError: bad");
    const auto old =
        billing::describe_fetch_error("`modal billing report` failed (exit 2): Error: No such command 'billing'.");
    EXPECT_NE(old.find("modal 1.3.3"), std::string::npos);
    EXPECT_EQ(billing::describe_fetch_error("plain"), "plain");
    EXPECT_EQ(billing::describe_fetch_error("`modal billing report` timed out"), "timed out");
}
