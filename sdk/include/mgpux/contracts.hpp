// SPDX-License-Identifier: MIT
// mgpux/contracts.hpp — the service requests and results as plain structs.
//
// Each struct is one JSON document that crosses the plugin boundary (mgpux/service/*.h describe
// the members); the host reads the same structs, so the two sides cannot drift apart. C++17 and
// mgpux/json.hpp only.
//
// Reading (from_json) is strict: a member of the wrong type, or a required member that is
// missing, throws ContractError naming the document and the member. A member that is absent or
// JSON null is "not given" (an empty optional, an empty list, the documented default); members
// the struct does not know are ignored, so a newer peer can add some. Writing (to_json) leaves out
// what was not given, and writes a whole number as an integer, so the text stays what plugins have
// always sent.
#ifndef MGPUX_CONTRACTS_HPP
#define MGPUX_CONTRACTS_HPP

#include "json.hpp"

#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mgpux {

// A document that does not have the contract's shape. member() is the member at fault ("" for the
// document itself).
class ContractError : public JsonError {
public:
    ContractError(const std::string& document, const std::string& member, const std::string& problem)
        : JsonError(document + ": " + (member.empty() ? problem : "\"" + member + "\" " + problem)), member_(member) {}
    const std::string& member() const noexcept { return member_; }

private:
    std::string member_;
};

namespace contract_detail {

// Reads the members of one object, naming `document` in every error.
class Reader {
public:
    Reader(const Json& value, const char* document) : doc_(document) {
        if (!value.is_object()) throw ContractError(doc_, "", "must be a JSON object");
        obj_ = &value;
    }

    // The member, or nullptr when it is absent or null.
    const Json* find(const char* key) const {
        const Json* v = obj_->find(key);
        return v && !v->is_null() ? v : nullptr;
    }
    const Json& require(const char* key) const {
        const Json* v = find(key);
        if (!v) throw ContractError(doc_, key, "is required");
        return *v;
    }
    [[noreturn]] void fail(const char* key, const char* problem) const { throw ContractError(doc_, key, problem); }

    std::string string(const char* key) const { return as_string(key, require(key)); }
    std::optional<std::string> opt_string(const char* key) const {
        const Json* v = find(key);
        return v ? std::optional<std::string>(as_string(key, *v)) : std::nullopt;
    }
    std::optional<bool> opt_bool(const char* key) const {
        const Json* v = find(key);
        if (!v) return std::nullopt;
        if (!v->is_bool()) fail(key, "must be true or false");
        return v->as_bool();
    }
    bool flag(const char* key) const { return opt_bool(key).value_or(false); }
    std::optional<double> opt_number(const char* key) const {
        const Json* v = find(key);
        if (!v) return std::nullopt;
        if (!v->is_number()) fail(key, "must be a number");
        return v->as_float();
    }
    std::optional<long long> opt_int(const char* key) const {
        const Json* v = find(key);
        if (!v) return std::nullopt;
        if (!v->is_int()) fail(key, "must be a whole number");
        return v->as_int();
    }
    const Json::Array* opt_array(const char* key) const {
        const Json* v = find(key);
        if (!v) return nullptr;
        if (!v->is_array()) fail(key, "must be a list");
        return &v->as_array();
    }
    std::vector<std::string> strings(const char* key) const {
        std::vector<std::string> out;
        if (const auto* items = opt_array(key))
            for (const auto& item : *items) {
                if (!item.is_string()) fail(key, "must be a list of strings");
                out.push_back(item.as_string());
            }
        return out;
    }
    std::map<std::string, std::string> string_map(const char* key) const {
        std::map<std::string, std::string> out;
        const Json* v = find(key);
        if (!v) return out;
        if (!v->is_object()) fail(key, "must be an object of strings");
        for (const auto& kv : v->as_object()) {
            if (!kv.second.is_string()) fail(key, "must be an object of strings");
            out[kv.first] = kv.second.as_string();
        }
        return out;
    }
    std::optional<Json> opt_object(const char* key) const {
        const Json* v = find(key);
        if (!v) return std::nullopt;
        if (!v->is_object()) fail(key, "must be an object");
        return *v;
    }

private:
    std::string as_string(const char* key, const Json& v) const {
        if (!v.is_string()) fail(key, "must be a string");
        return v.as_string();
    }
    const char* doc_;
    const Json* obj_ = nullptr;
};

// A whole number as an integer ("3600", not "3600.0"), as plugins have always written it.
inline Json number(double d) {
    if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.0e15) return Json(static_cast<long long>(d));
    return Json(d);
}
inline Json string_map(const std::map<std::string, std::string>& m) {
    Json o = Json::object();
    for (const auto& kv : m) o.set(kv.first, kv.second);
    return o;
}
inline Json nullable(const std::optional<std::string>& s) { return s ? Json(*s) : Json(); }

}  // namespace contract_detail

