// SPDX-License-Identifier: MIT
#include "services/host_table.hpp"

#include "services/console.hpp"
#include "services/hostinfo.hpp"
#include "services/logging.hpp"
#include "services/prompts.hpp"
#include "services/service_error.hpp"
#include "services/service_tables.hpp"
#include "services/template_engine.hpp"
#include "services/templates.hpp"
#include "util/json.hpp"

#include <boost/json.hpp>
#include <mgpux/contracts.hpp>

#include <limits>

namespace mgpux::services {

namespace json = boost::json;

struct PluginHost::ParsedArgs {
    json::value root;
    std::map<std::string, std::string> item_texts;  // "<name>\0<index>" -> text
};

int32_t run_guarded(const mgpux_host* host, const std::function<int32_t(PluginHost&)>& fn) noexcept {
    PluginHost* ph = nullptr;
    auto failed = [&](int32_t code, const std::string& message) { return ph ? ph->fail(code, message) : code; };
    try {
        if (!host || !host->host_data) return MGPUX_E_FAILED;
        ph = &PluginHost::from(host);
        return fn(*ph);
    } catch (const ServiceError& e) {
        return failed(e.code, e.what());
    } catch (const PromptError& e) {
        return failed(e.status, e.what());
    } catch (const util::JsonParseError& e) {
        return failed(MGPUX_E_USAGE, std::string("malformed JSON argument: ") + e.what());
    } catch (const std::exception& e) {
        return failed(MGPUX_E_FAILED, e.what());
    } catch (...) {
        return failed(MGPUX_E_FAILED, "unknown error in the host");
    }
}

namespace {

// A host table callback through run_guarded: what `fn(PluginHost&)` returns,
// or `on_failure` when it threw (the error is recorded for last_error).
template <typename R, typename Fn>
R guard(const mgpux_host* host, R on_failure, Fn&& fn) noexcept {
    R result = on_failure;
    const int32_t status = run_guarded(host, [&](PluginHost& ph) {
        result = fn(ph);
        return MGPUX_OK;
    });
    return status == MGPUX_OK ? result : on_failure;
}

// The same for a callback without a result.
template <typename Fn>
void guard_void(const mgpux_host* host, Fn&& fn) noexcept {
    guard(host, 0, [&](PluginHost& ph) {
        fn(ph);
        return 0;
    });
}

void cb_set_error(const mgpux_host* host, int32_t code, const char* message) {
    guard_void(host, [&](PluginHost& ph) {
        ph.error_ = cstr(message);
        ph.error_code_ = code;
    });
}

void cb_log(const mgpux_host* host, int32_t level, const char* message) {
    guard_void(host, [&](PluginHost& ph) {
        if (level < MGPUX_LOG_DEBUG || level > MGPUX_LOG_PLUGIN_MISBEHAVING) level = MGPUX_LOG_WARNING;
        ph.context().console->progress(nullptr);  // a log line starts on a clean line
        log(static_cast<LogLevel>(level), ph.plugin().id + ": " + cstr(message));
    });
}

void cb_write_text(const mgpux_host* host, int32_t kind, const char* text) {
    guard_void(host, [&](PluginHost& ph) {
        if (kind < MGPUX_TEXT_PLAIN || kind > MGPUX_TEXT_DIM) kind = MGPUX_TEXT_PLAIN;
        ph.context().console->text(static_cast<TextKind>(kind), cstr(text));
    });
}

int32_t write_table(PluginHost& ph, const char* table_json) {
    try {
        Table t = table_from_json(util::parse_json(cstr(table_json)));
        ph.context().console->table(t);
        return MGPUX_OK;
    } catch (const std::exception& e) {
        log(LogLevel::PluginMisbehaving, ph.plugin().id + ": write_table: " + e.what());
        return ph.fail(MGPUX_E_USAGE, std::string("malformed table: ") + e.what());
    }
}

int32_t cb_write_table(const mgpux_host* host, const char* table_json) {
    return guard(host, MGPUX_E_FAILED, [&](PluginHost& ph) { return write_table(ph, table_json); });
}

int32_t write_json(PluginHost& ph, const char* doc) {
    json::value v;
    try {
        v = util::parse_json(cstr(doc));
    } catch (const std::exception& e) {
        log(LogLevel::PluginMisbehaving, ph.plugin().id + ": write_json: " + e.what());
        return ph.fail(MGPUX_E_USAGE, std::string("malformed JSON document: ") + e.what());
    }
    if (!ph.context().console->json(v)) {
        log(LogLevel::PluginMisbehaving, ph.plugin().id + ": write_json called twice");
        return ph.fail(MGPUX_E_FAILED, "a command writes one JSON document");
    }
    return MGPUX_OK;
}

int32_t cb_write_json(const mgpux_host* host, const char* doc) {
    return guard(host, MGPUX_E_FAILED, [&](PluginHost& ph) { return write_json(ph, doc); });
}

void cb_progress(const mgpux_host* host, const char* message) {
    guard_void(host, [&](PluginHost& ph) { ph.context().console->progress(message); });
}

template <typename Fn>
int32_t prompt_guard(PluginHost& ph, Fn&& fn) {
    try {
        fn();
        return MGPUX_OK;
    } catch (const PromptError& e) {
        return ph.fail(e.status, e.what());
    } catch (const std::exception& e) {
        return ph.fail(MGPUX_E_FAILED, e.what());
    }
}

// Asks `prompt` (its text already made visible) through the host's prompter.
int32_t ask(PluginHost& ph, const mgpux::Prompt& prompt, mgpux::PromptAnswer& answer) {
    return prompt_guard(ph, [&] { answer = ph.context().prompter->answer(prompt); });
}

// The prompt the C arguments describe; the strings a plugin passes are shown, never obeyed.
mgpux::Prompt c_prompt(const char* kind, const char* message, uint32_t flags, const char* flag_hint) {
    mgpux::Prompt p;
    p.kind = kind;
    p.message = visible_controls(cstr(message));
    p.secret = (flags & MGPUX_PROMPT_SECRET) != 0;
    p.destructive = (flags & MGPUX_PROMPT_DESTRUCTIVE) != 0;
    if (flag_hint && *flag_hint) p.flag_hint = flag_hint;
    return p;
}

int32_t prompt_select(PluginHost& ph, const char* title, const char* const* labels, const char* const* descriptions,
                      uint32_t count, int32_t default_index, const char* flag_hint, int32_t* out_index) {
    if (!labels || !out_index) return ph.fail(MGPUX_E_USAGE, "prompt_select: labels and out_index are required");
    mgpux::Prompt p = c_prompt("select", title, 0, flag_hint);
    // Menu items are often outside values (profile, preset, app names): shown, never obeyed.
    for (uint32_t i = 0; i < count; ++i) {
        p.labels.push_back(visible_controls(cstr(labels[i]), false));
        p.descriptions.push_back(descriptions ? visible_controls(cstr(descriptions[i]), false) : std::string());
    }
    if (default_index >= 0) p.default_index = default_index;
    mgpux::PromptAnswer a;
    const int32_t status = ask(ph, p, a);
    if (status == MGPUX_OK) *out_index = static_cast<int32_t>(a.index.value_or(-1));
    return status;
}

int32_t cb_prompt_select(const mgpux_host* host, const char* title, const char* const* labels,
                         const char* const* descriptions, uint32_t count, int32_t default_index, const char* flag_hint,
                         int32_t* out_index) {
    return guard(host, MGPUX_E_FAILED, [&](PluginHost& ph) {
        return prompt_select(ph, title, labels, descriptions, count, default_index, flag_hint, out_index);
    });
}

int32_t prompt_text(PluginHost& ph, const char* message, const char* default_value, uint32_t flags,
                    const char* flag_hint, const char** out_value) {
    if (!out_value) return ph.fail(MGPUX_E_USAGE, "prompt_text: out_value is required");
    mgpux::Prompt p = c_prompt("text", message, flags, flag_hint);
    if (default_value) p.default_value = default_value;
    mgpux::PromptAnswer a;
    const int32_t status = ask(ph, p, a);
    if (status != MGPUX_OK) return status;
    ph.prompt_result = a.text.value_or("");
    *out_value = ph.prompt_result.c_str();
    return MGPUX_OK;
}

int32_t cb_prompt_text(const mgpux_host* host, const char* message, const char* default_value, uint32_t flags,
                       const char* flag_hint, const char** out_value) {
    return guard(host, MGPUX_E_FAILED,
                 [&](PluginHost& ph) { return prompt_text(ph, message, default_value, flags, flag_hint, out_value); });
}

int32_t cb_prompt_confirm(const mgpux_host* host, const char* message, int32_t default_yes, uint32_t flags,
                          const char* flag_hint, int32_t* out_yes) {
    return guard(host, MGPUX_E_FAILED, [&](PluginHost& ph) {
        if (!out_yes) return ph.fail(MGPUX_E_USAGE, "prompt_confirm: out_yes is required");
        mgpux::Prompt p = c_prompt("confirm", message, flags & MGPUX_PROMPT_DESTRUCTIVE, flag_hint);
        p.default_yes = default_yes != 0;
        mgpux::PromptAnswer a;
        const int32_t status = ask(ph, p, a);
        if (status == MGPUX_OK) *out_yes = a.yes.value_or(false) ? 1 : 0;
        return status;
    });
}

int32_t render(PluginHost& ph, const char* name, const char* text, const char* context_json, const char** out) {
    if (!name || !out) return ph.fail(MGPUX_E_USAGE, "render: name and out_text are required");
    json::value ctx;
    try {
        ctx = util::parse_json(context_json ? context_json : "{}");
    } catch (const std::exception& e) {
        return ph.fail(MGPUX_E_USAGE,
                       std::string("template context for '") + name + "' is not valid JSON: " + e.what());
    }
    if (!ctx.is_object())
        return ph.fail(MGPUX_E_USAGE, std::string("template context for '") + name + "' must be an object");
    try {
        const TemplateStore store =
            ph.context().templates->with_plugin_dir(plugin_template_dir(ph.plugin().path, ph.plugin().id));
        ph.render_result =
            text ? store.render_text(name, text, ctx.get_object()) : store.render_file(name, ctx.get_object());
        *out = ph.render_result.c_str();
        return MGPUX_OK;
    } catch (const TemplateError& e) {
        // An error inside a partial also names the template being rendered.
        const std::string where = e.template_name == name ? std::string() : std::string(" (rendering ") + name + ")";
        return ph.fail(MGPUX_E_FAILED, std::string("template error: ") + e.what() + where);
    } catch (const std::exception& e) {
        return ph.fail(MGPUX_E_FAILED, std::string("template error: ") + e.what());
    }
}

int32_t cb_render_template(const mgpux_host* host, const char* name, const char* context_json, const char** out) {
    return guard(host, MGPUX_E_FAILED, [&](PluginHost& ph) { return render(ph, name, nullptr, context_json, out); });
}

int32_t cb_render_string(const mgpux_host* host, const char* name, const char* text, const char* context_json,
                         const char** out) {
    return guard(host, MGPUX_E_FAILED, [&](PluginHost& ph) {
        if (!text) return ph.fail(MGPUX_E_USAGE, "render_string: template_text is required");
        return render(ph, name, text, context_json, out);
    });
}

int32_t cb_hostinfo(const mgpux_host* host, uint32_t flags, const char** out_json) {
    return guard(host, MGPUX_E_FAILED, [&](PluginHost& ph) {
        if (!out_json) return ph.fail(MGPUX_E_USAGE, "hostinfo: out_json is required");
        ph.hostinfo_result = json::serialize(build_hostinfo(ph.context(), (flags & MGPUX_HOSTINFO_VERSIONS) != 0));
        *out_json = ph.hostinfo_result.c_str();
        return MGPUX_OK;
    });
}

const void* cb_get_service(const mgpux_host* host, const char* id) {
    return guard(host, static_cast<const void*>(nullptr), [&](PluginHost&) { return find_service_table(cstr(id)); });
}

const char* cb_last_error(const mgpux_host* host) {
    return guard(host, "", [&](PluginHost& ph) { return ph.error().c_str(); });
}

// ---- argument accessors ----------------------------------------------------

// The parse of `args_json`, made on first use and kept for the plugin call.
PluginHost::ParsedArgs& parsed_args(PluginHost& ph, const char* args_json) {
    std::string text = cstr(args_json);
    auto it = ph.parsed_args.find(text);
    if (it != ph.parsed_args.end()) return *it->second;
    auto parsed = std::make_unique<PluginHost::ParsedArgs>();
    try {
        parsed->root = util::parse_json(text);
    } catch (const util::JsonParseError& e) {
        // Cached too, so the error is reported once per text, not per read.
        ph.fail(MGPUX_E_USAGE, std::string("the arguments given to args_* are not valid JSON: ") + e.what());
    }
    return *ph.parsed_args.emplace(std::move(text), std::move(parsed)).first->second;
}

// The value `name` names ("gpu" in "values", "global.dry_run" in "global"),
// or nullptr when it is absent or null.
const json::value* find_arg(PluginHost& ph, const char* args_json, const char* name) {
    const json::value& root = parsed_args(ph, args_json).root;
    if (!root.is_object()) return nullptr;
    std::string key = cstr(name);
    const std::string global_prefix = "global.";
    const bool global = key.rfind(global_prefix, 0) == 0;
    if (global) key.erase(0, global_prefix.size());
    const json::value* section = root.get_object().if_contains(global ? "global" : "values");
    if (!section || !section->is_object()) return nullptr;
    const json::value* v = section->get_object().if_contains(key);
    return v && !v->is_null() ? v : nullptr;
}

// A scalar as the text args_get_item gives.
std::string item_text(const json::value& v) {
    if (v.is_string()) return std::string(v.get_string());
    return json::serialize(v);
}

int32_t cb_args_has(const mgpux_host* host, const char* args_json, const char* name) {
    return guard(host, 0, [&](PluginHost& ph) { return find_arg(ph, args_json, name) ? 1 : 0; });
}

const char* cb_args_get_string(const mgpux_host* host, const char* args_json, const char* name) {
    return guard(host, static_cast<const char*>(nullptr), [&](PluginHost& ph) -> const char* {
        const json::value* v = find_arg(ph, args_json, name);
        return v && v->is_string() ? v->get_string().c_str() : nullptr;
    });
}

int64_t cb_args_get_int(const mgpux_host* host, const char* args_json, const char* name, int64_t fallback) {
    return guard(host, fallback, [&](PluginHost& ph) -> int64_t {
        const json::value* v = find_arg(ph, args_json, name);
        if (v && v->is_int64()) return v->get_int64();
        if (v && v->is_uint64() && v->get_uint64() <= uint64_t(std::numeric_limits<int64_t>::max()))
            return static_cast<int64_t>(v->get_uint64());
        return fallback;
    });
}

double cb_args_get_float(const mgpux_host* host, const char* args_json, const char* name, double fallback) {
    return guard(host, fallback, [&](PluginHost& ph) {
        const json::value* v = find_arg(ph, args_json, name);
        return v && v->is_number() ? v->to_number<double>() : fallback;
    });
}

int32_t cb_args_get_bool(const mgpux_host* host, const char* args_json, const char* name) {
    return guard(host, MGPUX_ARG_ABSENT, [&](PluginHost& ph) {
        const json::value* v = find_arg(ph, args_json, name);
        if (!v || !v->is_bool()) return MGPUX_ARG_ABSENT;
        return v->get_bool() ? 1 : 0;
    });
}

uint32_t cb_args_count(const mgpux_host* host, const char* args_json, const char* name) {
    return guard(host, uint32_t{0}, [&](PluginHost& ph) -> uint32_t {
        const json::value* v = find_arg(ph, args_json, name);
        if (!v) return 0;
        return v->is_array() ? static_cast<uint32_t>(v->get_array().size()) : 1;
    });
}

const char* cb_args_get_item(const mgpux_host* host, const char* args_json, const char* name, uint32_t index) {
    return guard(host, static_cast<const char*>(nullptr), [&](PluginHost& ph) -> const char* {
        const json::value* v = find_arg(ph, args_json, name);
        if (!v) return nullptr;
        if (v->is_array()) {
            if (index >= v->get_array().size()) return nullptr;
            v = &v->get_array()[index];
        } else if (index != 0) {
            return nullptr;
        }
        if (v->is_string()) return v->get_string().c_str();
        auto& texts = parsed_args(ph, args_json).item_texts;
        std::string& slot = texts[cstr(name) + '\0' + std::to_string(index)];
        slot = item_text(*v);
        return slot.c_str();
    });
}

}  // namespace

PluginHost::PluginHost(HostContext& ctx, const plugins::Plugin& plugin) : ctx_(ctx), plugin_(plugin) {
    table_.struct_size = sizeof(mgpux_host);
    table_.abi_major = MGPUX_ABI_MAJOR;
    table_.abi_minor = MGPUX_ABI_MINOR;
    table_.host_version = MGPUX_VERSION;
    table_.host_data = this;
    table_.set_error = cb_set_error;
    table_.log = cb_log;
    table_.write_text = cb_write_text;
    table_.write_table = cb_write_table;
    table_.write_json = cb_write_json;
    table_.progress = cb_progress;
    table_.prompt_select = cb_prompt_select;
    table_.prompt_text = cb_prompt_text;
    table_.prompt_confirm = cb_prompt_confirm;
    table_.render_template = cb_render_template;
    table_.render_string = cb_render_string;
    table_.hostinfo = cb_hostinfo;
    table_.get_service = cb_get_service;
    table_.last_error = cb_last_error;
    table_.args_has = cb_args_has;
    table_.args_get_string = cb_args_get_string;
    table_.args_get_int = cb_args_get_int;
    table_.args_get_float = cb_args_get_float;
    table_.args_get_bool = cb_args_get_bool;
    table_.args_count = cb_args_count;
    table_.args_get_item = cb_args_get_item;
}

PluginHost::~PluginHost() = default;

PluginHost& PluginHost::from(const mgpux_host* host) { return *static_cast<PluginHost*>(host->host_data); }

}  // namespace mgpux::services
