// mgpux/plugin.hpp — optional header-only C++17 helper over mgpux/plugin.h.
//
// A plugin author writes ordinary C++:
//
//   static const mgpux_option kGreetOptions[] = {
//       mgpux::option("name", MGPUX_OPT_STRING, "who to greet", "world"),
//   };
//   static const mgpux_command kCommands[] = {
//       mgpux::command("hello", "Say hello", kGreetOptions),
//   };
//   static int run(mgpux::Host& host, const mgpux::Args& args) {
//       host.text("hello, " + args.str("name") + "\n");
//       return MGPUX_OK;
//   }
//   MGPUX_CPP_PLUGIN("hello", "1.0.0", "Greetings", nullptr, kCommands, run)
//
// Every callback into the plugin goes through a noexcept trampoline: a
// mgpux::Error becomes its status code, any other exception becomes
// MGPUX_E_FAILED with its what() passed to set_error. No exception crosses.
#ifndef MGPUX_PLUGIN_HPP
#define MGPUX_PLUGIN_HPP

#include "contracts.hpp"
#include "json.hpp"
#include "plugin.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace mgpux {

// ---------------------------------------------------------------- errors

// Thrown by plugin code (or by this helper) to end a call with a status.
class Error : public std::runtime_error {
public:
    Error(int32_t code, const std::string& message) : std::runtime_error(message), code_(code) {}
    int32_t code() const noexcept { return code_; }

private:
    int32_t code_;
};

inline Error usage_error(const std::string& message) { return Error(MGPUX_E_USAGE, message); }

// ---------------------------------------------------------------- JSON

// mgpux::Json (from json.hpp) is the value type of every document exchanged with the host. A
// document from the host that does not parse is reported as mgpux::Error(MGPUX_E_FAILED).

// ---------------------------------------------------------------- tables

inline mgpux_option option(const char* name, int32_t type, const char* help,
                           const char* default_value = nullptr, uint32_t flags = 0,
                           int32_t short_alias = 0, const char* const* choices = nullptr,
                           const char* metavar = nullptr, const char* exclusive_group = nullptr) {
    mgpux_option o{};
    o.struct_size = sizeof(mgpux_option);
    o.name = name;
    o.short_alias = short_alias;
    o.type = type;
    o.flags = flags;
    o.metavar = metavar;
    o.help = help;
    o.default_value = default_value;
    o.choices = choices;
    o.exclusive_group = exclusive_group;
    return o;
}

inline mgpux_option positional(const char* name, const char* help, uint32_t flags = MGPUX_OPTF_REQUIRED,
                               int32_t type = MGPUX_OPT_STRING) {
    return option(name, type, help, nullptr, flags | MGPUX_OPTF_POSITIONAL);
}

template <std::size_t N>
mgpux_command command(const char* path, const char* summary, const mgpux_option (&options)[N],
                      const char* help = nullptr, uint32_t flags = 0,
                      const char* trailing_name = nullptr) {
    mgpux_command c{};
    c.struct_size = sizeof(mgpux_command);
    c.path = path;
    c.summary = summary;
    c.help = help;
    c.options = options;
    c.option_count = static_cast<uint32_t>(N);
    c.flags = flags;
    c.trailing_name = trailing_name;
    return c;
}

inline mgpux_command command(const char* path, const char* summary, const char* help = nullptr,
                             uint32_t flags = 0) {
    mgpux_command c{};
    c.struct_size = sizeof(mgpux_command);
    c.path = path;
    c.summary = summary;
    c.help = help;
    c.flags = flags;
    return c;
}

// ---------------------------------------------------------------- arguments