// ---------------------------------------------------------------- state (mgpux.state/1)

// One entry of sessions.json: a detached run or a deployment left running. The same struct
// is what session_save and session_get exchange, and the fields session_update merges (give
// only the members to change). The members below are typed; every other member, and a
// member given as null, is kept in `extra` as it was, so a plugin's own members (a model, a
// secret's name) and a null the file holds survive a read and a write.
struct SessionRecord {
    std::optional<std::string> id;    // assigned by session_save
    std::optional<std::string> kind;  // jupyter | bash | dev | vllm | host | serve | ...
    std::optional<std::string> app_name;
    std::optional<std::string> app_id;
    std::optional<std::string> profile;  // "" = the profile active when it started
    std::optional<std::string> state;    // running | stopped | failed
    std::optional<std::string> url;
    std::optional<std::string> description;
    std::optional<std::string> compute;
    std::optional<std::string> secret_name;  // the session's credentials secret (hub, dev)
    std::optional<std::string> local_dir;
    std::optional<std::string> workspace_volume;
    std::optional<std::string> preset;
    std::optional<std::string> backend;  // modal | local
    std::optional<std::string> script_path;
    std::optional<std::string> run_id;
    std::optional<std::string> created_at;
    std::optional<std::string> updated_at;
    Json extra = Json::object();

    // Writes `key` as null unless its typed member is set: "none", where a reader looks it up.
    void set_null(const std::string& key) { extra.set(key, Json()); }

    Json to_json() const {
        Json j = Json::object();
        for (const auto& m : members())
            if (this->*m.second) j.set(m.first, *(this->*m.second));
        for (const auto& kv : extra.as_object())
            if (!j.find(kv.first)) j.set(kv.first, kv.second);
        return j;
    }

    static SessionRecord from_json(const Json& j) {
        const contract_detail::Reader r(j, "session");
        SessionRecord s;
        for (const auto& m : members()) s.*m.second = r.opt_string(m.first);
        for (const auto& kv : j.as_object())
            if (!s.names(kv.first) || kv.second.is_null()) s.extra.set(kv.first, kv.second);
        return s;
    }

    bool operator==(const SessionRecord& o) const { return to_json() == o.to_json(); }

private:
    using Member = std::optional<std::string> SessionRecord::*;
    static const std::vector<std::pair<const char*, Member>>& members() {
        static const std::vector<std::pair<const char*, Member>> list = {
            {"id", &SessionRecord::id},
            {"kind", &SessionRecord::kind},
            {"app_name", &SessionRecord::app_name},
            {"app_id", &SessionRecord::app_id},
            {"profile", &SessionRecord::profile},
            {"state", &SessionRecord::state},
            {"url", &SessionRecord::url},
            {"description", &SessionRecord::description},
            {"compute", &SessionRecord::compute},
            {"secret_name", &SessionRecord::secret_name},
            {"local_dir", &SessionRecord::local_dir},
            {"workspace_volume", &SessionRecord::workspace_volume},
            {"preset", &SessionRecord::preset},
            {"backend", &SessionRecord::backend},
            {"script_path", &SessionRecord::script_path},
            {"run_id", &SessionRecord::run_id},
            {"created_at", &SessionRecord::created_at},
            {"updated_at", &SessionRecord::updated_at},
        };
        return list;
    }
    static bool names(const std::string& key) {
        for (const auto& m : members())
            if (key == m.first) return true;
        return false;
    }
};

