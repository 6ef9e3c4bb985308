#include "services/host_table.hpp"

#include "services/console.hpp"
#include "services/hostinfo.hpp"
#include "services/logging.hpp"
#include "services/prompts.hpp"
#include "services/service_tables.hpp"
#include "services/template_engine.hpp"
#include "services/templates.hpp"
#include "util/json.hpp"

#include <boost/json.hpp>

namespace mgpux::services {

namespace json = boost::json;

namespace {

void cb_set_error(const mgpux_host* host, int32_t code, const char* message) {
    auto& ph = PluginHost::from(host);
    ph.error_ = cstr(message);
    ph.error_code_ = code;
}

void cb_log(const mgpux_host* host, int32_t level, const char* message) {
    auto& ph = PluginHost::from(host);
    if (level < MGPUX_LOG_DEBUG || level > MGPUX_LOG_PLUGIN_MISBEHAVING) level = MGPUX_LOG_WARNING;
    ph.context().console->progress(nullptr);  // a log line starts on a clean line
    log(static_cast<LogLevel>(level), ph.plugin().id + ": " + cstr(message));
}

void cb_write_text(const mgpux_host* host, int32_t kind, const char* text) {
    auto& ph = PluginHost::from(host);
    if (kind < MGPUX_TEXT_PLAIN || kind > MGPUX_TEXT_DIM) kind = MGPUX_TEXT_PLAIN;
    ph.context().console->text(static_cast<TextKind>(kind), cstr(text));
}

int32_t cb_write_table(const mgpux_host* host, const char* table_json) {
    auto& ph = PluginHost::from(host);
    try {
        Table t = table_from_json(util::parse_json(cstr(table_json)));
        ph.context().console->table(t);
        return MGPUX_OK;
    } catch (const std::exception& e) {
        log(LogLevel::PluginMisbehaving, ph.plugin().id + ": write_table: " + e.what());
        return ph.fail(MGPUX_E_USAGE, std::string("malformed table: ") + e.what());
    }
}

int32_t cb_write_json(const mgpux_host* host, const char* doc) {
    auto& ph = PluginHost::from(host);
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

void cb_progress(const mgpux_host* host, const char* message) {
    PluginHost::from(host).context().console->progress(message);
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

int32_t cb_prompt_select(const mgpux_host* host, const char* title, const char* const* labels,
                         const char* const* descriptions, uint32_t count, int32_t default_index,
                         const char* flag_hint, int32_t* out_index) {
    auto& ph = PluginHost::from(host);
    if (!labels || !out_index) return ph.fail(MGPUX_E_USAGE, "prompt_select: labels and out_index are required");
    std::vector<std::string> l, d;
    // Menu items are often outside values (profile, preset, app names): shown, never obeyed.
    for (uint32_t i = 0; i < count; ++i) {
        l.push_back(visible_controls(cstr(labels[i]), false));
        d.push_back(descriptions ? visible_controls(cstr(descriptions[i]), false) : std::string());
    }
    return prompt_guard(ph, [&] {
        *out_index =
            ph.context().prompter->select(visible_controls(cstr(title)), l, d, default_index, cstr(flag_hint));
    });
}

int32_t cb_prompt_text(const mgpux_host* host, const char* message, const char* default_value, uint32_t flags,
                       const char* flag_hint, const char** out_value) {
    auto& ph = PluginHost::from(host);
    if (!out_value) return ph.fail(MGPUX_E_USAGE, "prompt_text: out_value is required");
    std::optional<std::string> def;
    if (default_value) def = default_value;
    // A destructive question (which apps to stop) never takes its default
    // silently: under --no-input it needs --yes, as a destructive confirm does.
    if ((flags & MGPUX_PROMPT_DESTRUCTIVE) && !ph.context().globals.yes && !ph.context().prompter->interactive()) {
        const std::string hint = flag_hint ? std::string(flag_hint) : std::string("--yes");
        return ph.fail(MGPUX_E_USAGE, "cannot ask \"" + cstr(message) + "\" without a terminal; pass " + hint);
    }
    return prompt_guard(ph, [&] {
        ph.prompt_result = ph.context().prompter->text(visible_controls(cstr(message)), def,
                                                       (flags & MGPUX_PROMPT_SECRET) != 0, cstr(flag_hint));
        *out_value = ph.prompt_result.c_str();
    });
}

int32_t cb_prompt_confirm(const mgpux_host* host, const char* message, int32_t default_yes, uint32_t flags,
                          const char* flag_hint, int32_t* out_yes) {
    auto& ph = PluginHost::from(host);
    if (!out_yes) return ph.fail(MGPUX_E_USAGE, "prompt_confirm: out_yes is required");
    return prompt_guard(ph, [&] {
        *out_yes = ph.context().prompter->confirm(visible_controls(cstr(message)), default_yes != 0,
                                                  (flags & MGPUX_PROMPT_DESTRUCTIVE) != 0, cstr(flag_hint))
                       ? 1
                       : 0;
    });
}

// A plugin ships its templates in <its file's directory>/<its id>/templates.
std::filesystem::path plugin_template_dir(const plugins::Plugin& plugin) {
    return plugin.path.parent_path() / plugin.id / "templates";
}

int32_t render(PluginHost& ph, const char* name, const char* text, const char* context_json, const char** out) {
    if (!name || !out) return ph.fail(MGPUX_E_USAGE, "render: name and out_text are required");
    json::value ctx;
    try {
        ctx = util::parse_json(context_json ? context_json : "{}");
    } catch (const std::exception& e) {
        return ph.fail(MGPUX_E_USAGE, std::string("template context for '") + name + "' is not valid JSON: " + e.what());
    }
    if (!ctx.is_object()) return ph.fail(MGPUX_E_USAGE, std::string("template context for '") + name + "' must be an object");
    try {
        const TemplateStore store = ph.context().templates->with_plugin_dir(plugin_template_dir(ph.plugin()));
        ph.render_result = text ? store.render_text(name, text, ctx.get_object()) : store.render_file(name, ctx.get_object());
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
    return render(PluginHost::from(host), name, nullptr, context_json, out);
}

int32_t cb_render_string(const mgpux_host* host, const char* name, const char* text, const char* context_json,
                         const char** out) {
    auto& ph = PluginHost::from(host);
    if (!text) return ph.fail(MGPUX_E_USAGE, "render_string: template_text is required");
    return render(ph, name, text, context_json, out);
}

int32_t cb_hostinfo(const mgpux_host* host, uint32_t flags, const char** out_json) {
    auto& ph = PluginHost::from(host);
    if (!out_json) return ph.fail(MGPUX_E_USAGE, "hostinfo: out_json is required");
    ph.hostinfo_result = json::serialize(build_hostinfo(ph.context(), (flags & MGPUX_HOSTINFO_VERSIONS) != 0));
    *out_json = ph.hostinfo_result.c_str();
    return MGPUX_OK;
}

const void* cb_get_service(const mgpux_host*, const char* id) { return find_service_table(cstr(id)); }

const char* cb_last_error(const mgpux_host* host) { return PluginHost::from(host).error().c_str(); }

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
}

PluginHost& PluginHost::from(const mgpux_host* host) { return *static_cast<PluginHost*>(host->host_data); }

}  // namespace mgpux::services