// Typed access to the values object the host passes to run.
class Args {
public:
    explicit Args(const char* args_json) : root_(Json::parse(args_json ? args_json : "{}")) {
        if (const Json* v = root_.find("values")) values_ = *v;
        if (const Json* g = root_.find("global")) global_ = *g;
        if (const Json* c = root_.find("command")) command_ = c->as_string();
    }
    const std::string& command() const { return command_; }
    bool has(const std::string& name) const {
        const Json* v = values_.find(name);
        return v && !v->is_null();
    }
    const Json& value(const std::string& name) const {
        const Json* v = values_.find(name);
        if (!v) throw usage_error("missing value for '" + name + "'");
        return *v;
    }
    std::string str(const std::string& name, const std::string& fallback = std::string()) const {
        return has(name) ? value(name).as_string() : fallback;
    }
    long long integer(const std::string& name, long long fallback = 0) const {
        return has(name) ? value(name).as_int() : fallback;
    }
    double number(const std::string& name, double fallback = 0) const {
        return has(name) ? value(name).as_float() : fallback;
    }
    // An on/off flag that was not given is absent (a plain flag is false):
    // flag() reads absent as false, flag_or() as `fallback`, and
    // optional_flag() keeps the three states, so a question can have a flag
    // that answers it (--x / --no-x) and be asked only when neither was given.
    bool flag(const std::string& name) const { return has(name) && value(name).as_bool(); }
    bool flag_or(const std::string& name, bool fallback) const {
        return has(name) ? value(name).as_bool() : fallback;
    }
    std::optional<bool> optional_flag(const std::string& name) const {
        if (!has(name)) return std::nullopt;
        return value(name).as_bool();
    }
    std::vector<std::string> list(const std::string& name) const {
        std::vector<std::string> out;
        if (!has(name)) return out;
        for (const auto& v : value(name).as_array()) out.push_back(v.as_string());
        return out;
    }
    // Global options: "json", "yes", "no_input", "dry_run", "interactive"...
    bool global_flag(const std::string& name) const {
        const Json* v = global_.find(name);
        return v && v->is_bool() && v->as_bool();
    }
    std::string global_str(const std::string& name) const { return global_.string_or(name); }
    const Json& values() const { return values_; }

private:
    Json root_;
    Json values_ = Json::object();
    Json global_ = Json::object();
    std::string command_;
};

// ---------------------------------------------------------------- host

namespace detail {

// The message the host recorded for the call that just failed ("" from a host
// older than mgpux_host.last_error).
inline std::string last_host_error(const mgpux_host* h) {
    if (!h || !MGPUX_HAS_MEMBER(h, last_error) || !h->last_error) return std::string();
    const char* m = h->last_error(h);
    return m ? std::string(m) : std::string();
}

}  // namespace detail

// Thin RAII-free wrapper over the host table; every failing call throws
// mgpux::Error with the host's status and message (Error::what()), which the
// trampoline turns back into a status (the host already holds the message).
class Host {
public:
    explicit Host(const mgpux_host* host) : h_(host) {}
    const mgpux_host* raw() const { return h_; }

    void text(const std::string& s, int32_t kind = MGPUX_TEXT_PLAIN) const { h_->write_text(h_, kind, s.c_str()); }
    void info(const std::string& s) const { text(s, MGPUX_TEXT_INFO); }
    void warn(const std::string& s) const { text(s, MGPUX_TEXT_WARNING); }
    void success(const std::string& s) const { text(s, MGPUX_TEXT_SUCCESS); }
    void log(int32_t level, const std::string& s) const { h_->log(h_, level, s.c_str()); }

    void table(const std::vector<std::string>& columns, const std::vector<std::vector<Json>>& rows,
               const std::string& title = std::string()) const {
        Json t = Json::object();
        if (!title.empty()) t.set("title", title);
        Json cols = Json::array();
        for (const auto& c : columns) cols.push(c);
        t.set("columns", cols);
        Json rs = Json::array();
        for (const auto& r : rows) rs.push(Json(r));
        t.set("rows", rs);
        check(h_->write_table(h_, t.dump().c_str()));
    }
    void json(const Json& doc) const { check(h_->write_json(h_, doc.dump().c_str())); }
    void progress(const char* message) const { h_->progress(h_, message); }

