// SPDX-License-Identifier: MIT
// The typed service contracts: each struct survives a trip through JSON, reads the documents
// plugins send today without changing them, and refuses a wrong type or a missing member by name.
#include <mgpux/contracts.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

using mgpux::ContractError;
using mgpux::Json;

namespace {

// The member a strict read complains about ("" when it accepts the document).
template <class Contract>
std::string refused_member(const char* text) {
    try {
        Contract::from_json(Json::parse(text));
    } catch (const ContractError& e) {
        return e.member().empty() ? "<document>" : e.member();
    }
    return "";
}

// `j` with every object's members in key order: the host reads members by name, so their order
// is not part of a contract.
Json sorted(const Json& j) {
    if (j.is_array()) {
        Json out = Json::array();
        for (const auto& item : j.as_array()) out.push(sorted(item));
        return out;
    }
    if (!j.is_object()) return j;
    auto members = j.as_object();
    std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    Json out = Json::object();
    for (const auto& kv : members) out.set(kv.first, sorted(kv.second));
    return out;
}

// Parsing `text` into the contract and writing it again gives the same document, value for value
// (numbers keep their kind: 86400 stays an integer).
template <class Contract>
void expect_same_json(const char* text) {
    const Json original = Json::parse(text);
    EXPECT_EQ(sorted(Contract::from_json(original).to_json()).dump(), sorted(original).dump());
}

}  // namespace

TEST(RunRequestContract, RoundTrips) {
    mgpux::RunRequest r;
    r.script = "import modal\n";
    r.app_name = "m-gpux-hub-jupyter";
    r.mode = "run";
    r.detach = true;
    r.background = true;
    r.ready_timeout_s = 900;
    r.description = "Jupyter on L4";
    r.compute = "L4";
    r.timeout_s = 3600.5;
    r.deps = {"numpy"};
    r.uploads = {"/w (3 files, 1 KB)"};
    r.profile = "alice";
    r.secrets = {{"m-gpux-s1", {{"JUPYTER_TOKEN", "t"}}}};
    r.secret_env = {{"VLLM_API_KEY", "k"}};
    r.session = mgpux::SessionRecord::from_json(Json::parse(R"j({"kind": "jupyter", "local_dir": "/w"})j"));
    r.files = {{"credentials.env", "JUPYTER_TOKEN=t\n"}};
    EXPECT_EQ(mgpux::RunRequest::from_json(r.to_json()), r);
    EXPECT_EQ(mgpux::RunRequest::from_json(Json::parse(r.to_json().dump())), r);
}

TEST(RunRequestContract, TodaysPluginDocumentsKeepTheirText) {
    // What plugins/common's launch helpers wrote before the struct existed (hub jupyter, detached).
    expect_same_json<mgpux::RunRequest>(
        R"j({"script":"import modal\n","app_name":"m-gpux-hub-jupyter-l4","mode":"run","detach":true,)j"
        R"j("background":true,"description":"Jupyter Lab on L4","compute":"L4","timeout_s":86400,)j"
        R"j("deps":["numpy","requirements: /w/requirements.txt"],"uploads":["/w (2 files, 10 B)"],)j"
        R"j("secrets":[{"name":"m-gpux-jupyter-1","values":{"JUPYTER_TOKEN":"abc"}}],)j"
        R"j("files":[{"name":"credentials.env","content":"JUPYTER_TOKEN=abc\n"}],)j"
        R"j("session":{"kind":"jupyter","profile":"alice","compute":"L4","workspace_volume":"v","local_dir":"/w","app_name":"a"}})j");
    // serve deploy: a deploy in the background with no upload.
    expect_same_json<mgpux::RunRequest>(
        R"j({"script":"x","app_name":"m-gpux-llm-api","mode":"deploy","background":true,"ready_timeout_s":1200,)j"
        R"j("description":"vLLM","compute":"H100:2","deps":[],"uploads":[]})j");
}

