// SPDX-License-Identifier: MIT
// Tests for the state directory: the original's formats and session/preset
// semantics, corrupt files left alone, modes, and
// many processes writing at once or dying mid-write.
#include "services/state_store.hpp"

#include "services/service_error.hpp"
#include "util/json.hpp"
#include "util/paths.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using mgpux::services::ServiceError;
using mgpux::services::StateStore;
using mgpux::services::utc_now_iso;

#define EXPECT_CONTAINS(text, part) EXPECT_NE(std::string(text).find(part), std::string::npos) << (text)

const std::regex kIsoUtc(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00)");

class StateStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string name = (fs::temp_directory_path() / "mgpux-state-XXXXXX").string();
        ASSERT_NE(::mkdtemp(name.data()), nullptr);
        root_ = name;
        dir_ = root_ / "home";
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(root_, ec);
    }

    StateStore store() const { return StateStore(dir_); }
    fs::path file(const std::string& name) const { return dir_ / (name + ".json"); }

    static std::string slurp(const fs::path& p) {
        std::ifstream in(p, std::ios::binary);
        std::ostringstream out;
        out << in.rdbuf();
        return out.str();
    }
    void put(const std::string& name, const std::string& content) const {
        fs::create_directories(dir_);
        std::ofstream(file(name), std::ios::binary) << content;
    }
    static unsigned mode_of(const fs::path& p) {
        struct stat st {};
        EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
        return st.st_mode & 07777;
    }
    // Runs `op`, expecting a ServiceError; returns it.
    template <class Op>
    static ServiceError error_of(Op op) {
        try {
            op();
        } catch (const ServiceError& e) {
            return e;
        }
        ADD_FAILURE() << "expected a ServiceError";
        return ServiceError(0, "");
    }
    int temp_files() const {
        int n = 0;
        for (const auto& entry : fs::directory_iterator(dir_))
            if (entry.path().filename().string().find(".tmp") != std::string::npos) ++n;
        return n;
    }

    fs::path root_;
    fs::path dir_;
};

json::object obj(const char* text) { return json::parse(text).as_object(); }

// --- documents ---------------------------------------------------------------

using StateStoreDocuments = StateStoreTest;

TEST_F(StateStoreDocuments, MissingFilesReadAsDefaults) {
    const StateStore s = store();
    EXPECT_EQ(s.read("sessions"), json::array());
    EXPECT_EQ(s.read("api_keys"), json::array());
    EXPECT_EQ(s.read("presets"), json::object());
    EXPECT_TRUE(s.read("budgets").is_null());
    EXPECT_TRUE(s.list_sessions().empty());
    EXPECT_TRUE(s.list_presets().empty());
    EXPECT_FALSE(fs::exists(dir_)) << "reading must not create the directory";
}

TEST_F(StateStoreDocuments, RefusesBadDocumentNames) {
    const StateStore s = store();
    for (const char* name : {"", "../sessions", "Sessions", "1a", "a-b", "a.json", "a/b", "_x"})
        EXPECT_EQ(error_of([&] { s.read(name); }).code, mgpux::services::kExitUsage) << name;
    EXPECT_EQ(s.document_path("dev_2"), dir_ / "dev_2.json");
}

TEST_F(StateStoreDocuments, ModifyWritesOnlyWhenAsked) {
    StateStore s = store();
    EXPECT_TRUE(s.modify("budgets", [](json::value v) -> std::optional<json::value> {
                     EXPECT_TRUE(v.is_null());
                     return std::nullopt;
                 }).is_null());
    EXPECT_FALSE(fs::exists(file("budgets")));
    const json::value written = s.modify(
        "budgets", [](json::value) -> std::optional<json::value> { return json::parse(R"({"z":1,"a":[true]})"); });
    EXPECT_EQ(written, json::parse(R"({"z":1,"a":[true]})"));
    // Documents other than sessions and presets keep their member order.
    EXPECT_EQ(slurp(file("budgets")), "{\n  \"z\": 1,\n  \"a\": [\n    true\n  ]\n}\n");
}