// One preset of presets.json as the state service reads it (preset_get, each entry of
// preset_list) and writes it (preset_save's answer), and the fields preset_save merges over the
// stored preset: give only what changes, and set_null() for a member to clear (a null profile
// means Modal's active profile at launch). Setting gpu clears cpu and memory_mb and the reverse;
// pip_packages and requirements likewise. Members this struct does not name, and members given
// as null, are kept in `extra` as they were.
struct PresetFields {
    std::optional<std::string> name;    // the preset's own name (the host writes it)
    std::optional<std::string> action;  // bash | jupyter | dev | interactive | ...
    std::optional<std::string> profile;
    std::optional<std::string> gpu;  // the GPU's name without a count ("H100")
    std::optional<long long> gpu_count;
    std::optional<long long> cpu;  // cores, when there is no gpu
    std::optional<long long> memory_mb;
    std::optional<std::vector<std::string>> pip_packages;
    std::optional<std::string> requirements;  // a requirements file, relative to the folder run in
    std::optional<std::string> python_version;
    std::optional<std::vector<std::string>> exclude_patterns;  // absent: the default excludes
    std::optional<std::string> script;                         // interactive: the script to run
    // Written by the host from the fields above: the original tool's fragments and the label.
    std::optional<std::string> compute_spec;
    std::optional<std::string> compute_label;
    std::optional<std::string> pip_section;
    std::optional<std::string> error;  // preset_list: why a stored preset cannot be used
    Json extra = Json::object();

    void set_null(const std::string& key) { extra.set(key, Json()); }

    Json to_json() const {
        Json j = Json::object();
        for (const auto& m : strings())
            if (this->*m.second) j.set(m.first, *(this->*m.second));
        for (const auto& m : integers())
            if (this->*m.second) j.set(m.first, *(this->*m.second));
        for (const auto& m : lists())
            if (this->*m.second) j.set(m.first, Json::array_of(*(this->*m.second)));
        for (const auto& kv : extra.as_object())
            if (!j.find(kv.first)) j.set(kv.first, kv.second);
        return j;
    }

    static PresetFields from_json(const Json& j) {
        const contract_detail::Reader r(j, "preset");
        PresetFields p;
        for (const auto& m : strings()) p.*m.second = r.opt_string(m.first);
        for (const auto& m : integers()) p.*m.second = r.opt_int(m.first);
        for (const auto& m : lists())
            if (r.find(m.first)) p.*m.second = r.strings(m.first);
        for (const auto& kv : j.as_object())
            if (!names(kv.first) || kv.second.is_null()) p.extra.set(kv.first, kv.second);
        return p;
    }

    bool operator==(const PresetFields& o) const { return to_json() == o.to_json(); }

private:
    template <class T>
    using Members = std::vector<std::pair<const char*, std::optional<T> PresetFields::*>>;
    static const Members<std::string>& strings() {
        static const Members<std::string> list = {
            {"name", &PresetFields::name},
            {"action", &PresetFields::action},
            {"profile", &PresetFields::profile},
            {"gpu", &PresetFields::gpu},
            {"requirements", &PresetFields::requirements},
            {"python_version", &PresetFields::python_version},
            {"script", &PresetFields::script},
            {"compute_spec", &PresetFields::compute_spec},
            {"compute_label", &PresetFields::compute_label},
            {"pip_section", &PresetFields::pip_section},
            {"error", &PresetFields::error},
        };
        return list;
    }
    static const Members<long long>& integers() {
        static const Members<long long> list = {
            {"gpu_count", &PresetFields::gpu_count},
            {"cpu", &PresetFields::cpu},
            {"memory_mb", &PresetFields::memory_mb},
        };
        return list;
    }
    static const Members<std::vector<std::string>>& lists() {
        static const Members<std::vector<std::string>> list = {
            {"pip_packages", &PresetFields::pip_packages},
            {"exclude_patterns", &PresetFields::exclude_patterns},
        };
        return list;
    }
    static bool names(const std::string& key) {
        for (const auto& m : strings())
            if (key == m.first) return true;
        for (const auto& m : integers())
            if (key == m.first) return true;
        for (const auto& m : lists())
            if (key == m.first) return true;
        return false;
    }
};

// ---------------------------------------------------------------- runner (mgpux.runner/1)

// One entry of RunRequest::secrets: a named Modal secret created before the run (kept for a
// session or deployment, deleted after a run that ends). Per-run values belong in secret_env.
struct RunSecret {
    std::string name;
    std::map<std::string, std::string> values;  // at least one KEY
    bool operator==(const RunSecret& o) const { return name == o.name && values == o.values; }
};