TEST(RunRequestContract, StrictAboutTypesAndRequiredMembers) {
    EXPECT_EQ(refused_member<mgpux::RunRequest>(R"j({"app_name":"a"})j"), "script");
    EXPECT_EQ(refused_member<mgpux::RunRequest>(R"j({"script":"x"})j"), "app_name");
    EXPECT_EQ(refused_member<mgpux::RunRequest>(R"j({"script":1,"app_name":"a"})j"), "script");
    EXPECT_EQ(refused_member<mgpux::RunRequest>(R"j({"script":"x","app_name":"a","detach":"yes"})j"), "detach");
    EXPECT_EQ(refused_member<mgpux::RunRequest>(R"j({"script":"x","app_name":"a","timeout_s":"60"})j"), "timeout_s");
    EXPECT_EQ(refused_member<mgpux::RunRequest>(R"j({"script":"x","app_name":"a","deps":[1]})j"), "deps");
    EXPECT_EQ(refused_member<mgpux::RunRequest>(R"j({"script":"x","app_name":"a","secrets":[{"values":{}}]})j"),
              "name");
    EXPECT_EQ(refused_member<mgpux::RunRequest>(R"j({"script":"x","app_name":"a","session":[]})j"), "session");
    EXPECT_EQ(refused_member<mgpux::RunRequest>(R"j([])j"), "<document>");
    EXPECT_EQ(refused_member<mgpux::RunRequest>(R"j({"script":"x","app_name":"a","profile":null})j"), "");
}

TEST(RunResultContract, RoundTripsAndKeepsTheHostsText) {
    mgpux::RunResult r;
    r.status = "background";
    r.exit_code = 0;
    r.app_id = "ap-123";
    r.url = "https://x.modal.run";
    r.ready = {"https://x.modal.run"};
    r.results = {Json::parse(R"j({"ok":true})j")};
    r.run_id = "20261127-051200-1a2b3c";
    r.command = {"modal", "deploy", "/r/modal_runner.py"};
    r.session_id = "s1";
    r.profile = "alice";
    EXPECT_EQ(mgpux::RunResult::from_json(r.to_json()), r);
    // A dry run as the host answers it.
    expect_same_json<mgpux::RunResult>(
        R"j({"status":"dry_run","exit_code":null,"app_id":null,"url":null,"ready":[],"results":[],)j"
        R"j("run_id":null,"run_dir":null,"script_path":null,"command":["modal","run","modal_runner.py"],)j"
        R"j("session_id":null,"stopped":false,"profile":null,"script":"import modal\n"})j");
    EXPECT_EQ(refused_member<mgpux::RunResult>(R"j({"exit_code":0})j"), "status");
    EXPECT_EQ(refused_member<mgpux::RunResult>(R"j({"status":"completed","exit_code":"0"})j"), "exit_code");
}

TEST(ModalCallContract, RoundTripsAndIsStrict) {
    mgpux::ModalCallRequest q;
    q.args = {"app", "logs", "ap-1"};
    q.profile = "bob";
    q.timeout_s = 30;
    q.inherit_output = true;
    EXPECT_EQ(mgpux::ModalCallRequest::from_json(q.to_json()), q);
    expect_same_json<mgpux::ModalCallRequest>(R"j({"args":["app","list","--json"],"timeout_s":15})j");
    EXPECT_EQ(refused_member<mgpux::ModalCallRequest>(R"j({"profile":"a"})j"), "args");
    EXPECT_EQ(refused_member<mgpux::ModalCallRequest>(R"j({"args":"app list"})j"), "args");
    EXPECT_EQ(refused_member<mgpux::ModalCallRequest>(R"j({"args":[],"output":"tee"})j"), "output");
    EXPECT_EQ(refused_member<mgpux::ModalCallRequest>(R"j({"args":[],"profile":7})j"), "profile");

    mgpux::ModalCallResult r;
    r.profile = "bob";
    r.ok = true;
    r.stdout_text = "[]";
    r.json = Json::array();
    EXPECT_EQ(mgpux::ModalCallResult::from_json(r.to_json()), r);
    expect_same_json<mgpux::ModalCallResult>(
        R"j({"profile":null,"ok":false,"error":"modal app list failed (exit 1)","exit_code":1,)j"
        R"j("timed_out":false,"stdout":"","stderr":"boom","json":null})j");
    EXPECT_EQ(refused_member<mgpux::ModalCallResult>(R"j({"ok":"yes"})j"), "ok");
}