    int select(const std::string& title, const std::vector<std::string>& labels,
               const std::vector<std::string>& descriptions = {}, int default_index = 0,
               const char* flag_hint = nullptr) const {
        std::vector<const char*> l, d;
        for (const auto& s : labels) l.push_back(s.c_str());
        for (std::size_t i = 0; i < labels.size(); ++i)
            d.push_back(i < descriptions.size() ? descriptions[i].c_str() : nullptr);
        int32_t out = -1;
        check(h_->prompt_select(h_, title.c_str(), l.data(), d.data(), static_cast<uint32_t>(l.size()),
                                default_index, flag_hint, &out));
        return out;
    }
    // `destructive`: under --no-input without --yes the question is a usage
    // error naming `flag_hint` instead of taking its default.
    std::string ask(const std::string& message, const char* default_value = nullptr,
                    const char* flag_hint = nullptr, bool secret = false, bool destructive = false) const {
        const char* out = nullptr;
        const uint32_t flags = (secret ? MGPUX_PROMPT_SECRET : 0u) | (destructive ? MGPUX_PROMPT_DESTRUCTIVE : 0u);
        check(h_->prompt_text(h_, message.c_str(), default_value, flags, flag_hint, &out));
        return out ? out : "";
    }
    bool confirm(const std::string& message, bool default_yes, const char* flag_hint = nullptr,
                 bool destructive = false) const {
        int32_t out = 0;
        check(h_->prompt_confirm(h_, message.c_str(), default_yes ? 1 : 0,
                                 destructive ? MGPUX_PROMPT_DESTRUCTIVE : 0u, flag_hint, &out));
        return out != 0;
    }
    std::string render(const std::string& name, const Json& context) const {
        const char* out = nullptr;
        check(h_->render_template(h_, name.c_str(), context.dump().c_str(), &out));
        return out ? out : "";
    }
    // Renders template text the plugin holds itself (`name` is for errors).
    std::string render_text(const std::string& name, const std::string& text, const Json& context) const {
        const char* out = nullptr;
        check(h_->render_string(h_, name.c_str(), text.c_str(), context.dump().c_str(), &out));
        return out ? out : "";
    }
    Json hostinfo(bool versions = false) const {
        const char* out = nullptr;
        check(h_->hostinfo(h_, versions ? MGPUX_HOSTINFO_VERSIONS : 0u, &out));
        return Json::parse(out ? out : "{}");
    }
    // A later service table, or nullptr.
    template <typename Table>
    const Table* service(const char* id) const {
        return static_cast<const Table*>(h_->get_service(h_, id));
    }

private:
    const mgpux_host* h_;
    void check(int32_t status) const {
        if (status != MGPUX_OK) throw Error(status, detail::last_host_error(h_));
    }
};

// ---------------------------------------------------------------- services

// Wrappers over the service tables of plugin.h section 5. Each is fetched
// once; a host without the service makes the constructor throw Error
// (MGPUX_E_FAILED) with a message saying so. Failing calls throw Error with
// the host's status and the message the host holds for it.
namespace detail {

template <typename Table>
const Table* require_service(const Host& host, const char* id) {
    const Table* t = host.service<Table>(id);
    if (!t || t->struct_size < sizeof(uint32_t))
        throw Error(MGPUX_E_FAILED, std::string("this m-gpux host does not provide the ") + id +
                                        " service; update m-gpux");
    return t;
}

inline void check_status(const mgpux_host* h, int32_t status) {
    if (status != MGPUX_OK) throw Error(status, last_host_error(h));
}

// The host's JSON text `text` as a value; a malformed document is a failed call.
inline Json parse_host_json(const char* text, const char* fallback) {
    try {
        return Json::parse(text ? text : fallback);
    } catch (const JsonError& e) {
        throw Error(MGPUX_E_FAILED, e.what());
    }
}

inline Json parse_out(const char* out) { return parse_host_json(out, "null"); }

}  // namespace detail