// One extra 0600 file kept in the run directory (credentials).
struct RunFile {
    std::string name;
    std::string content;
    bool operator==(const RunFile& o) const { return name == o.name && content == o.content; }
};

// What a plugin asks the runner to run.
struct RunRequest {
    std::string script;                      // the rendered Python (required)
    std::string app_name;                    // the modal.App name in it (required)
    std::string mode = "run";                // run | serve | deploy
    bool detach = false;                     // `modal run --detach` (run only)
    bool background = false;                 // return once the app id and READY URL are known
    std::optional<double> ready_timeout_s;   // background: how long to wait (the host's default: 600)
    std::optional<double> wait_timeout_s;    // an attached run: stop waiting after this many seconds
    std::optional<std::string> description;  // absent: the app name
    std::optional<std::string> compute;      // "L4", "CPU (4 cores, 2048 MB)"
    std::optional<double> timeout_s;
    std::vector<std::string> deps;       // summary lines
    std::vector<std::string> uploads;    // summary lines
    std::optional<std::string> profile;  // only to override the command's own profile
    std::vector<RunSecret> secrets;
    // KEY -> value put only into the `modal` child's environment, for a script that reads them
    // with modal.Secret.from_local_environ([...]): an ephemeral secret, no extra `modal` call.
    std::map<std::string, std::string> secret_env;
    std::optional<SessionRecord> session;  // recorded for a detached run or a deploy
    std::vector<RunFile> files;

    Json to_json() const {
        using namespace contract_detail;
        Json j = Json::object();
        j.set("script", script);
        j.set("app_name", app_name);
        j.set("mode", mode);
        if (detach) j.set("detach", true);
        if (background) j.set("background", true);
        if (ready_timeout_s) j.set("ready_timeout_s", number(*ready_timeout_s));
        if (wait_timeout_s) j.set("wait_timeout_s", number(*wait_timeout_s));
        if (description) j.set("description", *description);
        if (compute) j.set("compute", *compute);
        if (timeout_s) j.set("timeout_s", number(*timeout_s));
        j.set("deps", Json::array_of(deps));
        j.set("uploads", Json::array_of(uploads));
        if (profile) j.set("profile", *profile);
        if (!secrets.empty()) {
            Json list = Json::array();
            for (const auto& s : secrets) {
                Json one = Json::object();
                one.set("name", s.name);
                one.set("values", string_map(s.values));
                list.push(std::move(one));
            }
            j.set("secrets", std::move(list));
        }
        if (!secret_env.empty()) j.set("secret_env", string_map(secret_env));
        if (session) j.set("session", session->to_json());
        if (!files.empty()) {
            Json list = Json::array();
            for (const auto& f : files) {
                Json one = Json::object();
                one.set("name", f.name);
                one.set("content", f.content);
                list.push(std::move(one));
            }
            j.set("files", std::move(list));
        }
        return j;
    }

    static RunRequest from_json(const Json& j) {
        const contract_detail::Reader r(j, "run request");
        RunRequest q;
        q.script = r.string("script");
        q.app_name = r.string("app_name");
        q.mode = r.opt_string("mode").value_or("run");
        q.detach = r.flag("detach");
        q.background = r.flag("background");
        q.ready_timeout_s = r.opt_number("ready_timeout_s");
        q.wait_timeout_s = r.opt_number("wait_timeout_s");
        q.description = r.opt_string("description");
        q.compute = r.opt_string("compute");
        q.timeout_s = r.opt_number("timeout_s");
        q.deps = r.strings("deps");
        q.uploads = r.strings("uploads");
        q.profile = r.opt_string("profile");
        if (const auto* list = r.opt_array("secrets"))
            for (const auto& item : *list) {
                const contract_detail::Reader s(item, "run request secret");
                q.secrets.push_back({s.string("name"), s.string_map("values")});
            }
        q.secret_env = r.string_map("secret_env");
        if (const auto session = r.opt_object("session")) q.session = SessionRecord::from_json(*session);
        if (const auto* list = r.opt_array("files"))
            for (const auto& item : *list) {
                const contract_detail::Reader f(item, "run request file");
                q.files.push_back({f.string("name"), f.opt_string("content").value_or("")});
            }
        return q;
    }

