// SPDX-License-Identifier: MIT
// C entry points of the services declared in mgpux/service/*.h. Each one parses its
// arguments, calls the C++ service, turns every exception into a status
// with set_error, and keeps its result string in the plugin's host state.
#include "services/service_tables.hpp"

#include "host_context.hpp"
#include "services/catalog.hpp"
#include "services/console.hpp"
#include "services/host_table.hpp"
#include "services/http_client.hpp"
#include "services/modal_service.hpp"
#include "services/process_service.hpp"
#include "services/profile_store.hpp"
#include "services/prompts.hpp"
#include "services/runner.hpp"
#include "services/service_error.hpp"
#include "services/spend.hpp"
#include "services/state_store.hpp"
#include "util/json.hpp"
#include "util/paths.hpp"

#include <boost/json.hpp>
#include <mgpux/contracts.hpp>

#include <cerrno>
#include <unistd.h>

namespace mgpux::services {

namespace json = boost::json;

namespace {

// Every service function runs through the host's one exception guard.
template <typename Fn>
int32_t guard(const mgpux_host* host, Fn&& fn) noexcept {
    return run_guarded(host, std::forward<Fn>(fn));
}

// Stores `text` as the service's result and points *out at it.
int32_t give(PluginHost& ph, const char* service, std::string text, const char** out) {
    auto& slot = ph.service_results[service];
    slot = std::move(text);
    if (out) *out = slot.c_str();
    return MGPUX_OK;
}

int32_t give_json(PluginHost& ph, const char* service, const json::value& v, const char** out) {
    return give(ph, service, json::serialize(v), out);
}

void require(bool ok, const char* what) {
    if (!ok) throw ServiceError(kExitUsage, std::string(what) + " is required");
}

json::value parse_arg(const char* text, const char* what) {
    require(text != nullptr, what);
    return util::parse_json(text);
}

std::optional<std::string> opt(const char* s) {
    if (!s || !*s) return std::nullopt;
    return std::string(s);
}

StateStore state_store() { return StateStore(state_dir()); }
ProfileStore profile_store() { return ProfileStore(modal_config_path()); }

void dry_run_note(PluginHost& ph, const std::string& what) {
    if (ph.context().console) ph.context().console->text(TextKind::Info, "dry run: " + what + "\n");
}

// ------------------------------------------------------------ process

int32_t process_run(const mgpux_host* host, const char* request_json, mgpux_line_fn on_line, void* user,
                    const char** out_json) {
    return guard(host, [&](PluginHost& ph) {
        require(request_json != nullptr, "request_json");
        const auto spec = process_spec(read_process_request(request_json));
        util::LineFn fn;
        if (on_line)
            fn = [&](int stream, std::string_view line) {
                const std::string copy(line);
                return on_line(user, stream, copy.c_str()) == MGPUX_LINE_STOP ? util::LineAction::Stop
                                                                              : util::LineAction::Continue;
            };
        const auto r = run_process_request(ph.context(), spec, fn);
        return give(ph, MGPUX_SERVICE_PROCESS, process_result(r).to_json().dump(), out_json);
    });
}

int32_t process_locate(const mgpux_host* host, const char* program, const char** out_path) {
    return guard(host, [&](PluginHost& ph) {
        require(program && *program, "program");
        return give(ph, MGPUX_SERVICE_PROCESS, require_program(program).string(), out_path);
    });
}

int32_t process_read_stdin(const mgpux_host* host, const char** out_text) {
    return guard(host, [&](PluginHost& ph) {
        static std::optional<std::string> cached;  // stdin can be read once per process
        if (!cached) {
            if (::isatty(STDIN_FILENO)) throw ServiceError(kExitUsage, "stdin is a terminal: nothing was piped in");
            std::string data;
            char buf[65536];
            for (;;) {
                const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
                if (n < 0 && errno == EINTR) continue;
                if (n <= 0) break;
                data.append(buf, static_cast<std::size_t>(n));
                if (data.size() > (1u << 20)) throw ServiceError(kExitUsage, "more than 1 MiB on stdin");
            }
            if (!data.empty() && data.back() == '\n') data.pop_back();
            if (!data.empty() && data.back() == '\r') data.pop_back();
            cached = std::move(data);
        }
        return give(ph, MGPUX_SERVICE_PROCESS, *cached, out_text);
    });
}

int32_t process_open_url(const mgpux_host* host, const char* url, int32_t* out_opened) {
    return guard(host, [&](PluginHost& ph) {
        const std::string u = cstr(url);
        if (out_opened) *out_opened = 0;
        if (u.rfind("https://", 0) != 0 && u.rfind("http://", 0) != 0)
            throw ServiceError(kExitUsage, "only http(s) URLs are opened, not '" + u + "'");
        if (ph.context().globals.dry_run) {
            dry_run_note(ph, "would open " + u);
            return MGPUX_OK;
        }
#ifdef __APPLE__
        const char* opener = "open";
#else
        const char* opener = "xdg-open";
#endif
        util::ProcessSpec spec;
        try {
            spec.exe = require_program(opener);
        } catch (const ServiceError&) {
            return MGPUX_OK;  // no browser here: the URL is printed by the plugin
        }
        spec.args = {u};
        spec.detach = true;  // some openers keep the browser in the foreground
        util::run_process(spec);
        if (out_opened) *out_opened = 1;
        return MGPUX_OK;
    });
}

const mgpux_process_service kProcess = {sizeof(mgpux_process_service), process_run, process_locate, process_read_stdin,
                                        process_open_url};

// ------------------------------------------------------------ modal

json::value modal_result_json(const ModalResult& r) {
    json::array args;
    for (const auto& a : r.args) args.emplace_back(a);
    return json::object{{"profile", r.profile ? json::value(*r.profile) : json::value(nullptr)},
                        {"args", args},
                        {"exit_code", r.exit_code},
                        {"timed_out", r.timed_out},
                        {"skipped", r.skipped},
                        {"stdout", r.out},
                        {"stderr", r.err},
                        {"json", r.json},
                        {"ok", r.ok()},
                        {"error", r.ok() ? json::value(nullptr) : json::value(describe_failure(r))}};
}

int32_t give_modal(PluginHost& ph, const ModalResult& r, const char** out) {
    give_json(ph, MGPUX_SERVICE_MODAL, modal_result_json(r), out);
    return r.ok() ? MGPUX_OK : ph.fail(MGPUX_E_FAILED, describe_failure(r));
}

// A request's text in the SDK's JSON value, for reading through its contract structs.
mgpux::Json parse_contract_arg(const char* text, const char* what) {
    require(text != nullptr, what);
    try {
        return mgpux::Json::parse(text);
    } catch (const mgpux::JsonError& e) {
        throw ServiceError(kExitUsage, std::string("malformed JSON argument: ") + e.what());
    }
}

// One call, read through the SDK's ModalCallRequest (the struct plugins fill).
ModalCall modal_call_from(const mgpux::Json& v) {
    try {
        const auto req = mgpux::ModalCallRequest::from_json(v);
        ModalCall c;
        c.args = req.args;
        c.profile = req.profile;
        if (req.timeout_s) c.timeout_s = *req.timeout_s;
        c.inherit_output = req.inherit_output;
        return c;
    } catch (const mgpux::ContractError& e) {
        throw ServiceError(kExitUsage, e.what());
    }
}

// fan_out's "profiles": the one member beyond the call itself.
std::vector<std::string> fan_out_profiles(const mgpux::Json& v) {
    std::vector<std::string> out;
    const mgpux::Json* list = v.find("profiles");
    if (!list || list->is_null()) return out;
    if (!list->is_array()) throw ServiceError(kExitUsage, "modal request: \"profiles\" must be a list of strings");
    for (const auto& name : list->as_array()) {
        if (!name.is_string()) throw ServiceError(kExitUsage, "modal request: \"profiles\" must be a list of strings");
        out.push_back(name.as_string());
    }
    return out;
}

json::array modal_rows(const std::vector<ModalResult>& results) {
    json::array rows;
    for (const auto& r : results) rows.push_back(modal_result_json(r));
    return rows;
}

int32_t modal_call(const mgpux_host* host, const char* request_json, const char** out_json) {
    return guard(host, [&](PluginHost& ph) {
        ModalService modal(ph.context());
        return give_modal(ph, modal.call(modal_call_from(parse_contract_arg(request_json, "request_json"))), out_json);
    });
}

int32_t modal_fan_out(const mgpux_host* host, const char* request_json, const char** out_json) {
    return guard(host, [&](PluginHost& ph) {
        const auto req = parse_contract_arg(request_json, "request_json");
        const auto call = modal_call_from(req);
        const auto profiles = fan_out_profiles(req);
        ModalService modal(ph.context());
        return give_json(ph, MGPUX_SERVICE_MODAL, modal_rows(modal.fan_out(call.args, profiles, call.timeout_s)),
                         out_json);
    });
}

int32_t modal_app_stop(const mgpux_host* host, const char* profile, const char* app_id, const char** out_json) {
    return guard(host, [&](PluginHost& ph) {
        require(app_id && *app_id, "app_id");
        ModalService modal(ph.context());
        return give_modal(ph, modal.app_stop(opt(profile), app_id), out_json);
    });
}

int32_t modal_secret_create(const mgpux_host* host, const char* profile, const char* name, const char* values_json) {
    return guard(host, [&](PluginHost& ph) {
        require(name && *name, "name");
        const auto v = parse_arg(values_json, "values_json");
        if (!v.is_object()) throw ServiceError(kExitUsage, "secret values must be a JSON object");
        std::map<std::string, std::string> values;
        for (const auto& kv : v.as_object()) {
            if (!kv.value().is_string()) throw ServiceError(kExitUsage, "secret values must be strings");
            values[std::string(kv.key())] = std::string(kv.value().as_string());
        }
        ModalService modal(ph.context());
        return give_modal(ph, modal.secret_create(opt(profile), name, values), nullptr);
    });
}

int32_t modal_secret_delete(const mgpux_host* host, const char* profile, const char* name) {
    return guard(host, [&](PluginHost& ph) {
        require(name && *name, "name");
        ModalService modal(ph.context());
        return give_modal(ph, modal.secret_delete(opt(profile), name), nullptr);
    });
}

int32_t modal_call_many(const mgpux_host* host, const char* request_json, const char** out_json) {
    return guard(host, [&](PluginHost& ph) {
        const auto req = parse_contract_arg(request_json, "request_json");
        if (!req.is_array()) throw ServiceError(kExitUsage, "call_many: expected a JSON array of calls");
        std::vector<ModalCall> calls;
        for (const auto& c : req.as_array()) calls.push_back(modal_call_from(c));
        ModalService modal(ph.context());
        return give_json(ph, MGPUX_SERVICE_MODAL, modal_rows(modal.call_many(calls)), out_json);
    });
}

const mgpux_modal_service kModal = {sizeof(mgpux_modal_service), modal_call,          modal_fan_out,  modal_app_stop,
                                    modal_secret_create,         modal_secret_delete, modal_call_many};

// ------------------------------------------------------------ runner

int32_t runner_run(const mgpux_host* host, const char* request_json, const char** out_json) {
    return guard(host, [&](PluginHost& ph) {
        require(request_json != nullptr, "request_json");
        const auto request = parse_run_request(request_json);
        state_store().require_private_dirs();  // the run directory goes under runs/
        ModalRunner runner(ph.context());
        const auto outcome = runner.run(request);
        give_json(ph, MGPUX_SERVICE_RUNNER, outcome.result, out_json);
        return outcome.status == 0 ? MGPUX_OK : ph.fail(outcome.status, outcome.error);
    });
}

const mgpux_runner_service kRunner = {sizeof(mgpux_runner_service), runner_run};

// ------------------------------------------------------------ profiles

int32_t profiles_list(const mgpux_host* host, const char** out_json) {
    return guard(host, [&](PluginHost& ph) {
        const auto store = profile_store();
        json::array rows;
        for (const auto& p : store.list())
            rows.push_back(json::object{
                {"name", p.name},
                {"active", p.active},
                {"has_token", p.has_token_id && p.has_token_secret},
                {"environment", p.environment.empty() ? json::value(nullptr) : json::value(p.environment)}});
        const auto active = store.active();
        return give_json(ph, MGPUX_SERVICE_PROFILES,
                         json::object{{"path", store.path().string()},
                                      {"active", active ? json::value(*active) : json::value(nullptr)},
                                      {"profiles", rows}},
                         out_json);
    });
}

int32_t profiles_resolve(const mgpux_host* host, const char* requested, const char** out_name) {
    return guard(host, [&](PluginHost& ph) {
        auto named = named_profile(opt(requested), ph.context().globals.profile);
        // A plugin's profile menu offers AUTO: the same choice --profile AUTO makes.
        if (named == std::optional<std::string>(spend::kAutoProfile)) named = spend::resolve_auto_profile(ph.context());
        const auto name = profile_store().resolve(named);
        if (!name) {
            if (out_name) *out_name = nullptr;
            return MGPUX_OK;
        }
        return give(ph, MGPUX_SERVICE_PROFILES, *name, out_name);
    });
}

int32_t profiles_upsert(const mgpux_host* host, const char* name, const char* token_id, const char* token_secret,
                        int32_t activate, int32_t* out_created) {
    return guard(host, [&](PluginHost& ph) {
        require(name != nullptr, "name");
        require_valid_profile_name(name);  // before the dry-run answer, so both refuse alike
        require(token_id && *token_id, "token_id");
        require(token_secret && *token_secret, "token_secret");
        auto store = profile_store();
        if (ph.context().globals.dry_run) {
            if (out_created) *out_created = store.contains(name) ? 0 : 1;
            dry_run_note(ph, std::string("profile ") + name + " not written to " + store.path().string());
            return MGPUX_OK;
        }
        const bool created = store.upsert(name, token_id, token_secret, activate != 0);
        if (out_created) *out_created = created ? 1 : 0;
        return MGPUX_OK;
    });
}

int32_t profiles_remove(const mgpux_host* host, const char* name, const char** out_new_active) {
    return guard(host, [&](PluginHost& ph) {
        require(name && *name, "name");
        if (out_new_active) *out_new_active = nullptr;
        auto store = profile_store();
        if (ph.context().globals.dry_run) {
            store.resolve(std::string(name));  // unknown names are still errors
            dry_run_note(ph, std::string("profile ") + name + " not removed");
            return MGPUX_OK;
        }
        const auto promoted = store.remove(name);
        if (promoted) return give(ph, MGPUX_SERVICE_PROFILES, *promoted, out_new_active);
        return MGPUX_OK;
    });
}

int32_t profiles_set_active(const mgpux_host* host, const char* name) {
    return guard(host, [&](PluginHost& ph) {
        require(name && *name, "name");
        auto store = profile_store();
        if (ph.context().globals.dry_run) {
            store.resolve(std::string(name));
            dry_run_note(ph, std::string("active profile not changed to ") + name);
            return MGPUX_OK;
        }
        store.set_active(name);
        return MGPUX_OK;
    });
}

int32_t profiles_parse_token_command(const mgpux_host* host, const char* pasted, const char** out_json) {
    return guard(host, [&](PluginHost& ph) {
        const auto parsed = parse_token_command(cstr(pasted));
        if (!parsed) return give(ph, MGPUX_SERVICE_PROFILES, "null", out_json);
        return give_json(
            ph, MGPUX_SERVICE_PROFILES,
            json::object{{"token_id", parsed->token_id},
                         {"token_secret", parsed->token_secret},
                         {"profile", parsed->profile ? json::value(*parsed->profile) : json::value(nullptr)}},
            out_json);
    });
}

const mgpux_profiles_service kProfiles = {sizeof(mgpux_profiles_service),
                                          profiles_list,
                                          profiles_resolve,
                                          profiles_upsert,
                                          profiles_remove,
                                          profiles_set_active,
                                          profiles_parse_token_command};

// ------------------------------------------------------------ state

int32_t state_read(const mgpux_host* host, const char* document, const char** out_json) {
    return guard(host, [&](PluginHost& ph) {
        require(document && *document, "document");
        return give_json(ph, MGPUX_SERVICE_STATE, state_store().read(document), out_json);
    });
}

int32_t state_modify(const mgpux_host* host, const char* document, mgpux_edit_fn edit, void* user,
                     const char** out_json) {
    return guard(host, [&](PluginHost& ph) {
        require(document && *document, "document");
        require(edit != nullptr, "edit");
        auto store = state_store();
        const bool dry = ph.context().globals.dry_run;
        auto apply = [&](json::value current) -> std::optional<json::value> {
            const std::string text = json::serialize(current);
            const char* replacement = nullptr;
            const int32_t status = edit(user, text.c_str(), &replacement);
            if (status != MGPUX_OK) {
                const std::string why = ph.error_.empty() ? "the edit was refused" : ph.error_;
                throw ServiceError(status, why);
            }
            if (!replacement) return std::nullopt;
            return util::parse_json(replacement);
        };
        if (dry) {
            const auto changed = apply(store.read(document));
            dry_run_note(ph, std::string(document) + ".json not changed");
            return give_json(ph, MGPUX_SERVICE_STATE, changed ? *changed : store.read(document), out_json);
        }
        return give_json(ph, MGPUX_SERVICE_STATE, store.modify(document, apply), out_json);
    });
}

json::object object_arg(const char* text, const char* what) {
    auto v = parse_arg(text, what);
    if (!v.is_object()) throw ServiceError(kExitUsage, std::string(what) + " must be a JSON object");
    return v.as_object();
}

int32_t state_session_save(const mgpux_host* host, const char* session_json, const char** out_json) {
    return guard(host, [&](PluginHost& ph) {
        require(session_json != nullptr, "session_json");
        auto session = session_object(read_session_record(session_json));
        if (ph.context().globals.dry_run) {
            dry_run_note(ph, "session not recorded");
            return give_json(ph, MGPUX_SERVICE_STATE, session, out_json);
        }
        return give_json(ph, MGPUX_SERVICE_STATE, state_store().save_session(std::move(session)), out_json);
    });
}

int32_t state_session_get(const mgpux_host* host, const char* ref, const char** out_json) {
    return guard(host, [&](PluginHost& ph) {
        require(ref && *ref, "ref");
        const auto s = state_store().get_session(ref);
        return give_json(ph, MGPUX_SERVICE_STATE, s ? json::value(*s) : json::value(nullptr), out_json);
    });
}

int32_t state_session_update(const mgpux_host* host, const char* ref, const char* fields_json, const char** out_json) {
    return guard(host, [&](PluginHost& ph) {
        require(ref && *ref, "ref");
        require(fields_json != nullptr, "fields_json");
        const auto fields = session_object(read_session_record(fields_json));
        auto store = state_store();
        if (ph.context().globals.dry_run) {
            dry_run_note(ph, "session not updated");
            const auto s = store.get_session(ref);
            return give_json(ph, MGPUX_SERVICE_STATE, s ? json::value(*s) : json::value(nullptr), out_json);
        }
        const auto s = store.update_session(ref, fields);
        return give_json(ph, MGPUX_SERVICE_STATE, s ? json::value(*s) : json::value(nullptr), out_json);
    });
}

int32_t state_session_forget(const mgpux_host* host, const char* ref, uint32_t* out_count) {
    return guard(host, [&](PluginHost& ph) {
        require(ref && *ref, "ref");
        auto store = state_store();
        std::size_t n = 0;
        if (ph.context().globals.dry_run) {
            n = store.get_session(ref) ? 1 : 0;
            dry_run_note(ph, "sessions.json not changed");
        } else {
            n = store.forget_session(ref);
        }
        if (out_count) *out_count = static_cast<uint32_t>(n);
        return MGPUX_OK;
    });
}

int32_t state_preset_list(const mgpux_host* host, const char** out_json) {
    return guard(host, [&](PluginHost& ph) {
        return give_json(ph, MGPUX_SERVICE_STATE, state_store().list_presets(), out_json);
    });
}

int32_t state_preset_get(const mgpux_host* host, const char* name, const char** out_json) {
    return guard(host, [&](PluginHost& ph) {
        require(name && *name, "name");
        return give_json(ph, MGPUX_SERVICE_STATE, state_store().get_preset(name), out_json);
    });
}

int32_t state_preset_save(const mgpux_host* host, const char* name, const char* fields_json, const char** out_json) {
    return guard(host, [&](PluginHost& ph) {
        require(name && *name, "name");
        const auto fields = object_arg(fields_json, "fields_json");
        if (ph.context().globals.dry_run) {
            const auto preview = state_store().preview_preset(name, fields);  // refused values fail as for real
            dry_run_note(ph, std::string("preset ") + name + " not saved");
            return give_json(ph, MGPUX_SERVICE_STATE, preview, out_json);
        }
        return give_json(ph, MGPUX_SERVICE_STATE, state_store().save_preset(name, fields), out_json);
    });
}

int32_t state_preset_delete(const mgpux_host* host, const char* name, int32_t* out_deleted) {
    return guard(host, [&](PluginHost& ph) {
        require(name && *name, "name");
        auto store = state_store();
        bool deleted = false;
        if (ph.context().globals.dry_run) {
            deleted = store.list_presets().contains(name);
            dry_run_note(ph, std::string("preset ") + name + " not deleted");
        } else {
            deleted = store.delete_preset(name);
        }
        if (out_deleted) *out_deleted = deleted ? 1 : 0;
        return MGPUX_OK;
    });
}

const mgpux_state_service kState = {sizeof(mgpux_state_service), state_read,         state_modify,
                                    state_session_save,          state_session_get,  state_session_update,
                                    state_session_forget,        state_preset_list,  state_preset_get,
                                    state_preset_save,           state_preset_delete};

// ------------------------------------------------------------ catalog

int32_t catalog_get(const mgpux_host* host, const char** out_json) {
    return guard(
        host, [&](PluginHost& ph) { return give(ph, MGPUX_SERVICE_CATALOG, catalog_json(current_rates()), out_json); });
}

int32_t catalog_parse_gpu(const mgpux_host* host, const char* spec, const char** out_json) {
    return guard(host, [&](PluginHost& ph) {
        const auto gpu = parse_gpu_spec(cstr(spec).empty() ? std::string(kDefaultGpu) : cstr(spec));
        const auto* info = find_gpu(gpu.name);
        json::object o{{"name", gpu.name}, {"count", gpu.count}, {"spec", gpu.text()}, {"label", gpu_label(gpu)}};
        o["vram_gb"] = info ? json::value(info->vram_gb) : json::value(nullptr);
        const auto price = gpu_spec_price_per_hour(gpu, current_rates());
        o["price_per_hour"] = price ? json::value(*price) : json::value(nullptr);
        return give_json(ph, MGPUX_SERVICE_CATALOG, o, out_json);
    });
}

int32_t catalog_parse_cpu(const mgpux_host* host, int32_t cores, int32_t memory_mb, const char** out_json) {
    return guard(host, [&](PluginHost& ph) {
        const auto cpu = make_cpu_spec(cores, memory_mb > 0 ? std::optional<int>(memory_mb) : std::nullopt);
        return give_json(ph, MGPUX_SERVICE_CATALOG,
                         json::object{{"cores", cpu.cores}, {"memory_mb", cpu.memory_mb}, {"label", cpu_label(cpu)}},
                         out_json);
    });
}

int32_t catalog_parse_python(const mgpux_host* host, const char* version, const char** out_json) {
    return guard(host, [&](PluginHost& ph) {
        const std::string v =
            cstr(version).empty() ? std::string(kDefaultPython) : validate_python_version(cstr(version));
        return give_json(ph, MGPUX_SERVICE_CATALOG, json::object{{"python", v}}, out_json);
    });
}

const mgpux_catalog_service kCatalog = {sizeof(mgpux_catalog_service), catalog_get, catalog_parse_gpu,
                                        catalog_parse_cpu, catalog_parse_python};

// ------------------------------------------------------------ http

int32_t http_request(const mgpux_host* host, const char* request_json, const char** out_json) {
    return guard(host, [&](PluginHost& ph) {
        const auto request = http_request_from_json(parse_arg(request_json, "request_json"));
        return give_json(ph, MGPUX_SERVICE_HTTP, http_response_json(perform_http(request)), out_json);
    });
}

const mgpux_http_service kHttp = {sizeof(mgpux_http_service), http_request};

}  // namespace

const void* find_service_table(const std::string& id) {
    if (id == MGPUX_SERVICE_PROCESS) return &kProcess;
    if (id == MGPUX_SERVICE_MODAL) return &kModal;
    if (id == MGPUX_SERVICE_RUNNER) return &kRunner;
    if (id == MGPUX_SERVICE_PROFILES) return &kProfiles;
    if (id == MGPUX_SERVICE_STATE) return &kState;
    if (id == MGPUX_SERVICE_CATALOG) return &kCatalog;
    if (id == MGPUX_SERVICE_HTTP) return &kHttp;
    return nullptr;
}

}  // namespace mgpux::services