// Local helper processes (mgpux.process/1).
class Process {
public:
    using LineFn = std::function<int32_t(int32_t stream, const std::string& line)>;
    explicit Process(const Host& host)
        : h_(host.raw()), t_(detail::require_service<mgpux_process_service>(host, MGPUX_SERVICE_PROCESS)) {}
    // See mgpux_process_service.run for the request and result members.
    Json run(const Json& request, const LineFn& on_line = LineFn()) const {
        const char* out = nullptr;
        const LineFn* fn = on_line ? &on_line : nullptr;
        detail::check_status(h_, t_->run(h_, request.dump().c_str(), fn ? &line_trampoline : nullptr,
                                     const_cast<LineFn*>(fn), &out));
        return detail::parse_out(out);
    }
    std::string locate(const std::string& program) const {
        const char* out = nullptr;
        detail::check_status(h_, t_->locate(h_, program.c_str(), &out));
        return out ? out : "";
    }
    // Opens an http(s) URL in the browser; false when there is no opener.
    bool open_url(const std::string& url) const {
        if (!MGPUX_HAS_MEMBER(t_, open_url)) return false;
        int32_t opened = 0;
        detail::check_status(h_, t_->open_url(h_, url.c_str(), &opened));
        return opened != 0;
    }
    // All of stdin when it is not a terminal (one trailing newline dropped).
    std::string read_stdin() const {
        if (!MGPUX_HAS_MEMBER(t_, read_stdin))
            throw Error(MGPUX_E_FAILED, "this m-gpux host cannot read stdin for plugins; update m-gpux");
        const char* out = nullptr;
        detail::check_status(h_, t_->read_stdin(h_, &out));
        return out ? out : "";
    }
    // The typed form of run (mgpux/contracts.hpp).
    ProcessResult run(const ProcessRequest& request, const LineFn& on_line = LineFn()) const {
        return ProcessResult::from_json(run(request.to_json(), on_line));
    }

private:
    static int32_t line_trampoline(void* user, int32_t stream, const char* line) noexcept {
        try {
            return (*static_cast<LineFn*>(user))(stream, line ? line : "");
        } catch (...) {
            return MGPUX_LINE_STOP;
        }
    }
    const mgpux_host* h_;
    const mgpux_process_service* t_;
};

// Every `modal` call but running a script (mgpux.modal/1).
class Modal {
public:
    explicit Modal(const Host& host)
        : h_(host.raw()), t_(detail::require_service<mgpux_modal_service>(host, MGPUX_SERVICE_MODAL)) {}
    // `profile` empty = the command's --profile. Returns the result object;
    // a failing call throws (the status says why).
    Json call(const std::vector<std::string>& args, const std::string& profile = std::string(),
              double timeout_s = 60, bool inherit_output = false) const {
        Json req = request(args, timeout_s);
        req.set("profile", profile.empty() ? Json() : Json(profile));
        if (inherit_output) req.set("output", "inherit");
        const char* out = nullptr;
        detail::check_status(h_, t_->call(h_, req.dump().c_str(), &out));
        return detail::parse_out(out);
    }
    // The same call, but a failing `modal` is not thrown: the result comes
    // back with "ok": false and the host's "error" message. A missing
    // program, a bad request or Ctrl-C still throw.
    Json try_call(const std::vector<std::string>& args, const std::string& profile = std::string(),
                  double timeout_s = 60) const {
        Json req = request(args, timeout_s);
        req.set("profile", profile.empty() ? Json() : Json(profile));
        const char* out = nullptr;
        const int32_t status = t_->call(h_, req.dump().c_str(), &out);
        if (status != MGPUX_OK && !(status == MGPUX_E_FAILED && out)) detail::check_status(h_, status);
        return detail::parse_out(out);
    }
    // One row per profile, in profile order (empty list = every profile).
    Json fan_out(const std::vector<std::string>& args, const std::vector<std::string>& profiles = {},
                 double timeout_s = 15) const {
        Json req = request(args, timeout_s);
        if (!profiles.empty()) {
            Json names = Json::array();
            for (const auto& p : profiles) names.push(p);
            req.set("profiles", names);
        }
        const char* out = nullptr;
        detail::check_status(h_, t_->fan_out(h_, req.dump().c_str(), &out));
        return detail::parse_out(out);
    }
    // Several different calls at once: each request is {"args": [...],
    // "profile": str|null, "timeout_s": n}. Rows in request order, each with
    // "ok" and "error"; a failing row never stops the others.
    Json call_many(const std::vector<Json>& requests) const {
        if (!MGPUX_HAS_MEMBER(t_, call_many))
            throw Error(MGPUX_E_FAILED, "this m-gpux host cannot run modal calls concurrently; update m-gpux");
        Json arr = Json::array();
        for (const auto& r : requests) arr.push(r);
        const char* out = nullptr;
        detail::check_status(h_, t_->call_many(h_, arr.dump().c_str(), &out));
        return detail::parse_out(out);
    }
    Json app_stop(const std::string& app_id, const std::string& profile = std::string()) const {
        const char* out = nullptr;
        detail::check_status(h_, t_->app_stop(h_, profile.empty() ? nullptr : profile.c_str(), app_id.c_str(), &out));
        return detail::parse_out(out);
    }
    void secret_create(const std::string& name, const Json& values, const std::string& profile = std::string()) const {
        detail::check_status(h_, t_->secret_create(h_, profile.empty() ? nullptr : profile.c_str(), name.c_str(),
                                               values.dump().c_str()));
    }
    void secret_delete(const std::string& name, const std::string& profile = std::string()) const {
        detail::check_status(h_, t_->secret_delete(h_, profile.empty() ? nullptr : profile.c_str(), name.c_str()));
    }
    // The typed form of call (mgpux/contracts.hpp); a failing call throws as call does.
    ModalCallResult call(const ModalCallRequest& request) const {
        const char* out = nullptr;
        detail::check_status(h_, t_->call(h_, request.to_json().dump().c_str(), &out));
        return ModalCallResult::from_json(detail::parse_out(out));
    }

private:
    static Json request(const std::vector<std::string>& args, double timeout_s) {
        Json req = Json::object();
        Json a = Json::array();
        for (const auto& w : args) a.push(w);
        req.set("args", a);
        req.set("timeout_s", timeout_s);
        return req;
    }
    const mgpux_host* h_;
    const mgpux_modal_service* t_;
};