    bool operator==(const RunRequest& o) const { return to_json() == o.to_json(); }
};

// What the runner answers.
struct RunResult {
    std::string status;  // completed | failed | dry_run | cancelled | interrupted | background
    std::optional<long long> exit_code;
    std::optional<std::string> app_id;
    std::optional<std::string> url;
    std::vector<std::string> ready;  // READY URLs in the order they were printed
    std::vector<Json> results;       // the script's RESULT documents
    std::optional<std::string> run_id;
    std::optional<std::string> run_dir;
    std::optional<std::string> script_path;
    std::vector<std::string> command;  // the modal command line
    std::optional<std::string> session_id;
    bool stopped = false;
    std::optional<std::string> profile;
    std::optional<std::string> script;  // a dry run's rendered script
    std::vector<std::string> secrets_deleted;
    std::vector<std::string> secrets_left;

    Json to_json() const {
        using namespace contract_detail;
        Json j = Json::object();
        j.set("status", status);
        j.set("exit_code", exit_code ? Json(*exit_code) : Json());
        j.set("app_id", nullable(app_id));
        j.set("url", nullable(url));
        j.set("ready", Json::array_of(ready));
        j.set("results", Json(Json::Array(results.begin(), results.end())));
        j.set("run_id", nullable(run_id));
        j.set("run_dir", nullable(run_dir));
        j.set("script_path", nullable(script_path));
        j.set("command", Json::array_of(command));
        j.set("session_id", nullable(session_id));
        j.set("stopped", stopped);
        j.set("profile", nullable(profile));
        if (script) j.set("script", *script);
        if (!secrets_deleted.empty() || !secrets_left.empty()) {
            j.set("secrets_deleted", Json::array_of(secrets_deleted));
            j.set("secrets_left", Json::array_of(secrets_left));
        }
        return j;
    }

    static RunResult from_json(const Json& j) {
        const contract_detail::Reader r(j, "run result");
        RunResult o;
        o.status = r.string("status");
        o.exit_code = r.opt_int("exit_code");
        o.app_id = r.opt_string("app_id");
        o.url = r.opt_string("url");
        o.ready = r.strings("ready");
        if (const auto* list = r.opt_array("results")) o.results.assign(list->begin(), list->end());
        o.run_id = r.opt_string("run_id");
        o.run_dir = r.opt_string("run_dir");
        o.script_path = r.opt_string("script_path");
        o.command = r.strings("command");
        o.session_id = r.opt_string("session_id");
        o.stopped = r.flag("stopped");
        o.profile = r.opt_string("profile");
        o.script = r.opt_string("script");
        o.secrets_deleted = r.strings("secrets_deleted");
        o.secrets_left = r.strings("secrets_left");
        return o;
    }

    bool operator==(const RunResult& o) const { return to_json() == o.to_json(); }
};

// ---------------------------------------------------------------- modal (mgpux.modal/1)

// One `modal` call (the modal service's call, and each entry of call_many).
struct ModalCallRequest {
    std::vector<std::string> args;       // the words after `modal` (required)
    std::optional<std::string> profile;  // only to override the command's own profile
    std::optional<double> timeout_s;     // the host's default: 60
    bool inherit_output = false;         // "output": "inherit" (e.g. `app logs -f`)

    Json to_json() const {
        Json j = Json::object();
        j.set("args", Json::array_of(args));
        if (profile) j.set("profile", *profile);
        if (timeout_s) j.set("timeout_s", contract_detail::number(*timeout_s));
        if (inherit_output) j.set("output", "inherit");
        return j;
    }

    static ModalCallRequest from_json(const Json& j) {
        const contract_detail::Reader r(j, "modal request");
        ModalCallRequest q;
        r.require("args");
        q.args = r.strings("args");
        q.profile = r.opt_string("profile");
        q.timeout_s = r.opt_number("timeout_s");
        const auto output = r.opt_string("output").value_or("capture");
        if (output != "capture" && output != "inherit") r.fail("output", "must be capture or inherit");
        q.inherit_output = output == "inherit";
        return q;
    }

    bool operator==(const ModalCallRequest& o) const { return to_json() == o.to_json(); }
};

