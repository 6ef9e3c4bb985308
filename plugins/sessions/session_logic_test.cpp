// SPDX-License-Identifier: MIT
// Unit tests for the sessions plugin's pure logic: Modal state mapping,
// --refresh reconciliation, resolving a name-only session, and the views.
#include "session_logic.hpp"

#include <gtest/gtest.h>

namespace mgpux::sessions {
namespace {

SessionRecord record(const char* text) { return SessionRecord::from_json(Json::parse(text)); }

Json sessions_doc() {
    return Json::parse(R"J([
      {"id": "sess-00000001", "profile": "alice", "app_id": "ap-live1", "state": "running"},
      {"id": "sess-00000002", "profile": "alice", "app_id": "ap-gone1", "state": "running"},
      {"id": "sess-00000003", "profile": "alice", "app_id": "ap-stop1", "state": "running"},
      {"id": "sess-00000004", "profile": "work", "app_id": "ap-work1", "state": "running"},
      {"id": "sess-00000005", "profile": "", "app_id": "ap-dflt1", "state": "stopped"},
      {"id": "sess-00000006", "profile": "alice", "app_name": "m-gpux-shell", "state": "running"},
      {"id": "sess-00000007", "profile": "alice", "app_name": "m-gpux-jupyter", "state": "running"},
      {"id": "sess-00000008", "profile": "alice", "app_id": "ap-gone2", "state": "failed"},
      {"id": "sess-00000009", "profile": "alice", "app_id": "ap-live1", "state": "running"},
      "not a session"
    ])J");
}

std::map<std::string, std::vector<AppRow>> listings() {
    return {{"alice",
             {{"alice", "ap-live1", "m-gpux-dev", "ephemeral (detached)", "2026-08-20 09:00:00+00:00"},
              {"alice", "ap-stop1", "m-gpux-dev", "stopped", "2026-08-19 09:00:00+00:00"},
              {"alice", "ap-dflt1", "m-gpux-jupyter", "deployed", "2026-08-19 09:00:00+00:00"},
              {"alice", "ap-jup1", "m-gpux-jupyter", "ephemeral", "2026-08-19 09:00:00+00:00"}}}};
}

TEST(StateForModal, MapsTodaysStates) {
    EXPECT_EQ(state_for_modal("ephemeral (detached)"), "running");
    EXPECT_EQ(state_for_modal("ephemeral"), "running");
    EXPECT_EQ(state_for_modal("deployed"), "running");
    EXPECT_EQ(state_for_modal("initializing..."), "running");
    EXPECT_EQ(state_for_modal("stopped"), "stopped");
    EXPECT_EQ(state_for_modal("stopping..."), "stopped");
    EXPECT_EQ(state_for_modal("disabled"), "stopped");
    EXPECT_FALSE(state_for_modal("unknown"));
    EXPECT_FALSE(state_for_modal("running"));
}

TEST(Reconcile, FollowsModalByAppIdAndStopsWhatIsGone) {
    const auto changes = reconcile(sessions_doc(), listings(), "alice");
    std::map<std::string, std::string> to;
    for (const auto& c : changes) to[c.ref] = c.to;
    EXPECT_FALSE(to.count("sess-00000001"));    // live and already running
    EXPECT_EQ(to["sess-00000002"], "stopped");  // no longer listed
    EXPECT_EQ(to["sess-00000003"], "stopped");  // listed as stopped
    EXPECT_FALSE(to.count("sess-00000004"));    // profile work was not listed
    EXPECT_EQ(to["sess-00000005"], "running");  // no profile: the fallback profile's listing
    EXPECT_EQ(to["sess-00000006"], "stopped");  // by name, and no live m-gpux-shell
    EXPECT_FALSE(to.count("sess-00000007"));    // by name, a live m-gpux-jupyter exists: ambiguous
    EXPECT_FALSE(to.count("sess-00000008"));    // failed stays failed
    EXPECT_EQ(changes.size(), 4u);
    for (const auto& c : changes) {
        if (c.ref == "sess-00000005") {
            EXPECT_EQ(c.from, "stopped");
        }
    }
}

TEST(Reconcile, WithoutAFallbackProfileLeavesProfilelessSessionsAlone) {
    const auto changes = reconcile(sessions_doc(), listings(), "");
    for (const auto& c : changes) EXPECT_NE(c.ref, "sess-00000005");
}

TEST(Reconcile, SessionWithoutIdIsAddressedByAppId) {
    const auto doc = Json::parse(R"([{"profile": "alice", "app_id": "ap-gone9", "state": "running"},
                                     {"profile": "alice", "state": "running"}])");
    const auto changes = reconcile(doc, listings(), "");
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_EQ(changes[0].ref, "ap-gone9");
    EXPECT_EQ(changes[0].to, "stopped");
}

TEST(Reconcile, FailedSessionWhoseAppIsLiveBecomesRunning) {
    const auto doc = Json::parse(R"([{"id": "s", "profile": "alice", "app_id": "ap-live1", "state": "failed"}])");
    const auto changes = reconcile(doc, listings(), "");
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_EQ(changes[0].to, "running");
}

TEST(SessionsOnBackend, ARecordWithoutTheFieldIsModals) {
    const Json doc = Json::parse(R"J([
      {"id": "sess-1", "app_id": "ap-a"},
      {"id": "sess-2", "app_id": "ap-localb", "backend": "local"},
      {"id": "sess-3", "app_id": "ap-c", "backend": "modal"}
    ])J");
    auto ids = [](const Json& list) {
        std::vector<std::string> out;
        for (const Json& s : list.as_array()) out.push_back(s.string_or("id"));
        return out;
    };
    EXPECT_EQ(ids(sessions_on_backend(doc, "modal")), (std::vector<std::string>{"sess-1", "sess-3"}));
    EXPECT_EQ(ids(sessions_on_backend(doc, "local")), (std::vector<std::string>{"sess-2"}));
    EXPECT_TRUE(sessions_on_backend(Json::object(), "modal").as_array().empty());
}