// Runs a rendered script (mgpux.runner/1).
class Runner {
public:
    explicit Runner(const Host& host)
        : h_(host.raw()), t_(detail::require_service<mgpux_runner_service>(host, MGPUX_SERVICE_RUNNER)) {}
    // See mgpux_runner_service.run. Returns the result object; a failed,
    // cancelled or malformed run throws Error with its status.
    Json run(const Json& request) const {
        const char* out = nullptr;
        detail::check_status(h_, t_->run(h_, request.dump().c_str(), &out));
        return detail::parse_out(out);
    }
    // The typed form (mgpux/contracts.hpp).
    RunResult run(const RunRequest& request) const { return RunResult::from_json(run(request.to_json())); }

private:
    const mgpux_host* h_;
    const mgpux_runner_service* t_;
};

// Modal profiles (mgpux.profiles/1).
class Profiles {
public:
    explicit Profiles(const Host& host)
        : h_(host.raw()), t_(detail::require_service<mgpux_profiles_service>(host, MGPUX_SERVICE_PROFILES)) {}
    Json list() const {
        const char* out = nullptr;
        detail::check_status(h_, t_->list(h_, &out));
        return detail::parse_out(out);
    }
    // The profile in use: `requested` (empty = the command's --profile) or
    // the active one; empty when there is none.
    std::string resolve(const std::string& requested = std::string()) const {
        const char* out = nullptr;
        detail::check_status(h_, t_->resolve(h_, requested.empty() ? nullptr : requested.c_str(), &out));
        return out ? out : "";
    }
    bool upsert(const std::string& name, const std::string& token_id, const std::string& token_secret,
                bool activate = false) const {
        int32_t created = 0;
        detail::check_status(h_, t_->upsert(h_, name.c_str(), token_id.c_str(), token_secret.c_str(),
                                        activate ? 1 : 0, &created));
        return created != 0;
    }
    // The newly active profile when the removed one was active, else "".
    std::string remove(const std::string& name) const {
        const char* out = nullptr;
        detail::check_status(h_, t_->remove(h_, name.c_str(), &out));
        return out ? out : "";
    }
    void set_active(const std::string& name) const { detail::check_status(h_, t_->set_active(h_, name.c_str())); }
    Json parse_token_command(const std::string& pasted) const {
        const char* out = nullptr;
        detail::check_status(h_, t_->parse_token_command(h_, pasted.c_str(), &out));
        return detail::parse_out(out);
    }

private:
    const mgpux_host* h_;
    const mgpux_profiles_service* t_;
};

