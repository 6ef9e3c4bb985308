// SPDX-License-Identifier: MIT
// Unit tests for the stop plugin's pure logic: reading `modal app list
// --json` (both key spellings), the live-state filter, and the answers to
// "Stop which apps?".
#include "app_list.hpp"
#include "stop_logic.hpp"

#include <gtest/gtest.h>

namespace mgpux::stop {
namespace {

const char* const kSnakeCase = R"J([
  {"app_id": "ap-Ab12Cd34Ef56Gh78Ij90Kl", "description": "m-gpux-jupyter", "state": "ephemeral (detached)",
   "tasks": "1", "created_at": "2026-08-20 09:14:03+00:00", "stopped_at": null},
  {"app_id": "ap-Zz98Yy76Xx54Ww32Vv10Uu", "description": "m-gpux-llm-api", "state": "deployed",
   "tasks": "0", "created_at": "2026-08-18 22:01:44+00:00", "stopped_at": null},
  {"app_id": "ap-Qq11Rr22Ss33Tt44Uu55Vv", "description": "m-gpux-runner", "state": "stopped",
   "tasks": "0", "created_at": "2026-08-19 07:00:10+00:00", "stopped_at": "2026-08-19 07:12:55+00:00"},
  {"app_id": "ap-Mm11Nn22Oo33Pp44Qq55Rr", "description": "my-own-app", "state": "deployed",
   "tasks": "0", "created_at": "2026-08-19 07:00:10+00:00", "stopped_at": null}
])J";

const char* const kTitled = R"J([
  {"App ID": "ap-Ab12Cd34Ef56Gh78Ij90Kl", "Description": "m-gpux-shell", "State": "ephemeral",
   "Tasks": "1", "Created at": "2026-08-20 09:14:03+00:00", "Stopped at": null},
  {"App ID": "ap-Cc12Cd34Ef56Gh78Ij90Kl", "Description": "m-gpux-vllm", "State": "initializing...",
   "Tasks": "0", "Created at": null, "Stopped at": null}
])J";

TEST(AppList, ParsesSnakeCaseKeys) {
    const auto rows = parse_app_list(Json::parse(kSnakeCase), "alice");
    ASSERT_EQ(rows.size(), 4u);
    EXPECT_EQ(rows[0].profile, "alice");
    EXPECT_EQ(rows[0].app_id, "ap-Ab12Cd34Ef56Gh78Ij90Kl");
    EXPECT_EQ(rows[0].description, "m-gpux-jupyter");
    EXPECT_EQ(rows[0].state, "ephemeral (detached)");
    EXPECT_EQ(rows[0].created_at, "2026-08-20 09:14:03+00:00");
}

TEST(AppList, ParsesTitledKeysOfOlderModal) {
    const auto rows = parse_app_list(Json::parse(kTitled), "work");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].app_id, "ap-Ab12Cd34Ef56Gh78Ij90Kl");
    EXPECT_EQ(rows[0].description, "m-gpux-shell");
    EXPECT_EQ(rows[0].state, "ephemeral");
    EXPECT_EQ(rows[1].created_at, "");  // null reads as empty
}

TEST(AppList, DropsRowsWithoutAUsableAppId) {
    const auto rows = parse_app_list(Json::parse(R"([{"description": "m-gpux-a", "state": "deployed"},
                        {"app_id": "--yes", "description": "m-gpux-b", "state": "deployed"},
                        {"app_id": 7, "description": "m-gpux-c", "state": "deployed"},
                        "not an object",
                        {"app_id": "ap-ok1", "description": "m-gpux-d", "state": "deployed"}])"),
                                     "p");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].description, "m-gpux-d");
}

TEST(AppList, NonArrayDocumentsGiveNoRows) {
    EXPECT_TRUE(parse_app_list(Json(), "p").empty());
    EXPECT_TRUE(parse_app_list(Json::parse(R"({"app_id": "ap-1"})"), "p").empty());
}