TEST_F(StateStoreDocuments, DirectoryIsPrivateAndFiles0600) {
    StateStore s = store();
    s.save_session(obj(R"({"app_name":"a"})"));
    s.save_preset("p", obj(R"({"gpu":"T4"})"));
    EXPECT_EQ(mode_of(dir_), 0700u);
    int files = 0;
    for (const auto& entry : fs::directory_iterator(dir_)) {
        EXPECT_EQ(mode_of(entry.path()), 0600u) << entry.path();
        ++files;
    }
    EXPECT_EQ(files, 4);  // two documents and their lock files
    // A file another tool left world-readable becomes private on our write.
    ::chmod(file("sessions").c_str(), 0644);
    s.save_session(obj(R"({"app_name":"b"})"));
    EXPECT_EQ(mode_of(file("sessions")), 0600u);
}

// The state directory, runs/ and every state file must belong to the user
// running m-gpux: another user who owns one (or could write it) could hand
// us their API keys or scripts. `owner` is the uid the store compares with,
// so a test can play "another user" without root.
TEST_F(StateStoreDocuments, StateOwnedByAnotherUserIsRefused) {
    put("api_keys", R"([{"name":"dev","key":"sk-attacker","created":"x","active":true}])");
    const unsigned someone_else = ::geteuid() + 1;
    std::vector<std::string> notes;
    const StateStore s(dir_, someone_else, [&](const std::string& n) { notes.push_back(n); });
    const ServiceError e = error_of([&] { s.read("api_keys"); });
    EXPECT_EQ(e.code, mgpux::services::kExitConfig);
    EXPECT_CONTAINS(e.what(), dir_.string());
    EXPECT_CONTAINS(e.what(), "owned by uid " + std::to_string(::geteuid()));
    EXPECT_CONTAINS(e.what(), "chown");
    EXPECT_EQ(error_of([&] { StateStore(dir_, someone_else).read("sessions"); }).code, mgpux::services::kExitConfig);
    StateStore writer(dir_, someone_else);
    EXPECT_EQ(error_of([&] { writer.save_session(obj(R"({"app_name":"a"})")); }).code, mgpux::services::kExitConfig);
    EXPECT_FALSE(fs::exists(file("sessions")));
    EXPECT_TRUE(notes.empty());
}

TEST_F(StateStoreDocuments, FileOrRunsDirOfAnotherUserIsRefusedInOurDirectory) {
    put("api_keys", "[]");
    ::chmod(dir_.c_str(), 0700);
    ::chmod(file("api_keys").c_str(), 0600);
    fs::create_directory(dir_ / "runs");
    ::chmod((dir_ / "runs").c_str(), 0700);
    const unsigned me = ::geteuid();
    // The check itself, with a fake owner for one path at a time.
    EXPECT_FALSE(mgpux::util::make_private(dir_, me));
    EXPECT_FALSE(mgpux::util::make_private(dir_ / "missing", me));
    EXPECT_THROW(mgpux::util::make_private(file("api_keys"), me + 1), mgpux::util::NotOwnedError);
    EXPECT_THROW(mgpux::util::make_private(dir_ / "runs", me + 1), mgpux::util::NotOwnedError);
}

TEST_F(StateStoreDocuments, OpenDirectoryAndFilesOfOursAreTightenedWithOneNote) {
    put("api_keys", "[]");
    fs::create_directory(dir_ / "runs");
    ::chmod(dir_.c_str(), 0777);
    ::chmod((dir_ / "runs").c_str(), 0775);
    ::chmod(file("api_keys").c_str(), 0666);
    std::vector<std::string> notes;
    const StateStore s(dir_, ::geteuid(), [&](const std::string& n) { notes.push_back(n); });
    EXPECT_EQ(s.read("api_keys"), json::array());
    EXPECT_EQ(mode_of(dir_), 0700u);
    EXPECT_EQ(mode_of(dir_ / "runs"), 0700u);
    EXPECT_EQ(mode_of(file("api_keys")), 0600u);
    ASSERT_EQ(notes.size(), 3u);
    EXPECT_CONTAINS(notes[0], dir_.string());
    EXPECT_CONTAINS(notes[0], "0777");
    EXPECT_CONTAINS(notes[0], "0700");
    EXPECT_CONTAINS(notes[2], "0666");
    s.read("api_keys");
    EXPECT_EQ(notes.size(), 3u) << "nothing more to say once it is private";
}

