// SPDX-License-Identifier: MIT
#include "pricing_logic.hpp"

#include <gtest/gtest.h>

using namespace pricing;
using mgpux::Json;

TEST(RatesCache, RoundTripsAndRefusesOtherShapes) {
    const auto live = from_answer(Json::parse(R"({"b": "0.0473", "a": 3.95})"), 42);
    ASSERT_TRUE(live);
    EXPECT_EQ(live->rates.front().first, "a");  // sorted
    EXPECT_EQ(live->rates.front().second, "3.95");
    const auto again = parse_cache(cache_json(*live));
    ASSERT_TRUE(again);
    EXPECT_EQ(again->fetched_at, 42);
    EXPECT_EQ(again->rates, live->rates);
    for (const char* bad : {"null", "[]", R"({"rates": {"a": "1"}})", R"({"fetched_at": 1, "rates": {}})",
                            R"({"fetched_at": 1, "rates": {"a": null}})"})
        EXPECT_FALSE(parse_cache(Json::parse(bad))) << bad;
    EXPECT_FALSE(from_answer(Json::parse("{}"), 1));
}

TEST(RatesCache, AgeText) {
    EXPECT_EQ(age_text(12), "12 s");
    EXPECT_EQ(age_text(300), "5 min");
    EXPECT_EQ(age_text(3 * 3600 + 5), "3 h");
    EXPECT_EQ(age_text(86400), "1 day");
    EXPECT_EQ(age_text(9 * 86400), "9 days");
}
