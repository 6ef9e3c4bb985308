#include "plugins/registry.hpp"

#include "util/paths.hpp"

#include <algorithm>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/auxv.h>
#endif

#ifndef MGPUX_PLUGIN_RELDIR
#define MGPUX_PLUGIN_RELDIR "../lib/m-gpux/plugins"
#endif

namespace mgpux::plugins {

namespace fs = std::filesystem;

const char* status_name(PluginStatus s) {
    switch (s) {
        case PluginStatus::Loaded: return "loaded";
        case PluginStatus::Skipped: return "skipped";
        case PluginStatus::Shadowed: return "shadowed";
    }
    return "skipped";
}

std::string plugin_file_name(const std::string& id) {
#if defined(_WIN32)
    return "mgpux-" + id + ".dll";
#elif defined(__APPLE__)
    return "mgpux-" + id + ".dylib";
#else
    return "mgpux-" + id + ".so";
#endif
}

static bool has_plugin_suffix(const std::string& name) {
    const std::string suffix = plugin_file_name("").substr(6);  // ".so"
    return name.size() > 6 + suffix.size() && name.rfind("mgpux-", 0) == 0 &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A setuid/setgid process does not trust its environment, so it neither
// reads nor writes a cache found through $XDG_CACHE_HOME or $HOME.
static bool setuid_process() {
#if defined(__linux__)
    return ::getauxval(AT_SECURE) != 0;
#else
    return ::getuid() != ::geteuid() || ::getgid() != ::getegid();
#endif
}

DiscoveryEnv DiscoveryEnv::from_environment() {
    DiscoveryEnv env;
    // secure_env: ignored in a setuid/setgid process.
    env.plugin_path = util::secure_env("MGPUX_PLUGIN_PATH");
    env.add_plugin_path = util::secure_env("MGPUX_ADD_PLUGIN_PATH");
    fs::path data_home = util::secure_env("XDG_DATA_HOME").value_or("");
    if (data_home.empty() || !data_home.is_absolute()) data_home = util::home_dir() / ".local/share";
    env.user_dir = data_home / "m-gpux" / "plugins";
    fs::path exe = util::executable_path();
    env.system_dir = (exe.parent_path() / MGPUX_PLUGIN_RELDIR).lexically_normal();
    env.allow_unsafe = util::secure_env("MGPUX_ALLOW_UNSAFE_PLUGINS").value_or("") == "1";
    if (util::env("MGPUX_NO_PLUGIN_CACHE").value_or("") != "1" && !setuid_process())
        env.cache_file = util::xdg_dir("XDG_CACHE_HOME", ".cache") / "m-gpux" / "plugins.json";
    return env;
}

std::vector<PluginDir> search_dirs(const DiscoveryEnv& env) {
    std::vector<PluginDir> dirs;
    if (env.plugin_path) {
        for (const auto& d : util::split_path_list(*env.plugin_path)) dirs.push_back({d, "MGPUX_PLUGIN_PATH"});
        return dirs;
    }
    if (env.add_plugin_path)
        for (const auto& d : util::split_path_list(*env.add_plugin_path)) dirs.push_back({d, "MGPUX_ADD_PLUGIN_PATH"});
    dirs.push_back({env.user_dir, "user"});
    dirs.push_back({env.system_dir, "system"});
    return dirs;
}

std::vector<fs::path> plugin_files(const fs::path& dir) {
    std::vector<fs::path> files;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (has_plugin_suffix(name)) files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

std::string unsafe_reason(const fs::path& file) {
    for (const fs::path& p : {file, file.parent_path()}) {
        struct stat st {};
        if (::stat(p.c_str(), &st) != 0) continue;
        if (st.st_mode & (S_IWGRP | S_IWOTH))
            return p.string() + " is writable by group or others (chmod go-w it)";
        if (st.st_uid != 0 && st.st_uid != ::geteuid())
            return p.string() + " is owned by another user (uid " + std::to_string(st.st_uid) + ")";
    }
    return {};
}

bool is_reserved_id(const std::string& id) {
    return id == "plugins" || id == "commands" || id == "completion" || id == "help";
}

void PluginRegistry::discover(const DiscoveryEnv& env, const DebugSink& debug) {
    debug_ = debug;
    dirs_ = search_dirs(env);
    if (env.cache_file) {
        cache_.emplace(*env.cache_file, current_host_key());
        cache_->load(debug);
    }
    for (const auto& dir : dirs_) {
        std::error_code ec;
        if (!fs::is_directory(dir.dir, ec)) {
            if (debug) debug("plugin dir " + dir.dir.string() + " (" + dir.origin + "): not present");
            continue;
        }
        if (debug) debug("plugin dir " + dir.dir.string() + " (" + dir.origin + ")");
        for (const auto& file : plugin_files(dir.dir)) {
            // The permission check is never cached: a file or directory made
            // writable since the last start must be refused now.
            std::string unsafe = env.allow_unsafe ? std::string() : unsafe_reason(file);
            std::unique_ptr<Plugin> plugin;
            if (!unsafe.empty()) {
                plugin = std::make_unique<Plugin>();
                plugin->path = file;
                plugin->origin = dir.origin;
                plugin->reason = "refused: " + unsafe;
            } else {
                plugin = std::make_unique<Plugin>(cached_or_loaded(file, dir.origin));
            }
            if (plugin->status == PluginStatus::Loaded) {
                if (is_reserved_id(plugin->id)) {
                    plugin->status = PluginStatus::Shadowed;
                    plugin->reason = "id '" + plugin->id + "' belongs to a built-in command";
                } else if (const Plugin* first = find(plugin->id)) {
                    plugin->status = PluginStatus::Shadowed;
                    plugin->reason = "shadowed by " + first->path.string();
                }
            }
            if (debug)
                debug("  " + file.filename().string() + ": " + status_name(plugin->status) +
                      (plugin->cached ? " from cache" : "") +
                      (plugin->reason.empty() ? "" : " (" + plugin->reason + ")"));
            plugins_.push_back(std::move(plugin));
        }
    }
    if (cache_) cache_->save(debug);
}

// The cache is keyed by absolute path, so a relative MGPUX_PLUGIN_PATH entry
// and its absolute spelling share one entry.
static fs::path cache_key_path(const fs::path& file) {
    std::error_code ec;
    fs::path abs = fs::absolute(file, ec);
    return ec ? file : abs.lexically_normal();
}

Plugin PluginRegistry::cached_or_loaded(const fs::path& file, const std::string& origin) {
    if (!cache_) return load_plugin(file, origin);
    const fs::path key_path = cache_key_path(file);
    // Taken before loading: a file replaced while it loads fails the next lookup.
    const std::optional<FileKey> key = file_key(key_path);
    if (key) {
        if (std::optional<Plugin> hit = cache_->find(key_path, *key)) {
            hit->path = file;
            hit->origin = origin;
            return std::move(*hit);
        }
    }
    Plugin loaded = load_plugin(file, origin);
    // Only loaded plugins are cached, so a bad file is reported at every start.
    if (key && loaded.status == PluginStatus::Loaded) cache_->put(key_path, *key, loaded);
    else cache_->forget(key_path);
    return loaded;
}

std::string PluginRegistry::ensure_loaded(const Plugin& plugin) {
    for (auto& p : plugins_) {
        if (p.get() != &plugin) continue;
        std::string why = plugins::ensure_loaded(*p);
        if (!why.empty() && cache_) {
            cache_->forget(cache_key_path(p->path));
            cache_->save(debug_);
        }
        return why;
    }
    return "plugin " + plugin.path.string() + " is not in the registry";
}

const Plugin* PluginRegistry::find(const std::string& id) const {
    for (const auto& p : plugins_)
        if (p->status == PluginStatus::Loaded && p->id == id) return p.get();
    return nullptr;
}

}  // namespace mgpux::plugins