TEST_F(StateStoreDocuments, ApiKeysReadAsTheOriginalWroteThem) {
    // json.dump(indent=2): member order, no trailing newline.
    put("api_keys",
        "[\n  {\n    \"name\": \"default\",\n    \"key\": \"sk-mgpux-0123\",\n"
        "    \"created\": \"2026-04-12T10:30:00.123456\",\n    \"active\": true\n  }\n]");
    StateStore s = store();
    EXPECT_EQ(s.read("api_keys").as_array().size(), 1u);
    s.modify("api_keys", [](json::value v) -> std::optional<json::value> {
        v.as_array()[0].as_object()["active"] = false;
        return v;
    });
    EXPECT_EQ(slurp(file("api_keys")),
              "[\n  {\n    \"name\": \"default\",\n    \"key\": \"sk-mgpux-0123\",\n"
              "    \"created\": \"2026-04-12T10:30:00.123456\",\n    \"active\": false\n  }\n]\n");
}

TEST_F(StateStoreDocuments, CorruptFilesAreNeverReplaced) {
    const std::string bad_sessions = "[\n  {\"id\": \"sess-1\",, }\n]\n";
    const std::string bad_presets = "{\"p\": {\"name\": \"p\"}";  // truncated
    put("sessions", bad_sessions);
    put("presets", bad_presets);
    StateStore s = store();
    const ServiceError e = error_of([&] { s.save_session(obj(R"({"app_name":"x"})")); });
    EXPECT_EQ(e.code, mgpux::services::kExitConfig);
    EXPECT_CONTAINS(e.what(), file("sessions").string());
    EXPECT_CONTAINS(e.what(), "at byte " + std::to_string(bad_sessions.find(",,") + 1) + " (line 2)");
    EXPECT_CONTAINS(e.what(), "left unchanged");
    for (auto op : std::vector<std::function<void()>>{
             [&] { s.list_sessions(); }, [&] { s.get_session("sess-1"); },
             [&] { s.update_session("sess-1", obj(R"({"state":"stopped"})")); }, [&] { s.forget_session("sess-1"); },
             [&] { s.list_presets(); }, [&] { s.get_preset("p"); }, [&] { s.save_preset("p", obj("{}")); },
             [&] { s.delete_preset("p"); }})
        EXPECT_EQ(error_of(op).code, mgpux::services::kExitConfig);
    const ServiceError p = error_of([&] { s.save_preset("q", obj(R"({"gpu":"T4"})")); });
    EXPECT_CONTAINS(p.what(), file("presets").string());
    EXPECT_CONTAINS(p.what(), "at byte " + std::to_string(bad_presets.size()));
    EXPECT_EQ(slurp(file("sessions")), bad_sessions);
    EXPECT_EQ(slurp(file("presets")), bad_presets);
    EXPECT_EQ(temp_files(), 0);
}

TEST_F(StateStoreDocuments, EmptyAndNonUtf8FilesAreCorrupt) {
    put("sessions", "");
    StateStore s = store();
    EXPECT_CONTAINS(error_of([&] { s.save_session(obj("{}")); }).what(), "at byte 0 (line 1)");
    EXPECT_EQ(slurp(file("sessions")), "");
    put("sessions", "[\"\xff\"]");
    EXPECT_EQ(error_of([&] { s.list_sessions(); }).code, mgpux::services::kExitConfig);
}

TEST_F(StateStoreDocuments, WrongTopLevelTypeIsRefused) {
    put("sessions", "{}\n");
    put("presets", "[]\n");
    StateStore s = store();
    const ServiceError e = error_of([&] { s.save_session(obj("{}")); });
    EXPECT_EQ(e.code, mgpux::services::kExitConfig);
    EXPECT_CONTAINS(e.what(), "must be an array, not an object");
    EXPECT_CONTAINS(error_of([&] { s.save_preset("p", obj("{}")); }).what(), "must be an object, not an array");
    EXPECT_EQ(slurp(file("sessions")), "{}\n");
    EXPECT_EQ(slurp(file("presets")), "[]\n");
}

TEST(StateStoreTime, UtcNowIsIsoWithOffset) { EXPECT_TRUE(std::regex_match(utc_now_iso(), kIsoUtc)) << utc_now_iso(); }

// --- sessions ----------------------------------------------------------------

using StateStoreSessions = StateStoreTest;

