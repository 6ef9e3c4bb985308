// The API key store commands (`serve keys ...`), the local proxy, and the
// helpers the other serve commands share.
#include "serve_commands.hpp"

#include <filesystem>
#include <functional>
#include <cstdlib>
#include <set>

namespace fs = std::filesystem;

namespace serve {

bool dry_run(const mgpux::Args& args) { return args.global_flag("dry_run"); }
bool json_out(const mgpux::Args& args) { return args.global_flag("json"); }

std::vector<ApiKey> read_keys(const mgpux::Host& host) { return parse_keys(mgpux::State(host).read("api_keys")); }

// Read-modify-write of the key store under the state service's lock.
// `edit` changes the list and returns false to write nothing.
std::vector<ApiKey> edit_keys(const mgpux::Host& host, const std::function<bool(std::vector<ApiKey>&)>& edit) {
    std::vector<ApiKey> result;
    mgpux::State(host).modify("api_keys", [&](const Json& current, Json& replacement) {
        result = parse_keys(current);
        if (!edit(result)) return false;
        replacement = keys_to_json(result);
        return true;
    });
    return result;
}

Json key_json(const ApiKey& k, bool full) {
    Json o = Json::object();
    o.set("name", k.name);
    o.set("key", full ? k.key : mask_key(k.key));
    o.set("created", k.created);
    o.set("active", k.active);
    return o;
}

std::string str_of(const Json& o, const char* key) {
    const Json* v = o.find(key);
    return v && v->is_string() ? v->as_string() : std::string();
}

// The serve deployments recorded by deploy that are not known stopped.
std::vector<Json> serve_sessions(const mgpux::Host& host) {
    std::vector<Json> out;
    const Json all = mgpux::State(host).read("sessions");
    if (!all.is_array()) return out;
    for (const Json& s : all.as_array())
        if (str_of(s, "kind") == "serve" && str_of(s, "state") != "stopped") out.push_back(s);
    return out;
}

// Re-creates the keys secret of every recorded deployment whose secret
// still exists, so its next container start sees the change.
void sync_deployments(const mgpux::Host& host, const mgpux::Args& args, const std::vector<ApiKey>& keys) {
    std::set<std::pair<std::string, std::string>> done;
    const mgpux::Modal modal(host);
    for (const Json& s : serve_sessions(host)) {
        const std::string secret = str_of(s, "keys_secret");
        const std::string profile = str_of(s, "profile");
        if (secret.empty() || !done.insert({profile, secret}).second) continue;
        if (dry_run(args)) {
            host.info("dry run: would re-create secret " + secret + "\n");
            continue;
        }
        try {
            const Json listed = modal.try_call({"secret", "list", "--json"}, profile);
            const Json* rows = listed.find("json");
            bool exists = false;
            if (rows && rows->is_array())
                for (const Json& r : rows->as_array()) exists = exists || str_of(r, "name") == secret;
            if (!exists) continue;
            Json values = Json::object();
            values.set("MGPUX_KEY_HASHES", key_hashes(keys));
            modal.secret_create(secret, values, profile);
            host.info("Updated secret " + secret + (profile.empty() ? "" : " (profile " + profile + ")") +
                      "; the running container picks it up at its next start (" + str_of(s, "app_name") + ").\n");
        } catch (const mgpux::Error& e) {
            if (e.code() == MGPUX_E_CANCELLED) throw;
            // The key store is already updated: the secret can be brought up to date by deploying again.
            host.warn("Could not update secret " + secret + "; run `m-gpux serve deploy` again to refresh it.\n");
        }
    }
}

ApiKey make_key(const std::string& name) {
    ApiKey k;
    k.name = name;
    k.key = key_from_bytes(random_bytes(24));
    k.created = now_local_iso();
    k.active = true;
    k.raw = Json::object();
    return k;
}

// ---------------------------------------------------------------- keys

int keys_create(mgpux::Host& host, const mgpux::Args& args) {
    const std::string name = args.has("name") ? args.str("name") : host.ask("Key name (e.g. dev, production, team-a)",
                                                                           "default", "--name");
    validate_key_name(name);
    if (find_key(read_keys(host), name) >= 0)
        throw mgpux::Error(MGPUX_E_FAILED, "a key named " + Json(name).dump() + " already exists (rotate it instead)");
    if (dry_run(args)) {
        host.info("dry run: would create key " + Json(name).dump() + "\n");
        if (json_out(args)) host.json(Json::object());
        return MGPUX_OK;
    }
    ApiKey created;
    const auto keys = edit_keys(host, [&](std::vector<ApiKey>& ks) {
        if (find_key(ks, name) >= 0)
            throw mgpux::Error(MGPUX_E_FAILED, "a key named " + Json(name).dump() + " already exists");
        created = make_key(name);
        ks.push_back(created);
        return true;
    });
    if (json_out(args)) {
        host.json(key_json(created, true));
    } else {
        host.success("Created API key " + name + ":\n");
        host.text("  " + created.key + "\n");
        host.info("Keep it secret; `m-gpux serve keys show " + name + "` prints it again.\n");
    }
    sync_deployments(host, args, keys);
    return MGPUX_OK;
}

int keys_list(mgpux::Host& host, const mgpux::Args& args) {
    const auto keys = read_keys(host);
    if (json_out(args)) {
        Json arr = Json::array();
        for (const auto& k : keys) arr.push(key_json(k, false));
        host.json(arr);
        return MGPUX_OK;
    }
    if (keys.empty()) {
        host.warn("No API keys yet. Create one with `m-gpux serve keys create`.\n");
        return MGPUX_OK;
    }
    std::vector<std::vector<Json>> rows;
    for (const auto& k : keys)
        rows.push_back({k.name, mask_key(k.key), k.created.substr(0, 19), k.active ? "Active" : "Revoked"});
    host.table({"Name", "Key", "Created", "Status"}, rows, "M-GPUX API Keys");
    return MGPUX_OK;
}

int keys_show(mgpux::Host& host, const mgpux::Args& args) {
    const std::string name = args.str("name");
    const auto keys = read_keys(host);
    const int i = find_key(keys, name, true);
    if (i < 0) throw mgpux::Error(MGPUX_E_FAILED, "no API key named " + Json(name).dump());
    if (json_out(args)) host.json(key_json(keys[static_cast<std::size_t>(i)], true));
    else host.text(name + ": " + keys[static_cast<std::size_t>(i)].key + "\n");
    return MGPUX_OK;
}

int keys_revoke(mgpux::Host& host, const mgpux::Args& args) {
    const std::string name = args.str("name");
    if (find_key(read_keys(host), name) < 0) throw mgpux::Error(MGPUX_E_FAILED, "no API key named " + Json(name).dump());
    if (!host.confirm("Revoke API key " + name + "? Clients using it will be refused.", false, "--yes", true))
        throw mgpux::Error(MGPUX_E_CANCELLED, "not revoked");
    if (dry_run(args)) {
        host.info("dry run: would revoke key " + Json(name).dump() + "\n");
        if (json_out(args)) host.json(Json::object());
        return MGPUX_OK;
    }
    int changed = 0;
    const auto keys = edit_keys(host, [&](std::vector<ApiKey>& ks) {
        for (auto& k : ks)
            if (k.name == name && k.active) k.active = false, ++changed;
        return changed > 0;
    });
    if (json_out(args)) {
        Json o = Json::object();
        o.set("name", name);
        o.set("revoked", changed);
        host.json(o);
    } else if (changed == 0) {
        host.warn("Key " + name + " was already revoked.\n");
    } else {
        host.success("Revoked API key " + name + ".\n");
    }
    if (changed > 0) sync_deployments(host, args, keys);
    return MGPUX_OK;
}

int keys_rotate(mgpux::Host& host, const mgpux::Args& args) {
    const std::string name = args.str("name");
    const auto before = read_keys(host);
    const int i = find_key(before, name, true);
    if (i < 0) throw mgpux::Error(MGPUX_E_FAILED, "no API key named " + Json(name).dump());
    if (!before[static_cast<std::size_t>(i)].active)
        throw mgpux::Error(MGPUX_E_FAILED, "key " + name + " is revoked; create a new one instead");
    if (!host.confirm("Give API key " + name + " a new value? The old value stops working.", false, "--yes", true))
        throw mgpux::Error(MGPUX_E_CANCELLED, "not rotated");
    if (dry_run(args)) {
        host.info("dry run: would rotate key " + Json(name).dump() + "\n");
        if (json_out(args)) host.json(Json::object());
        return MGPUX_OK;
    }
    ApiKey rotated;
    const auto keys = edit_keys(host, [&](std::vector<ApiKey>& ks) {
        const int j = find_key(ks, name, true);
        if (j < 0 || !ks[static_cast<std::size_t>(j)].active)
            throw mgpux::Error(MGPUX_E_FAILED, "no active API key named " + Json(name).dump());
        auto& k = ks[static_cast<std::size_t>(j)];
        k.key = make_key(name).key;
        k.created = now_local_iso();
        rotated = k;
        return true;
    });
    if (json_out(args)) {
        host.json(key_json(rotated, true));
    } else {
        host.success("New value of API key " + name + ":\n");
        host.text("  " + rotated.key + "\n");
    }
    sync_deployments(host, args, keys);
    return MGPUX_OK;
}

// ---------------------------------------------------------------- proxy

namespace {

std::string proxy_script(const mgpux::Host& host) {
    const Json info = host.hostinfo();
    const Json* dirs = info.find("directories");
    const Json* tdirs = dirs ? dirs->find("template_dirs") : nullptr;
    if (tdirs && tdirs->is_array())
        for (const Json& d : tdirs->as_array()) {  // the user override directory comes first
            if (!d.is_string()) continue;
            const fs::path p = fs::path(d.as_string()) / "serve" / "proxy.py";
            std::error_code ec;
            if (fs::is_regular_file(p, ec)) return p.string();
        }
    throw mgpux::Error(MGPUX_E_CONFIG, "serve/proxy.py was not found in the template directories (is m-gpux installed?)");
}

std::string state_dir(const mgpux::Host& host) {
    const Json info = host.hostinfo();
    const Json* dirs = info.find("directories");
    return dirs ? str_of(*dirs, "state_dir") : std::string();
}

}  // namespace

int proxy(mgpux::Host& host, const mgpux::Args& args) {
    const std::string upstream = normalize_url(args.str("upstream"), "--upstream");
    const long long port = args.integer("port", 8000), inflight = args.integer("max-inflight", 64);
    if (port < 0 || port > 65535) throw mgpux::usage_error("--port: " + std::to_string(port) + " is not a port");
    if (inflight < 1 || inflight > 10000) throw mgpux::usage_error("--max-inflight: 1..10000");
    std::string keys_file = args.str("keys-file");
    if (keys_file.empty()) {
        if (active_keys(read_keys(host)).empty())
            throw mgpux::usage_error("no active API key: create one with `m-gpux serve keys create` or pass --keys-file");
        keys_file = (fs::path(state_dir(host)) / "api_keys.json").string();
    } else {
        std::error_code ec;
        if (!fs::is_regular_file(keys_file, ec)) throw mgpux::usage_error("--keys-file: no such file: " + keys_file);
    }
    Json a = Json::array();
    for (const std::string& w : {proxy_script(host), std::string("--upstream"), upstream, std::string("--host"),
                                 args.str("host", "127.0.0.1"), std::string("--port"), std::to_string(port),
                                 std::string("--max-inflight"), std::to_string(inflight), std::string("--keys-file"),
                                 keys_file})
        a.push(w);
    if (args.flag("docs")) a.push("--docs");
    if (dry_run(args)) {
        std::string line = "python3";
        for (const Json& w : a.as_array()) line += " " + w.as_string();
        host.text("dry run: would run " + line + "\n");
        return MGPUX_OK;
    }
    Json req = Json::object();
    req.set("program", "python3");
    req.set("args", a);
    req.set("output", "watch");  // the host forwards Ctrl-C and keeps the READY line visible
    const Json r = mgpux::Process(host).run(req);
    const Json* code = r.find("exit_code");
    if (const Json* i = r.find("interrupted"); i && i->is_bool() && i->as_bool()) return MGPUX_OK;
    const long long rc = code && code->is_number() ? code->as_int() : 1;
    if (rc != 0) throw mgpux::Error(rc == 2 ? MGPUX_E_USAGE : MGPUX_E_FAILED, "the proxy exited with code " + std::to_string(rc));
    return MGPUX_OK;
}

// ---------------------------------------------------------------- endpoint and key

std::string client_key(const mgpux::Host& host, const mgpux::Args& args) {
    if (const char* env = std::getenv("MGPUX_API_KEY"); env && *env) return env;
    const auto keys = read_keys(host);
    if (args.has("key")) {
        const int i = find_key(keys, args.str("key"), true);
        if (i < 0 || !keys[static_cast<std::size_t>(i)].active)
            throw mgpux::usage_error("--key: no active API key named " + Json(args.str("key")).dump());
        return keys[static_cast<std::size_t>(i)].key;
    }
    const auto active = active_keys(keys);
    if (active.empty())
        throw mgpux::usage_error("no API key to send: set MGPUX_API_KEY, pass --key, or `m-gpux serve keys create`");
    return active.front()->key;
}

std::string endpoint_url(const mgpux::Host& host, const mgpux::Args& args) {
    if (args.has("url")) return normalize_url(args.str("url"), "--url");
    const std::string app = app_name_for(args.str("name"));
    const std::string profile = mgpux::Profiles(host).resolve();
    std::string found;
    // The newest recorded deployment of this app, in this profile when one is named.
    for (const Json& s : serve_sessions(host)) {
        if (str_of(s, "app_name") != app || str_of(s, "url").empty()) continue;
        const std::string p = str_of(s, "profile");
        if (!profile.empty() && !p.empty() && p != profile) continue;
        found = str_of(s, "url");
    }
    if (!found.empty()) return normalize_url(found, "the recorded URL");
    return normalize_url(host.ask("Endpoint base URL (https://<workspace>--" + app + "-serve.modal.run)", nullptr, "--url"),
                         "--url");
}

}  // namespace serve
