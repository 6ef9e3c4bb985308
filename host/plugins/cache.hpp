// SPDX-License-Identifier: MIT
// A cache of the metadata of loaded plugins ($XDG_CACHE_HOME/m-gpux/plugins.json),
// so that parsing, --help and completion open no plugin library: dlopen with
// rtld_now of every plugin was most of the host's start-up time, and all
// those need is the command table. Only running a command opens its plugin.
#pragma once

#include "plugins/plugin.hpp"

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace mgpux::plugins {

// What identifies one version of a file. Any change means the file may have
// new content; ctime also catches an in-place write whose mtime was put back.
struct FileKey {
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;
    std::int64_t ctime_ns = 0;
    std::uint64_t inode = 0;
    std::uint64_t device = 0;
    bool operator==(const FileKey&) const = default;
};

// The key of `file` (following symlinks, as dlopen does), or nullopt when it
// cannot be stat'ed.
std::optional<FileKey> file_key(const std::filesystem::path& file);

// What the whole cache file is valid for: another host build or ABI may read
// descriptors differently, so its entries are not trusted.
struct HostKey {
    std::string version;
    std::uint64_t executable_size = 0;
    std::int64_t executable_mtime_ns = 0;
    int abi_major = 0;
    int abi_minor = 0;
    bool operator==(const HostKey&) const = default;
};

// This host: MGPUX_VERSION, the running executable's size and mtime (which
// change with every rebuild, git revision included), and MGPUX_ABI_MAJOR/MINOR.
HostKey current_host_key();

// A plugin's metadata (everything but path, origin, status and descriptor) as
// the cache stores it. Two records with equal JSON declare the same commands.
boost::json::object metadata_json(const Plugin& p);

// True when `a` and `b` have the same metadata (as metadata_json sees it).
bool same_metadata(const Plugin& a, const Plugin& b);

class PluginCache {
public:
    PluginCache(std::filesystem::path file, HostKey host);
    ~PluginCache();
    PluginCache(PluginCache&&) noexcept;

    // Reads the file. A missing file is an empty cache. A file that does not
    // parse, was written for another host, or holds any entry that does not
    // validate is dropped whole, never trusted in part, and rewritten by save().
    void load(const DebugSink& debug);

    // The record cached for `file` (an absolute path) when its key is still
    // `key`: status Loaded, cached, no descriptor; origin left empty.
    std::optional<Plugin> find(const std::filesystem::path& file, const FileKey& key);

    // Records a plugin loaded from `file`, as it was when `key` was taken
    // (before loading, so a file replaced meanwhile fails the next lookup).
    void put(const std::filesystem::path& file, const FileKey& key, const Plugin& loaded);
    void forget(const std::filesystem::path& file);

    bool changed() const { return changed_; }
    std::size_t size() const;
    const std::filesystem::path& file() const { return file_; }

    // Writes the file (0600, atomically, its directory made 0700) when
    // something changed; entries for files that are gone or changed and were
    // not looked up in this run are left out. A failure only goes to `debug`:
    // the cache is an optimisation and the command goes on without it.
    void save(const DebugSink& debug);

private:
    struct Entries;  // the entries by absolute path, and the JSON arena they were read into

    void drop_all(const DebugSink& debug, const std::string& why);
    std::string serialize() const;

    std::filesystem::path file_;
    HostKey host_;
    std::unique_ptr<Entries> entries_;
    bool changed_ = false;
};

}  // namespace mgpux::plugins