TEST_F(StateStoreSessions, WritesSortedKeysTwoSpacesAndANewline) {
    StateStore s = store();
    const json::object saved = s.save_session(obj(R"({"state":"running","app_name":"m-gpux-shell","id":"sess-1a2b3c4d",
        "preset":null,"created_at":"2026-05-07T09:41:03+00:00","kind":"dev","local_dir":"/home/me/proj"})"));
    const std::string updated = saved.at("updated_at").as_string().c_str();
    EXPECT_TRUE(std::regex_match(updated, kIsoUtc));
    EXPECT_EQ(slurp(file("sessions")),
              "[\n"
              "  {\n"
              "    \"app_name\": \"m-gpux-shell\",\n"
              "    \"created_at\": \"2026-05-07T09:41:03+00:00\",\n"
              "    \"id\": \"sess-1a2b3c4d\",\n"
              "    \"kind\": \"dev\",\n"
              "    \"local_dir\": \"/home/me/proj\",\n"
              "    \"preset\": null,\n"
              "    \"state\": \"running\",\n"
              "    \"updated_at\": \"" +
                  updated +
                  "\"\n"
                  "  }\n"
                  "]\n");
}

TEST_F(StateStoreSessions, RoundTripKeepsUnknownKeysEscapesAndOrder) {
    // The original writes ensure_ascii escapes; we read them and write UTF-8.
    put("sessions",
        "[\n  {\n    \"app_name\": \"m-gpux-shell\",\n    \"description\": \"Caf\\u00e9 \\ud83d\\ude80\",\n"
        "    \"id\": \"sess-00000001\",\n    \"zz_future\": {\"nested\": [1, 2.5]}\n  }\n]");
    StateStore s = store();
    s.save_session(obj(R"({"id":"sess-00000002","app_name":"other"})"));
    const json::array all = s.list_sessions();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].at("description"), "Caf\xc3\xa9 \xf0\x9f\x9a\x80");
    EXPECT_EQ(all[0].at("zz_future"), json::parse(R"({"nested":[1,2.5]})"));
    EXPECT_FALSE(all[0].as_object().contains("updated_at")) << "an untouched session is not restamped";
    EXPECT_EQ(all[1].at("id"), "sess-00000002");
    EXPECT_CONTAINS(slurp(file("sessions")), "\"Caf\xc3\xa9 \xf0\x9f\x9a\x80\"");
    // The file is exactly what the original's sorted json.dump layout gives.
    EXPECT_EQ(slurp(file("sessions")), mgpux::util::pretty_json(json::value(all), true));
}

TEST_F(StateStoreSessions, AssignsIdAndTimestampsAndReplacesById) {
    StateStore s = store();
    const json::object first = s.save_session(obj(R"({"app_name":"a","state":"running"})"));
    const std::string id = first.at("id").as_string().c_str();
    EXPECT_TRUE(std::regex_match(id, std::regex("sess-[0-9a-f]{8}"))) << id;
    EXPECT_TRUE(std::regex_match(std::string(first.at("created_at").as_string()), kIsoUtc));
    EXPECT_EQ(first.at("created_at"), first.at("updated_at"));

    json::object again = obj(R"({"app_name":"a","state":"stopped","created_at":"2000-01-01T00:00:00+00:00"})");
    again["id"] = id;
    s.save_session(again);
    const json::array all = s.list_sessions();
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].at("state"), "stopped");
    EXPECT_EQ(all[0].at("created_at"), "2000-01-01T00:00:00+00:00");  // given, so kept

    s.save_session(obj(R"({"app_name":"b"})"));
    EXPECT_EQ(s.list_sessions().size(), 2u);
}

TEST_F(StateStoreSessions, GetMatchesIdAppNameOrAppIdFirstInOrder) {
    put("sessions", R"([
      {"id": "sess-1", "app_name": "m-gpux-shell", "n": 1},
      {"id": "sess-2", "app_name": "m-gpux-shell", "app_id": "ap-2", "n": 2},
      {"id": "m-gpux-jupyter", "app_name": "x", "n": 3},
      {"id": "sess-4", "app_name": "m-gpux-jupyter", "n": 4}
    ])");
    const StateStore s = store();
    EXPECT_EQ(s.get_session("m-gpux-shell")->at("n"), 1);
    EXPECT_EQ(s.get_session("sess-2")->at("n"), 2);
    EXPECT_EQ(s.get_session("ap-2")->at("n"), 2);
    EXPECT_EQ(s.get_session("m-gpux-jupyter")->at("n"), 3);  // array order, whichever key matched
    EXPECT_FALSE(s.get_session("nope"));
    EXPECT_FALSE(s.get_session(""));
}