// What one `modal` call gave (call's answer, and each row of fan_out and call_many).
struct ModalCallResult {
    std::optional<std::string> profile;
    bool ok = false;
    std::optional<std::string> error;  // command, exit code and the telling stderr line
    long long exit_code = 0;
    bool timed_out = false;
    std::string stdout_text;  // "stdout"
    std::string stderr_text;  // "stderr"
    Json json;                // stdout parsed when "--json" was among the args; else null

    Json to_json() const {
        using namespace contract_detail;
        Json j = Json::object();
        j.set("profile", nullable(profile));
        j.set("ok", ok);
        j.set("error", nullable(error));
        j.set("exit_code", exit_code);
        j.set("timed_out", timed_out);
        j.set("stdout", stdout_text);
        j.set("stderr", stderr_text);
        j.set("json", json);
        return j;
    }

    static ModalCallResult from_json(const Json& j) {
        const contract_detail::Reader r(j, "modal result");
        ModalCallResult o;
        o.profile = r.opt_string("profile");
        o.ok = r.flag("ok");
        o.error = r.opt_string("error");
        o.exit_code = r.opt_int("exit_code").value_or(0);
        o.timed_out = r.flag("timed_out");
        o.stdout_text = r.opt_string("stdout").value_or("");
        o.stderr_text = r.opt_string("stderr").value_or("");
        if (const Json* v = r.find("json")) o.json = *v;
        return o;
    }

    bool operator==(const ModalCallResult& o) const { return to_json() == o.to_json(); }
};

// ---------------------------------------------------------------- process (mgpux.process/1)

// A local helper process.
struct ProcessRequest {
    std::string program;  // "python3" | "modal" | a name on PATH | an absolute path (required)
    std::vector<std::string> args;
    std::map<std::string, std::optional<std::string>> env;  // an empty value unsets the variable
    std::optional<std::string> cwd;
    std::string stdin_mode = "null";   // null | inherit | text
    std::optional<std::string> input;  // with stdin_mode "text"
    std::string output = "capture";    // capture | inherit | watch
    std::optional<double> timeout_s;
    bool detach = false;

    Json to_json() const {
        Json j = Json::object();
        j.set("program", program);
        j.set("args", Json::array_of(args));
        if (!env.empty()) {
            Json e = Json::object();
            for (const auto& kv : env) e.set(kv.first, kv.second ? Json(*kv.second) : Json());
            j.set("env", std::move(e));
        }
        if (cwd) j.set("cwd", *cwd);
        if (stdin_mode != "null") j.set("stdin", stdin_mode);
        if (input) j.set("input", *input);
        if (output != "capture") j.set("output", output);
        if (timeout_s) j.set("timeout_s", contract_detail::number(*timeout_s));
        if (detach) j.set("detach", true);
        return j;
    }

    static ProcessRequest from_json(const Json& j) {
        const contract_detail::Reader r(j, "process request");
        ProcessRequest q;
        q.program = r.string("program");
        q.args = r.strings("args");
        if (const Json* e = r.find("env")) {
            if (!e->is_object()) r.fail("env", "must be an object of strings or nulls");
            for (const auto& kv : e->as_object()) {
                if (kv.second.is_null()) q.env[kv.first] = std::nullopt;
                else if (kv.second.is_string()) q.env[kv.first] = kv.second.as_string();
                else r.fail("env", "must be an object of strings or nulls");
            }
        }
        q.cwd = r.opt_string("cwd");
        q.stdin_mode = r.opt_string("stdin").value_or("null");
        if (q.stdin_mode != "null" && q.stdin_mode != "inherit" && q.stdin_mode != "text")
            r.fail("stdin", "must be null, inherit or text");
        q.input = r.opt_string("input");
        q.output = r.opt_string("output").value_or("capture");
        if (q.output != "capture" && q.output != "inherit" && q.output != "watch")
            r.fail("output", "must be capture, inherit or watch");
        q.timeout_s = r.opt_number("timeout_s");
        q.detach = r.flag("detach");
        return q;
    }

    bool operator==(const ProcessRequest& o) const { return to_json() == o.to_json(); }
};

// How a helper process ended.
struct ProcessResult {
    long long exit_code = 0;
    long long signal = 0;
    bool timed_out = false;
    bool interrupted = false;
    std::string stdout_text;  // "stdout"
    std::string stderr_text;  // "stderr"
    long long pid = 0;
    bool output_overflow = false;