// State documents in ~/.m-gpux (mgpux.state/1).
class State {
public:
    // Fills `replacement` and returns true to write it; false writes nothing.
    using EditFn = std::function<bool(const Json& current, Json& replacement)>;
    explicit State(const Host& host)
        : h_(host.raw()), t_(detail::require_service<mgpux_state_service>(host, MGPUX_SERVICE_STATE)) {}
    Json read(const std::string& document) const {
        const char* out = nullptr;
        detail::check_status(h_, t_->read(h_, document.c_str(), &out));
        return detail::parse_out(out);
    }
    // `edit` gets the current document; it fills `replacement` and returns
    // true to write it, or returns false to leave the file alone. An
    // exception thrown by `edit` aborts without writing and is rethrown.
    Json modify(const std::string& document, const EditFn& edit) const {
        EditContext ctx{&edit, std::string(), nullptr};
        const char* out = nullptr;
        const int32_t status = t_->modify(h_, document.c_str(), &edit_trampoline, &ctx, &out);
        if (ctx.error) std::rethrow_exception(ctx.error);
        detail::check_status(h_, status);
        return detail::parse_out(out);
    }
    Json session_save(const Json& session) const { return call1(t_->session_save, session.dump()); }
    Json session_get(const std::string& ref) const {
        const char* out = nullptr;
        detail::check_status(h_, t_->session_get(h_, ref.c_str(), &out));
        return detail::parse_out(out);
    }
    Json session_update(const std::string& ref, const Json& fields) const {
        const char* out = nullptr;
        detail::check_status(h_, t_->session_update(h_, ref.c_str(), fields.dump().c_str(), &out));
        return detail::parse_out(out);
    }
    uint32_t session_forget(const std::string& ref) const {
        uint32_t n = 0;
        detail::check_status(h_, t_->session_forget(h_, ref.c_str(), &n));
        return n;
    }
    Json preset_list() const {
        const char* out = nullptr;
        detail::check_status(h_, t_->preset_list(h_, &out));
        return detail::parse_out(out);
    }
    Json preset_get(const std::string& name) const { return call1(t_->preset_get, name); }
    Json preset_save(const std::string& name, const Json& fields) const {
        const char* out = nullptr;
        detail::check_status(h_, t_->preset_save(h_, name.c_str(), fields.dump().c_str(), &out));
        return detail::parse_out(out);
    }
    bool preset_delete(const std::string& name) const {
        int32_t deleted = 0;
        detail::check_status(h_, t_->preset_delete(h_, name.c_str(), &deleted));
        return deleted != 0;
    }

private:
    struct EditContext {
        const EditFn* fn;
        std::string replacement;
        std::exception_ptr error;
    };
    static int32_t edit_trampoline(void* user, const char* current, const char** out) noexcept {
        auto* ctx = static_cast<EditContext*>(user);
        try {
            Json replacement;
            *out = nullptr;
            if ((*ctx->fn)(Json::parse(current ? current : "null"), replacement)) {
                ctx->replacement = replacement.dump();
                *out = ctx->replacement.c_str();
            }
            return MGPUX_OK;
        } catch (...) {
            ctx->error = std::current_exception();
            return MGPUX_E_FAILED;
        }
    }
    template <typename Fn>
    Json call1(Fn fn, const std::string& arg) const {
        const char* out = nullptr;
        detail::check_status(h_, fn(h_, arg.c_str(), &out));
        return detail::parse_out(out);
    }
    const mgpux_host* h_;
    const mgpux_state_service* t_;
};

// Compute catalogs (mgpux.catalog/1).
class Catalog {
public:
    explicit Catalog(const Host& host)
        : h_(host.raw()), t_(detail::require_service<mgpux_catalog_service>(host, MGPUX_SERVICE_CATALOG)) {}
    Json get() const {
        const char* out = nullptr;
        detail::check_status(h_, t_->get(h_, &out));
        return detail::parse_out(out);
    }
    Json parse_gpu(const std::string& spec) const {
        const char* out = nullptr;
        detail::check_status(h_, t_->parse_gpu(h_, spec.c_str(), &out));
        return detail::parse_out(out);
    }
    Json parse_cpu(int32_t cores, int32_t memory_mb = 0) const {
        const char* out = nullptr;
        detail::check_status(h_, t_->parse_cpu(h_, cores, memory_mb, &out));
        return detail::parse_out(out);
    }
    std::string parse_python(const std::string& version = std::string()) const {
        const char* out = nullptr;
        detail::check_status(h_, t_->parse_python(h_, version.empty() ? nullptr : version.c_str(), &out));
        return detail::parse_out(out).string_or("python");
    }

private:
    const mgpux_host* h_;
    const mgpux_catalog_service* t_;
};