TEST_F(StateStoreSessions, UpdateMergesInPlaceAndKeepsCreatedAt) {
    put("sessions", R"([{"id": "sess-1", "app_name": "a", "state": "running", "created_at": "2026-01-01T00:00:00+00:00",
                        "updated_at": "2026-01-01T00:00:00+00:00"},
                       {"app_name": "no-id", "state": "running"}])");
    StateStore s = store();
    const auto updated = s.update_session("a", obj(R"({"state":"stopped","url":"https://x"})"));
    ASSERT_TRUE(updated);
    EXPECT_EQ(updated->at("state"), "stopped");
    EXPECT_EQ(updated->at("url"), "https://x");
    EXPECT_EQ(updated->at("created_at"), "2026-01-01T00:00:00+00:00");
    EXPECT_NE(updated->at("updated_at"), "2026-01-01T00:00:00+00:00");
    EXPECT_EQ(s.get_session("sess-1"), updated);

    // A session without an id gets one and is not duplicated.
    const auto no_id = s.update_session("no-id", obj(R"({"state":"stopped"})"));
    ASSERT_TRUE(no_id);
    EXPECT_TRUE(no_id->contains("id"));
    EXPECT_EQ(s.list_sessions().size(), 2u);

    const std::string before = slurp(file("sessions"));
    EXPECT_FALSE(s.update_session("missing", obj(R"({"state":"x"})")));
    EXPECT_EQ(slurp(file("sessions")), before);
}

TEST_F(StateStoreSessions, ForgetRemovesEveryMatch) {
    put("sessions", R"([{"id": "sess-1", "app_name": "shell"}, {"id": "sess-2", "app_name": "jup"},
                       {"id": "sess-3", "app_name": "shell"}, {"id": "sess-4", "app_id": "shell"}])");
    StateStore s = store();
    EXPECT_EQ(s.forget_session("shell"), 3u);
    const json::array left = s.list_sessions();
    ASSERT_EQ(left.size(), 1u);
    EXPECT_EQ(left[0].at("id"), "sess-2");
    const std::string before = slurp(file("sessions"));
    EXPECT_EQ(s.forget_session("shell"), 0u);
    EXPECT_EQ(slurp(file("sessions")), before);
    EXPECT_EQ(s.forget_session("sess-2"), 1u);
    EXPECT_TRUE(s.list_sessions().empty());
}

TEST_F(StateStoreSessions, ListDropsNonObjectsButSavesKeepThem) {
    put("sessions", R"([1, {"id": "sess-1"}, "x", null])");
    StateStore s = store();
    ASSERT_EQ(s.list_sessions().size(), 1u);
    s.save_session(obj(R"({"id":"sess-2"})"));
    EXPECT_EQ(s.list_sessions().size(), 2u);
    EXPECT_EQ(s.read("sessions").as_array().size(), 5u);
}

// --- presets -----------------------------------------------------------------

using StateStorePresets = StateStoreTest;

// The original's format, verbatim.
const char* const kOriginalPresets = R"J({
  "rl-a100": {
    "action": "dev",
    "compute_label": "A100",
    "compute_spec": "gpu=\"A100\"",
    "created_at": "2026-05-07T09:40:00+00:00",
    "exclude_patterns": [".venv", "venv", "__pycache__", ".git", "node_modules"],
    "name": "rl-a100",
    "pip_section": ".pip_install_from_requirements(\"/home/me/proj/requirements.txt\")",
    "profile": "personal",
    "updated_at": "2026-05-07T09:40:00+00:00"
  }
}
)J";