TEST(ProcessContract, RoundTripsAndIsStrict) {
    mgpux::ProcessRequest q;
    q.program = "python3";
    q.args = {"-c", "print(1)"};
    q.env = {{"A", std::string("1")}, {"B", std::nullopt}};
    q.cwd = "/w";
    q.stdin_mode = "text";
    q.input = "hello";
    q.output = "watch";
    q.timeout_s = 5;
    q.detach = false;
    EXPECT_EQ(mgpux::ProcessRequest::from_json(q.to_json()), q);
    expect_same_json<mgpux::ProcessRequest>(R"j({"program":"xdg-open","args":["https://x"],"detach":true})j");
    EXPECT_EQ(refused_member<mgpux::ProcessRequest>(R"j({"args":[]})j"), "program");
    EXPECT_EQ(refused_member<mgpux::ProcessRequest>(R"j({"program":"p","env":{"A":1}})j"), "env");
    EXPECT_EQ(refused_member<mgpux::ProcessRequest>(R"j({"program":"p","stdin":"file"})j"), "stdin");

    mgpux::ProcessResult r;
    r.exit_code = 3;
    r.stdout_text = "out";
    r.pid = 42;
    EXPECT_EQ(mgpux::ProcessResult::from_json(r.to_json()), r);
    expect_same_json<mgpux::ProcessResult>(
        R"j({"exit_code":0,"signal":0,"timed_out":false,"interrupted":false,"stdout":"1\n","stderr":"",)j"
        R"j("pid":7,"output_overflow":false})j");
    EXPECT_EQ(refused_member<mgpux::ProcessResult>(R"j({"exit_code":1.5})j"), "exit_code");
}

TEST(SessionRecordContract, RoundTripsAndKeepsMembersItDoesNotName) {
    mgpux::SessionRecord s;
    s.id = "sess-1a2b";
    s.kind = "jupyter";
    s.app_name = "m-gpux-hub-jupyter";
    s.app_id = "ap-1";
    s.profile = "";
    s.state = "running";
    s.url = "https://x.modal.host";
    s.secret_name = "m-gpux-jupyter-1";
    s.extra.set("model", "Qwen/Qwen2.5-0.5B");
    EXPECT_EQ(mgpux::SessionRecord::from_json(s.to_json()), s);
    EXPECT_EQ(mgpux::SessionRecord::from_json(Json::parse(s.to_json().dump())), s);
    // A session as the runner records it: a plugin's own members and the nulls stay as they were.
    expect_same_json<mgpux::SessionRecord>(
        R"j({"kind":"serve","profile":"","compute":"H100","app_name":"m-gpux-llm-api","model":null,)j"
        R"j("upstream":"https://u","keys_secret":"m-gpux-llm-api-keys","hf_secret":null,"id":"sess-9",)j"
        R"j("description":"vLLM","state":"running","app_id":"ap-9","url":null,"script_path":"/r/s.py",)j"
        R"j("run_id":"r1","backend":"modal","preset":null,"created_at":"2026-01-01T00:00:00",)j"
        R"j("updated_at":"2026-01-01T00:00:00"})j");
    // A typed member set over a null the document held wins.
    auto read = mgpux::SessionRecord::from_json(Json::parse(R"j({"url":null})j"));
    EXPECT_EQ(read.to_json().dump(), R"j({"url":null})j");
    read.url = "https://y";
    EXPECT_EQ(read.to_json().dump(), R"j({"url":"https://y"})j");
    // An update carries only what it changes.
    mgpux::SessionRecord update;
    update.state = "stopped";
    EXPECT_EQ(update.to_json().dump(), R"j({"state":"stopped"})j");
    EXPECT_EQ(refused_member<mgpux::SessionRecord>(R"j({"app_id":5})j"), "app_id");
    EXPECT_EQ(refused_member<mgpux::SessionRecord>(R"j({"state":["stopped"]})j"), "state");
    EXPECT_EQ(refused_member<mgpux::SessionRecord>(R"j([])j"), "<document>");
    EXPECT_EQ(refused_member<mgpux::SessionRecord>(R"j({"note":[1,2]})j"), "");
}

TEST(PromptContract, RoundTripsEachKind) {
    mgpux::Prompt select;
    select.kind = "select";
    select.message = "Select GPU";
    select.labels = {"L4", "A100"};
    select.descriptions = {"24 GB", ""};
    select.default_index = 1;
    select.flag_hint = "--gpu";
    EXPECT_EQ(mgpux::Prompt::from_json(select.to_json()), select);
    mgpux::Prompt text;
    text.message = "Token secret";
    text.secret = true;
    text.destructive = true;
    EXPECT_EQ(mgpux::Prompt::from_json(Json::parse(text.to_json().dump())), text);
    expect_same_json<mgpux::Prompt>(R"j({"kind":"confirm","message":"Stop it?","default_yes":false,)j"
                                    R"j("destructive":true,"flag_hint":"--yes"})j");
    expect_same_json<mgpux::Prompt>(R"j({"kind":"text","message":"Name","default_value":"world"})j");
    EXPECT_EQ(refused_member<mgpux::Prompt>(R"j({"kind":"menu"})j"), "kind");
    EXPECT_EQ(refused_member<mgpux::Prompt>(R"j({"message":"x"})j"), "kind");
    EXPECT_EQ(refused_member<mgpux::Prompt>(R"j({"kind":"select","labels":"a"})j"), "labels");
    EXPECT_EQ(refused_member<mgpux::Prompt>(R"j({"kind":"select","default_index":"0"})j"), "default_index");

    mgpux::PromptAnswer a;
    a.index = 1;
    EXPECT_EQ(mgpux::PromptAnswer::from_json(a.to_json()), a);
    expect_same_json<mgpux::PromptAnswer>(R"j({"yes":true})j");
    expect_same_json<mgpux::PromptAnswer>(R"j({"text":"ada"})j");
    EXPECT_EQ(refused_member<mgpux::PromptAnswer>(R"j({"yes":"y"})j"), "yes");
}

TEST(PresetFieldsContract, RoundTripsAndKeepsNullsAndUnknownMembers) {
    mgpux::PresetFields p;
    p.action = "dev";
    p.gpu = "H100";
    p.gpu_count = 2;
    p.pip_packages = std::vector<std::string>{"torch"};
    p.exclude_patterns = std::vector<std::string>{};
    p.set_null("profile");  // clear it: Modal's active profile at launch
    EXPECT_EQ(mgpux::PresetFields::from_json(p.to_json()), p);
    EXPECT_EQ(mgpux::PresetFields::from_json(Json::parse(p.to_json().dump())), p);
    EXPECT_TRUE(p.to_json().find("exclude_patterns")->as_array().empty());  // given empty, not absent
    EXPECT_TRUE(p.to_json().find("profile")->is_null());
    // A preset as the host answers it, the original tool's fragments included.
    expect_same_json<mgpux::PresetFields>(
        R"j({"name":"rl","action":"dev","compute_label":"A100","compute_spec":"gpu=\"A100\"",)j"
        R"j("pip_section":".pip_install(\"torch\")","profile":"alice","gpu":"A100","gpu_count":1,"cpu":null,)j"
        R"j("memory_mb":null,"pip_packages":["torch"],"requirements":null,"python_version":"3.12",)j"
        R"j("exclude_patterns":null,"script":null,"updated_at":"2026-01-01"})j");
    EXPECT_EQ(refused_member<mgpux::PresetFields>(R"j({"gpu_count":"2"})j"), "gpu_count");
    EXPECT_EQ(refused_member<mgpux::PresetFields>(R"j({"cpu":1.5})j"), "cpu");
    EXPECT_EQ(refused_member<mgpux::PresetFields>(R"j({"pip_packages":"torch"})j"), "pip_packages");
    EXPECT_EQ(refused_member<mgpux::PresetFields>(R"j({"exclude_patterns":[1]})j"), "exclude_patterns");
    EXPECT_EQ(refused_member<mgpux::PresetFields>(R"j({"action":5})j"), "action");
}