// HTTPS requests through the host (mgpux.http/1).
class Http {
public:
    explicit Http(const Host& host)
        : h_(host.raw()), t_(detail::require_service<mgpux_http_service>(host, MGPUX_SERVICE_HTTP)) {}
    // See mgpux_http_service.request; any HTTP status is a result.
    Json request(const Json& req) const {
        const char* out = nullptr;
        detail::check_status(h_, t_->request(h_, req.dump().c_str(), &out));
        return detail::parse_out(out);
    }

private:
    const mgpux_host* h_;
    const mgpux_http_service* t_;
};

// ---------------------------------------------------------------- trampolines

namespace detail {

inline const mgpux_host*& host_slot() {
    static const mgpux_host* host = nullptr;
    return host;
}

// Runs `fn`, converting every exception into a status; never throws.
template <typename Fn>
int32_t guarded(const mgpux_host* host, Fn&& fn) noexcept {
    try {
        return fn();
    } catch (const Error& e) {
        if (host && e.what()[0] != '\0') host->set_error(host, e.code(), e.what());
        return e.code();
    } catch (const std::exception& e) {
        if (host) host->set_error(host, MGPUX_E_FAILED, e.what());
        return MGPUX_E_FAILED;
    } catch (...) {
        if (host) host->set_error(host, MGPUX_E_FAILED, "unknown exception in plugin");
        return MGPUX_E_FAILED;
    }
}

}  // namespace detail

}  // namespace mgpux

// Defines the descriptor and the entry symbol for a C++ plugin.
//   RUN_FN:  int RUN_FN(mgpux::Host&, const mgpux::Args&)
// Optional init/shutdown: use MGPUX_CPP_PLUGIN_EX with
//   INIT_FN: int INIT_FN(mgpux::Host&)   SHUTDOWN_FN: void SHUTDOWN_FN()
#define MGPUX_CPP_PLUGIN_EX(ID, VERSION, SUMMARY, PANEL, COMMANDS, RUN_FN, INIT_FN, SHUTDOWN_FN)      \
    namespace {                                                                                    \
    int32_t mgpux_tramp_init(const mgpux_host* host) {                                            \
        mgpux::detail::host_slot() = host;                                                         \
        return mgpux::detail::guarded(host, [&]() -> int32_t {                                     \
            mgpux::Host h(host);                                                                   \
            return INIT_FN(h);                                                                     \
        });                                                                                        \
    }                                                                                              \
    int32_t mgpux_tramp_run(const mgpux_host* host, const char* path, const char* args) {         \
        (void)path;                                                                                \
        return mgpux::detail::guarded(host, [&]() -> int32_t {                                     \
            mgpux::Host h(host);                                                                   \
            mgpux::Args a(args);                                                                   \
            return RUN_FN(h, a);                                                                   \
        });                                                                                        \
    }                                                                                              \
    void mgpux_tramp_shutdown() {                                                                  \
        mgpux::detail::guarded(nullptr, []() -> int32_t {                                          \
            SHUTDOWN_FN();                                                                         \
            return 0;                                                                              \
        });                                                                                        \
    }                                                                                              \
    const mgpux_plugin_descriptor& mgpux_descriptor() {                                            \
        static const mgpux_plugin_descriptor d = {                                                 \
            sizeof(mgpux_plugin_descriptor), MGPUX_ABI_MAJOR, MGPUX_ABI_MINOR, ID, VERSION,        \
            SUMMARY, PANEL, COMMANDS, static_cast<uint32_t>(sizeof(COMMANDS) / sizeof(COMMANDS[0])), \
            mgpux_tramp_init, mgpux_tramp_run, mgpux_tramp_shutdown};                              \
        return d;                                                                                  \
    }                                                                                              \
    }                                                                                              \
    extern "C" MGPUX_DECLARE_ENTRY { return &mgpux_descriptor(); }

namespace mgpux::detail {
inline int32_t default_init(mgpux::Host&) { return MGPUX_OK; }
inline void default_shutdown() {}
}  // namespace mgpux::detail

#define MGPUX_CPP_PLUGIN(ID, VERSION, SUMMARY, PANEL, COMMANDS, RUN_FN)                    \
    MGPUX_CPP_PLUGIN_EX(ID, VERSION, SUMMARY, PANEL, COMMANDS, RUN_FN,                      \
                        mgpux::detail::default_init, mgpux::detail::default_shutdown)

#endif  // MGPUX_PLUGIN_HPP