TEST(AppList, LiveStatesAreTodaysModalStrings) {
    for (const char* s : {"deployed", "ephemeral", "ephemeral (detached)", "initializing..."})
        EXPECT_TRUE(is_live_state(s)) << s;
    for (const char* s : {"running", "stopped", "stopping...", "disabled", "unknown", ""})
        EXPECT_FALSE(is_live_state(s)) << s;
}

TEST(AppList, SelectsDetachedMgpuxAppsAndSkipsOthers) {
    // The ephemeral (detached) m-gpux rows are found.
    const auto live = live_mgpux_apps(parse_app_list(Json::parse(kSnakeCase), "alice"));
    ASSERT_EQ(live.size(), 2u);
    EXPECT_EQ(live[0].description, "m-gpux-jupyter");
    EXPECT_EQ(live[1].description, "m-gpux-llm-api");
}

TEST(AppList, ShortTime) {
    EXPECT_EQ(short_time("2026-08-20 09:14:03+00:00"), "2026-08-20 09:14");
    EXPECT_EQ(short_time("2026-05-07T09:41:03+00:00"), "2026-05-07 09:41");
    EXPECT_EQ(short_time("yesterday"), "yesterday");
    EXPECT_EQ(short_time(""), "");
    EXPECT_EQ(short_time("2026-08-20x09:14"), "2026-08-20x09:14");
}

TEST(AppList, AppJson) {
    AppRow a{"alice", "ap-1", "m-gpux-shell", "ephemeral", ""};
    EXPECT_EQ(app_json(a).dump(), R"({"profile":"alice","app_id":"ap-1","description":"m-gpux-shell",)"
                                  R"("state":"ephemeral","created_at":null})");
}

TEST(Selection, AllAndNone) {
    EXPECT_EQ(parse_selection("all", 3).indices, (std::vector<std::size_t>{0, 1, 2}));
    EXPECT_EQ(parse_selection("  ALL ", 2).indices, (std::vector<std::size_t>{0, 1}));
    EXPECT_EQ(parse_selection("*", 1).indices, (std::vector<std::size_t>{0}));
    const auto none = parse_selection("none", 3);
    EXPECT_TRUE(none.indices.empty());
    EXPECT_TRUE(none.error.empty());
}

TEST(Selection, NumbersAndRanges) {
    EXPECT_EQ(parse_selection("1,3", 3).indices, (std::vector<std::size_t>{0, 2}));
    EXPECT_EQ(parse_selection("3 1", 3).indices, (std::vector<std::size_t>{0, 2}));
    EXPECT_EQ(parse_selection("2-4, 1", 5).indices, (std::vector<std::size_t>{0, 1, 2, 3}));
    EXPECT_EQ(parse_selection("2,2,2", 2).indices, (std::vector<std::size_t>{1}));
}

TEST(Selection, RejectsWhatItDoesNotUnderstand) {
    for (const char* bad : {"0", "4", "1,x", "3-2", "-1", "1-", "", "  ", "1.5", "9999999"}) {
        const auto sel = parse_selection(bad, 3);
        EXPECT_FALSE(sel.error.empty()) << bad;
        EXPECT_TRUE(sel.indices.empty()) << bad;
    }
}

TEST(Filter, ByAppIdOrExactDescription) {
    std::vector<AppRow> apps{{"a", "ap-1", "m-gpux-shell", "ephemeral", ""},
                             {"b", "ap-2", "m-gpux-shell", "ephemeral (detached)", ""},
                             {"a", "ap-3", "m-gpux-jupyter", "deployed", ""}};
    EXPECT_EQ(filter_by_ref(apps, "m-gpux-shell").size(), 2u);
    ASSERT_EQ(filter_by_ref(apps, "ap-3").size(), 1u);
    EXPECT_EQ(filter_by_ref(apps, "ap-3")[0].description, "m-gpux-jupyter");
    EXPECT_TRUE(filter_by_ref(apps, "m-gpux").empty());
}

TEST(AlreadyStopped, ReadsModalsMessage) {
    EXPECT_TRUE(says_already_stopped("App is already stopped. (Stopped at 2026-08-19 07:12:55+00:00 by 'alice')."));
    EXPECT_FALSE(says_already_stopped("App 'ap-x' not found."));
}

}  // namespace
}  // namespace mgpux::stop
