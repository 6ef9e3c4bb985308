// SPDX-License-Identifier: MIT
#include "plugins/registry.hpp"

#include "plugins/load_check.hpp"
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
    env.check_executable = exe;
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
        if (st.st_mode & (S_IWGRP | S_IWOTH)) return p.string() + " is writable by group or others (chmod go-w it)";
        if (st.st_uid != 0 && st.st_uid != ::geteuid())
            return p.string() + " is owned by another user (uid " + std::to_string(st.st_uid) + ")";
    }
    return {};
}

bool is_reserved_id(const std::string& id) {
    return id == "plugins" || id == "commands" || id == "completion" || id == "help";
}

// The cache is keyed by absolute path, so a relative MGPUX_PLUGIN_PATH entry
// and its absolute spelling share one entry.
static fs::path cache_key_path(const fs::path& file) {
    std::error_code ec;
    fs::path abs = fs::absolute(file, ec);
    return ec ? file : abs.lexically_normal();
}

static Plugin skipped(const fs::path& file, const std::string& origin, const std::string& reason) {
    Plugin p;
    p.path = file;
    p.origin = origin;
    p.reason = reason;
    return p;
}

// One plugin file found in a search directory, and what is known of it
// before anything is loaded.
struct PluginRegistry::Candidate {
    fs::path file;
    std::string origin;
    fs::path key_path;                    // absolute: the cache's key
    std::optional<FileKey> key;           // taken before loading, so a file replaced meanwhile misses next time
    std::optional<Plugin> decided;        // not regular, refused, or taken from the cache
    std::optional<ChildVerdict> verdict;  // what a child process made of it
};

void PluginRegistry::discover(const DiscoveryEnv& env, const DebugSink& debug) {
    debug_ = debug;
    dirs_ = search_dirs(env);
    if (env.cache_file) {
        cache_.emplace(*env.cache_file, current_host_key());
        cache_->load(debug);
    }
    std::vector<Candidate> found = candidates(env);
    load_in_child_first(found, env);
    for (Candidate& c : found) add(std::make_unique<Plugin>(c.decided ? std::move(*c.decided) : load_and_cache(c)));
    if (cache_) cache_->save(debug);
}

std::vector<PluginRegistry::Candidate> PluginRegistry::candidates(const DiscoveryEnv& env) {
    std::vector<Candidate> found;
    for (const auto& dir : dirs_) {
        std::error_code ec;
        if (!fs::is_directory(dir.dir, ec)) {
            if (debug_) debug_("plugin dir " + dir.dir.string() + " (" + dir.origin + "): not present");
            continue;
        }
        if (debug_) debug_("plugin dir " + dir.dir.string() + " (" + dir.origin + ")");
        for (const auto& file : plugin_files(dir.dir)) {
            Candidate c{file, dir.origin, cache_key_path(file), std::nullopt, std::nullopt, std::nullopt};
            // These checks are never cached: a file made writable, or replaced by
            // a FIFO, since the last start is refused now. stat only, no open.
            std::string why = not_regular_reason(file);
            if (why.empty() && !env.allow_unsafe)
                if (std::string unsafe = unsafe_reason(file); !unsafe.empty()) why = "refused: " + unsafe;
            if (!why.empty()) {
                c.decided = skipped(file, dir.origin, why);
            } else if (cache_ && (c.key = file_key(c.key_path))) {
                if (std::optional<Plugin> hit = cache_->find(c.key_path, *c.key)) {
                    hit->path = file;
                    hit->origin = dir.origin;
                    c.decided = std::move(*hit);
                }
            }
            found.push_back(std::move(c));
        }
    }
    return found;
}

// Files the cache does not vouch for are loaded in one child process (a new
// one after each that dies) before this process opens them.
void PluginRegistry::load_in_child_first(std::vector<Candidate>& found, const DiscoveryEnv& env) {
    if (env.check_executable.empty()) return;
    std::vector<fs::path> files;
    std::vector<Candidate*> waiting;
    for (Candidate& c : found)
        if (!c.decided) {
            files.push_back(c.file);
            waiting.push_back(&c);
        }
    if (files.empty()) return;
    if (debug_) debug_("loading " + std::to_string(files.size()) + " new plugin file(s) in a child process first");
    std::vector<ChildVerdict> verdicts = load_in_child(env.check_executable, files, env.check_timeout_ms);
    for (std::size_t i = 0; i < waiting.size(); ++i) waiting[i]->verdict = std::move(verdicts[i]);
}

Plugin PluginRegistry::load_and_cache(Candidate& c) {
    Plugin loaded =
        c.verdict && !c.verdict->loaded ? skipped(c.file, c.origin, c.verdict->reason) : load_plugin(c.file, c.origin);
    if (!cache_) return loaded;
    // Only loaded plugins are cached, so a bad file is reported at every start.
    if (c.key && loaded.status == PluginStatus::Loaded) cache_->put(c.key_path, *c.key, loaded);
    else cache_->forget(c.key_path);
    return loaded;
}

void PluginRegistry::add(std::unique_ptr<Plugin> plugin) {
    if (plugin->status == PluginStatus::Loaded) {
        if (is_reserved_id(plugin->id)) {
            plugin->status = PluginStatus::Shadowed;
            plugin->reason = "id '" + plugin->id + "' belongs to a built-in command";
        } else if (const Plugin* first = find(plugin->id)) {
            plugin->status = PluginStatus::Shadowed;
            plugin->reason = "shadowed by " + first->path.string();
        }
    }
    if (debug_)
        debug_("  " + plugin->path.filename().string() + ": " + status_name(plugin->status) +
               (plugin->cached ? " from cache" : "") + (plugin->reason.empty() ? "" : " (" + plugin->reason + ")"));
    plugins_.push_back(std::move(plugin));
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