    Json to_json() const {
        Json j = Json::object();
        j.set("exit_code", exit_code);
        j.set("signal", signal);
        j.set("timed_out", timed_out);
        j.set("interrupted", interrupted);
        j.set("stdout", stdout_text);
        j.set("stderr", stderr_text);
        j.set("pid", pid);
        j.set("output_overflow", output_overflow);
        return j;
    }

    static ProcessResult from_json(const Json& j) {
        const contract_detail::Reader r(j, "process result");
        ProcessResult o;
        o.exit_code = r.opt_int("exit_code").value_or(0);
        o.signal = r.opt_int("signal").value_or(0);
        o.timed_out = r.flag("timed_out");
        o.interrupted = r.flag("interrupted");
        o.stdout_text = r.opt_string("stdout").value_or("");
        o.stderr_text = r.opt_string("stderr").value_or("");
        o.pid = r.opt_int("pid").value_or(0);
        o.output_overflow = r.flag("output_overflow");
        return o;
    }

    bool operator==(const ProcessResult& o) const { return to_json() == o.to_json(); }
};

// ---------------------------------------------------------------- prompts (the host table's prompt_*)

// One question for the user. The host table takes a prompt as the C arguments of
// prompt_select, prompt_text or prompt_confirm; this struct is their one C++ description, used
// by mgpux::Host's prompt helpers and by the host's prompt code alike.
struct Prompt {
    std::string kind = "text";                 // select | text | confirm
    std::string message;                       // the question (a select's title)
    std::vector<std::string> labels;           // select: the choices
    std::vector<std::string> descriptions;     // select: one per label ("" for none)
    std::optional<long long> default_index;    // select: none means the question has no default
    std::optional<std::string> default_value;  // text: likewise
    bool default_yes = false;                  // confirm
    bool secret = false;                       // text: read without echo
    bool destructive = false;                  // --no-input never takes the default (--yes confirms it)
    std::optional<std::string> flag_hint;      // the flag that answers it ("--gpu")

    Json to_json() const {
        Json j = Json::object();
        j.set("kind", kind);
        j.set("message", message);
        if (kind == "select") {
            j.set("labels", Json::array_of(labels));
            if (!descriptions.empty()) j.set("descriptions", Json::array_of(descriptions));
            if (default_index) j.set("default_index", *default_index);
        }
        if (default_value) j.set("default_value", *default_value);
        if (kind == "confirm") j.set("default_yes", default_yes);
        if (secret) j.set("secret", true);
        if (destructive) j.set("destructive", true);
        if (flag_hint) j.set("flag_hint", *flag_hint);
        return j;
    }

    static Prompt from_json(const Json& j) {
        const contract_detail::Reader r(j, "prompt");
        Prompt p;
        p.kind = r.string("kind");
        if (p.kind != "select" && p.kind != "text" && p.kind != "confirm")
            r.fail("kind", "must be select, text or confirm");
        p.message = r.opt_string("message").value_or("");
        p.labels = r.strings("labels");
        p.descriptions = r.strings("descriptions");
        p.default_index = r.opt_int("default_index");
        p.default_value = r.opt_string("default_value");
        p.default_yes = r.flag("default_yes");
        p.secret = r.flag("secret");
        p.destructive = r.flag("destructive");
        p.flag_hint = r.opt_string("flag_hint");
        return p;
    }

    bool operator==(const Prompt& o) const { return to_json() == o.to_json(); }
};

// What the user (or the default, under --yes or --no-input) answered: the member of the
// prompt's kind is set.
struct PromptAnswer {
    std::optional<long long> index;   // select
    std::optional<std::string> text;  // text
    std::optional<bool> yes;          // confirm

    Json to_json() const {
        Json j = Json::object();
        if (index) j.set("index", *index);
        if (text) j.set("text", *text);
        if (yes) j.set("yes", *yes);
        return j;
    }

    static PromptAnswer from_json(const Json& j) {
        const contract_detail::Reader r(j, "prompt answer");
        PromptAnswer a;
        a.index = r.opt_int("index");
        a.text = r.opt_string("text");
        a.yes = r.opt_bool("yes");
        return a;
    }

    bool operator==(const PromptAnswer& o) const { return to_json() == o.to_json(); }
};

}  // namespace mgpux

#endif  // MGPUX_CONTRACTS_HPP