TEST_F(StateStorePresets, OriginalFileReadsIntoStructuredFields) {
    put("presets", kOriginalPresets);
    const StateStore s = store();
    const json::object p = s.get_preset("rl-a100");
    EXPECT_EQ(p.at("gpu"), "A100");
    EXPECT_EQ(p.at("gpu_count"), 1);
    EXPECT_TRUE(p.at("cpu").is_null());
    EXPECT_EQ(p.at("requirements"), "/home/me/proj/requirements.txt");
    EXPECT_EQ(p.at("pip_packages"), json::array());
    EXPECT_EQ(p.at("exclude_patterns"), json::parse(R"([".venv", "venv", "__pycache__", ".git", "node_modules"])"));
    EXPECT_EQ(p.at("action"), "dev");
    EXPECT_EQ(p.at("profile"), "personal");
    EXPECT_EQ(p.at("compute_label"), "A100");
    EXPECT_EQ(s.list_presets().at("rl-a100"), p);
    EXPECT_EQ(slurp(file("presets")), kOriginalPresets) << "reading changes nothing";
}

TEST_F(StateStorePresets, SaveRegeneratesTheOriginalsFragments) {
    put("presets", kOriginalPresets);
    StateStore s = store();
    const json::object saved =
        s.save_preset("rl-a100", obj(R"({"gpu":"H100","gpu_count":2,"pip_packages":["torch"]})"));
    const json::value file_doc = json::parse(slurp(file("presets")));
    const json::object& stored = file_doc.at("rl-a100").as_object();
    EXPECT_EQ(stored, saved);
    EXPECT_EQ(stored.at("compute_spec"), "gpu=\"H100:2\"");
    EXPECT_EQ(stored.at("compute_label"), "H100:2");
    EXPECT_EQ(stored.at("pip_section"), ".pip_install(\"torch\")");
    EXPECT_TRUE(stored.at("requirements").is_null());
    EXPECT_EQ(stored.at("gpu"), "H100");
    EXPECT_EQ(stored.at("created_at"), "2026-05-07T09:40:00+00:00");
    EXPECT_NE(stored.at("updated_at"), "2026-05-07T09:40:00+00:00");
    EXPECT_EQ(stored.at("profile"), "personal");
    EXPECT_EQ(slurp(file("presets")), mgpux::util::pretty_json(file_doc, true));
}

TEST_F(StateStorePresets, MergeSemantics) {
    StateStore s = store();
    const json::object first =
        s.save_preset("p", obj(R"({"name":"other","action":"jupyter","profile":"work","cpu":8,"extra":"kept"})"));
    EXPECT_EQ(first.at("name"), "p");
    EXPECT_TRUE(std::regex_match(std::string(first.at("created_at").as_string()), kIsoUtc));
    EXPECT_EQ(first.at("compute_spec"), "cpu=8, memory=4096");
    EXPECT_EQ(first.at("compute_label"), "CPU (8 cores, 4096 MB)");

    // Pretend it was made long ago, then update one member.
    s.modify("presets", [](json::value v) -> std::optional<json::value> {
        auto& p = v.as_object()["p"].as_object();
        p["created_at"] = "2000-01-01T00:00:00+00:00";
        p["updated_at"] = "2000-01-01T00:00:00+00:00";
        return v;
    });
    const json::object second =
        s.save_preset("p", obj(R"({"action":"bash","name":"x","created_at":"2030-01-01T00:00:00+00:00"})"));
    EXPECT_EQ(second.at("name"), "p");
    EXPECT_EQ(second.at("action"), "bash");
    EXPECT_EQ(second.at("profile"), "work");
    EXPECT_EQ(second.at("extra"), "kept");
    EXPECT_EQ(second.at("cpu"), 8);
    EXPECT_EQ(second.at("created_at"), "2000-01-01T00:00:00+00:00");
    EXPECT_NE(second.at("updated_at"), "2000-01-01T00:00:00+00:00");
    EXPECT_EQ(s.get_preset("p"), second);
}

TEST_F(StateStorePresets, KeepsNonAsciiAndNamesAsGiven) {
    StateStore s = store();
    s.save_preset("pr\xc3\xa9set", obj(R"({"gpu":"L4","profile":"\u00e9quipe"})"));
    EXPECT_EQ(s.get_preset("pr\xc3\xa9set").at("profile"), "\xc3\xa9quipe");
    EXPECT_CONTAINS(slurp(file("presets")), "\"pr\xc3\xa9set\"");
}

