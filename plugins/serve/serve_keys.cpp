// SPDX-License-Identifier: MIT
// The API key store commands (`serve keys ...`) and the helpers the other
// serve commands share.
#include "serve_commands.hpp"

#include <cstdlib>
#include <functional>
#include <set>

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

// The serve deployments recorded by deploy that are not known stopped.
std::vector<mgpux::SessionRecord> serve_sessions(const mgpux::Host& host) {
    std::vector<mgpux::SessionRecord> out;
    for (auto& s : mgpux::State(host).sessions())
        if (s.kind == "serve" && s.state != "stopped") out.push_back(std::move(s));
    return out;
}

// Re-creates the keys secret of every recorded deployment whose secret
// still exists, so its next container start sees the change.
void sync_deployments(const mgpux::Host& host, const mgpux::Args& args, const std::vector<ApiKey>& keys) {
    std::set<std::pair<std::string, std::string>> done;
    const mgpux::Modal modal(host);
    for (const auto& s : serve_sessions(host)) {
        const std::string secret = s.extra.string_or("keys_secret");  // serve's own member
        const std::string profile = s.profile.value_or("");
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
                for (const Json& r : rows->as_array()) exists = exists || r.string_or("name") == secret;
            if (!exists) continue;
            Json values = Json::object();
            values.set("MGPUX_KEY_HASHES", key_hashes(keys));
            modal.secret_create(secret, values, profile);
            host.info("Updated secret " + secret + (profile.empty() ? "" : " (profile " + profile + ")") +
                      "; the running container picks it up at its next start (" + s.app_name.value_or("") + ").\n");
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
    const std::string name =
        args.has("name") ? args.str("name") : host.ask("Key name (e.g. dev, production, team-a)", "default", "--name");
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
        Json doc = Json::object();
        doc.set("keys", arr);
        host.json(doc);
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
    if (find_key(read_keys(host), name) < 0)
        throw mgpux::Error(MGPUX_E_FAILED, "no API key named " + Json(name).dump());
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
    for (const auto& s : serve_sessions(host)) {
        if (s.app_name != app || s.url.value_or("").empty()) continue;
        const std::string p = s.profile.value_or("");
        if (!profile.empty() && !p.empty() && p != profile) continue;
        found = *s.url;
    }
    if (!found.empty()) return normalize_url(found, "the recorded URL");
    return normalize_url(
        host.ask("Endpoint base URL (https://<workspace>--" + app + "-serve.modal.run)", nullptr, "--url"), "--url");
}

}  // namespace serve