TEST(Reconcile, NotAnArrayChangesNothing) { EXPECT_TRUE(reconcile(Json::object(), listings(), "alice").empty()); }

TEST(NewestLiveApp, PicksTheNewestLiveAppOfThatName) {
    const std::vector<AppRow> rows{
        {"p", "ap-old", "m-gpux-shell", "ephemeral (detached)", "2026-08-18 10:00:00+00:00"},
        {"p", "ap-new", "m-gpux-shell", "ephemeral (detached)", "2026-08-20 10:00:00+00:00"},
        {"p", "ap-newer-but-stopped", "m-gpux-shell", "stopped", "2026-08-21 10:00:00+00:00"},
        {"p", "ap-other", "m-gpux-jupyter", "ephemeral", "2026-08-22 10:00:00+00:00"},
        {"p", "ap-mid", "m-gpux-shell", "ephemeral", "2026-08-19 10:00:00+00:00"}};
    const auto app = newest_live_app(rows, "m-gpux-shell");
    ASSERT_TRUE(app);
    EXPECT_EQ(app->app_id, "ap-new");
    EXPECT_FALSE(newest_live_app(rows, "m-gpux-vllm"));
}

TEST(NewestLiveApp, OnEqualTimesTheLaterRowWins) {
    const std::vector<AppRow> rows{{"p", "ap-a", "m-gpux-shell", "ephemeral", ""},
                                   {"p", "ap-b", "m-gpux-shell", "ephemeral", ""}};
    EXPECT_EQ(newest_live_app(rows, "m-gpux-shell")->app_id, "ap-b");
}

TEST(Views, ListRow) {
    const auto ours = Json::parse(R"({"id": "sess-1", "kind": "dev", "profile": "alice", "compute": "L4",
        "app_id": "ap-x", "state": "running", "created_at": "2026-05-07T09:41:03+00:00"})");
    const auto row = list_row(ours);
    ASSERT_EQ(row.size(), 7u);
    EXPECT_EQ(Json(Json::Array(row)).dump(), R"(["sess-1","dev","alice","L4","ap-x","running","2026-05-07 09:41"])");
    const auto python = Json::parse(R"({"id": "sess-2", "kind": "bash", "profile": "", "app_name": "m-gpux-shell"})");
    EXPECT_EQ(Json(Json::Array(list_row(python))).dump(),
              R"J(["sess-2","bash","-","-","m-gpux-shell (by name)","unknown","-"])J");
}

TEST(Views, ShowFieldsAreSortedAndReadable) {
    const auto fields = show_fields(Json::parse(R"({"state": "running", "preset": null, "id": "sess-1",
        "extra": {"a": 1}, "count": 2})"));
    ASSERT_EQ(fields.size(), 5u);
    EXPECT_EQ(fields[0], (std::pair<std::string, std::string>{"count", "2"}));
    EXPECT_EQ(fields[1], (std::pair<std::string, std::string>{"extra", R"({"a":1})"}));
    EXPECT_EQ(fields[2], (std::pair<std::string, std::string>{"id", "sess-1"}));
    EXPECT_EQ(fields[3], (std::pair<std::string, std::string>{"preset", "-"}));
    EXPECT_EQ(fields[4], (std::pair<std::string, std::string>{"state", "running"}));
}

TEST(Urls, OnlyWebUrlsGoToABrowser) {
    EXPECT_TRUE(is_web_url("https://abc123.r5.modal.host"));
    EXPECT_TRUE(is_web_url("http://localhost:8888/lab?token=x"));
    for (const char* bad : {"", "https://", "file:///etc/passwd", "--help", "javascript:alert(1)", "https://a b",
                            "https://a\nb", "ftp://x"})
        EXPECT_FALSE(is_web_url(bad)) << bad;
}

TEST(Volumes, OnlyModalVolumeNames) {
    EXPECT_TRUE(is_volume_name("m-gpux-workspace-proj-421a2c433a"));
    EXPECT_TRUE(is_volume_name("a.b_c"));
    for (const char* bad : {"", "--force", "a/b", "a b", "x;rm"}) EXPECT_FALSE(is_volume_name(bad)) << bad;
    EXPECT_FALSE(is_volume_name(std::string(65, 'a')));
}

TEST(CredentialsPath, BesideTheRecordedScriptElseFromTheRunId) {
    EXPECT_EQ(
        credentials_path(record(R"({"script_path": "/h/.m-gpux/runs/r1/modal_runner.py", "run_id": "x"})"), "/state"),
        "/h/.m-gpux/runs/r1/credentials.env");
    EXPECT_EQ(credentials_path(record(R"({"run_id": "20260820-101500-abcdef"})"), "/state"),
              "/state/runs/20260820-101500-abcdef/credentials.env");
    EXPECT_EQ(credentials_path(record(R"({"app_name": "m-gpux-shell"})"), "/state"), "");
    EXPECT_EQ(credentials_path(record(R"({"run_id": "../../etc"})"), "/state"), "");
    EXPECT_EQ(credentials_path(record(R"({"run_id": "r1"})"), ""), "");
}

TEST(CredentialsPath, WordsNameTheVariableNotTheValue) {
    EXPECT_NE(credentials_words("jupyter").find("JUPYTER_TOKEN"), std::string::npos);
    EXPECT_NE(credentials_words("dev").find("TTYD_CREDENTIAL"), std::string::npos);
    EXPECT_EQ(credentials_words("something-new"), "the session's credentials");
}

}  // namespace
}  // namespace mgpux::sessions