TEST_F(StateStorePresets, UnparseablePresetIsAConfigErrorNamingIt) {
    put("presets", R"J({"bad": {"name": "bad", "compute_spec": "gpu=os.system(\"x\")"},
                      "good": {"name": "good", "compute_spec": "cpu=2"},
                      "junk": 5})J");
    StateStore s = store();
    const ServiceError e = error_of([&] { s.get_preset("bad"); });
    EXPECT_EQ(e.code, mgpux::services::kExitConfig);
    EXPECT_CONTAINS(e.what(), "preset 'bad'");
    EXPECT_CONTAINS(e.what(), "compute_spec");
    EXPECT_CONTAINS(e.what(), "os.system");
    EXPECT_CONTAINS(e.what(), file("presets").string());

    const json::object all = s.list_presets();
    EXPECT_EQ(all.size(), 2u);  // "junk" is not an object
    EXPECT_CONTAINS(all.at("bad").at("error").as_string().c_str(), "compute_spec");
    EXPECT_EQ(all.at("bad").at("compute_spec"), "gpu=os.system(\"x\")");
    EXPECT_FALSE(all.at("good").as_object().contains("error"));
    EXPECT_EQ(all.at("good").at("memory_mb"), 1024);

    // Saving over it needs a new value for the broken member.
    const std::string before = slurp(file("presets"));
    EXPECT_EQ(error_of([&] { s.save_preset("bad", obj(R"({"action":"bash"})")); }).code, mgpux::services::kExitConfig);
    EXPECT_EQ(slurp(file("presets")), before);
    EXPECT_EQ(s.save_preset("bad", obj(R"({"compute_spec":"gpu=\"T4\""})")).at("gpu"), "T4");
    EXPECT_EQ(s.get_preset("bad").at("compute_spec"), "gpu=\"T4\"");
}

TEST_F(StateStorePresets, MissingPresetAndBadFieldsAreUsageErrors) {
    StateStore s = store();
    const ServiceError missing = error_of([&] { s.get_preset("nope"); });
    EXPECT_EQ(missing.code, mgpux::services::kExitUsage);
    EXPECT_STREQ(missing.what(), "no preset named 'nope'");
    s.save_preset("p", obj(R"({"gpu":"T4"})"));
    const std::string before = slurp(file("presets"));
    for (const char* fields : {R"J({"gpu":"T4\"); import os #"})J", R"J({"gpu_count":0})J", R"J({"cpu":65})J",
                               R"({"pip_packages":["--index-url=http://evil"]})", R"({"pip_packages":["a\"b"]})",
                               R"J({"compute_spec":"gpu=GPU"})J", R"J({"pip_section":".run_commands(\"x\")"})J",
                               R"({"exclude_patterns":[1]})", R"({"python_version":"3"})"}) {
        const ServiceError e = error_of([&] { s.save_preset("p", obj(fields)); });
        EXPECT_EQ(e.code, mgpux::services::kExitUsage) << fields;
        EXPECT_CONTAINS(e.what(), "preset 'p'");
    }
    EXPECT_EQ(error_of([&] { s.save_preset("", obj("{}")); }).code, mgpux::services::kExitUsage);
    EXPECT_EQ(slurp(file("presets")), before);
}

TEST_F(StateStorePresets, DeleteReportsWhetherItExisted) {
    StateStore s = store();
    s.save_preset("a", obj("{}"));
    s.save_preset("b", obj("{}"));
    EXPECT_TRUE(s.delete_preset("a"));
    EXPECT_FALSE(s.delete_preset("a"));
    EXPECT_EQ(s.list_presets().size(), 1u);
    EXPECT_TRUE(s.list_presets().contains("b"));
}

// --- many processes ----------------------------------------------------------

using StateStoreConcurrency = StateStoreTest;

// Forks `n` children that wait on a pipe, so they start together, then run
// `body(i)`; a child exits 0 when body returns normally. Returns how many
// children failed.
template <class Body>
int run_children(int n, Body body) {
    int gate[2];
    if (::pipe(gate) != 0) return n;
    std::fflush(nullptr);  // no buffered output may be written twice
    std::vector<pid_t> pids;
    for (int i = 0; i < n; ++i) {
        const pid_t pid = ::fork();
        if (pid == 0) {
            ::close(gate[1]);
            char ch;
            while (::read(gate[0], &ch, 1) < 0) {}
            int rc = 0;
            try {
                body(i);
            } catch (...) {
                rc = 1;
            }
            ::_exit(rc);
        }
        if (pid > 0) pids.push_back(pid);
    }
    ::close(gate[0]);
    ::close(gate[1]);  // every child's read returns 0: go
    int failed = n - static_cast<int>(pids.size());
    for (pid_t pid : pids) {
        int status = 0;
        if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
    }
    return failed;
}

TEST_F(StateStoreConcurrency, ThirtyWritersSaveSessions) {
    const fs::path dir = dir_;
    EXPECT_EQ(run_children(30,
                           [&](int i) {
                               StateStore s(dir);
                               json::object session;
                               session["app_name"] = "app-" + std::to_string(i);
                               s.save_session(std::move(session));
                           }),
              0);
    const json::array all = store().list_sessions();
    ASSERT_EQ(all.size(), 30u);
    std::set<std::string> names, ids;
    for (const auto& item : all) {
        names.insert(std::string(item.at("app_name").as_string()));
        ids.insert(std::string(item.at("id").as_string()));
    }
    EXPECT_EQ(names.size(), 30u);
    EXPECT_EQ(ids.size(), 30u);
    EXPECT_EQ(temp_files(), 0);
}

TEST_F(StateStoreConcurrency, ThirtyWritersModifyADocument) {
    const fs::path dir = dir_;
    EXPECT_EQ(run_children(30,
                           [&](int i) {
                               StateStore(dir).modify("counter", [i](json::value v) -> std::optional<json::value> {
                                   json::array items = v.is_array() ? v.as_array() : json::array();
                                   items.emplace_back(i);
                                   return json::value(std::move(items));
                               });
                           }),
              0);
    const json::value doc = store().read("counter");
    ASSERT_TRUE(doc.is_array());
    std::set<std::int64_t> seen;
    for (const auto& item : doc.as_array()) seen.insert(item.as_int64());
    EXPECT_EQ(doc.as_array().size(), 30u);
    EXPECT_EQ(seen.size(), 30u);
}

// A ~2 MB document whose strings are all `fill`.
json::value big_document(char fill, std::size_t items, std::size_t length) {
    json::object doc;
    doc["which"] = std::string(1, fill);
    json::array data;
    for (std::size_t i = 0; i < items; ++i) data.emplace_back(std::string(length, fill));
    doc["data"] = std::move(data);
    return doc;
}

TEST_F(StateStoreConcurrency, KilledWriterNeverLeavesATornFile) {
    const json::value initial = json::parse(R"({"which":"initial"})");
    const json::value a = big_document('a', 2000, 1000);
    const json::value b = big_document('b', 1800, 1150);
    StateStore s = store();
    s.modify("blob", [&](json::value) -> std::optional<json::value> { return initial; });
    const auto acceptable = [&](const json::value& v) { return v == initial || v == a || v == b; };

    std::mt19937 rng(12345);
    int reads = 0, writes_seen = 0;
    for (int round = 0; round < 20; ++round) {
        std::fflush(nullptr);
        const pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            try {
                StateStore writer(dir_);
                for (unsigned i = 0;; ++i)
                    writer.modify("blob", [&](json::value) -> std::optional<json::value> { return i % 2 ? a : b; });
            } catch (...) {}
            ::_exit(1);  // only reached on an error
        }
        // Read while the writer works, then kill it at a random moment.
        const auto deadline =
            std::chrono::steady_clock::now() + std::chrono::milliseconds(std::uniform_int_distribution<>(5, 80)(rng));
        while (std::chrono::steady_clock::now() < deadline) {
            const json::value seen = s.read("blob");  // throws on a torn file
            ++reads;
            ASSERT_TRUE(acceptable(seen)) << "round " << round;
            if (seen != initial) ++writes_seen;
        }
        ASSERT_EQ(::kill(pid, SIGKILL), 0);
        int status = 0;
        ASSERT_EQ(::waitpid(pid, &status, 0), pid);
        EXPECT_TRUE(WIFSIGNALED(status)) << "the writer stopped by itself in round " << round;
        ASSERT_TRUE(acceptable(s.read("blob"))) << "round " << round;
    }
    EXPECT_GT(reads, 0);
    EXPECT_GT(writes_seen, 0) << "the writer never finished a write: the test proves nothing";
    // The lock died with the writer: a later write goes through.
    s.modify("blob", [&](json::value) -> std::optional<json::value> { return initial; });
    EXPECT_EQ(s.read("blob"), initial);
}

}  // namespace
