// SPDX-License-Identifier: MIT
// The plugin metadata cache: one JSON file, keyed as a whole by the host and
// per entry by the plugin file's stat key. Anything doubtful is dropped: the
// worst a lost cache costs is one start-up that opens every plugin again.
#include "plugins/cache.hpp"

#include "plugins/registry.hpp"
#include "util/atomic_file.hpp"
#include "util/paths.hpp"

#include "mgpux/plugin.h"

#include <boost/json.hpp>

#include <map>
#include <stdexcept>
#include <sys/stat.h>

#ifndef MGPUX_VERSION
#define MGPUX_VERSION "0.0.0"
#endif

namespace mgpux::plugins {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

// Bumped when the layout of the file changes.
constexpr std::int64_t kFormat = 1;

struct BadEntry : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::int64_t nanoseconds(const timespec& t) { return static_cast<std::int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec; }

// ------------------------------------------------------------- writing

json::value optional_text(const std::optional<std::string>& s) { return s ? json::value(*s) : json::value(nullptr); }

json::array string_array(const std::vector<std::string>& items) {
    json::array a;
    for (const auto& s : items) a.emplace_back(s);
    return a;
}

// Option flags as one number in the file: the cache holds a few hundred
// options, and an array of nine members parses much faster than an object.
constexpr std::int64_t kRepeatable = 1, kNegatable = 2, kRequired = 4, kHidden = 8, kPositional = 16;

std::int64_t option_flags(const cli::OptionSpec& o) {
    return (o.repeatable ? kRepeatable : 0) | (o.negatable ? kNegatable : 0) | (o.required ? kRequired : 0) |
           (o.hidden ? kHidden : 0) | (o.positional ? kPositional : 0);
}

// [name, short alias ("" for none), type, flags, metavar, help, default or
// null, [choices], exclusive group]
json::array option_json(const cli::OptionSpec& o) {
    return json::array{o.name,
                       o.short_alias ? std::string(1, o.short_alias) : std::string(),
                       cli::option_type_name(o.type),
                       option_flags(o),
                       o.metavar,
                       o.help,
                       optional_text(o.default_value),
                       string_array(o.choices),
                       o.exclusive_group};
}

json::object command_json(const cli::CommandSpec& c) {
    json::object j;
    j["path"] = string_array(c.path);
    j["summary"] = c.summary;
    j["help"] = c.help;
    json::array options;
    for (const auto& o : c.options) options.push_back(option_json(o));
    j["options"] = std::move(options);
    j["destructive"] = c.destructive;
    j["interactive"] = c.interactive;
    j["json"] = c.json;
    j["trailing_name"] = c.trailing_name;
    return j;
}

json::object host_json(const HostKey& h) {
    json::object j;
    j["format"] = kFormat;
    j["version"] = h.version;
    j["executable_size"] = h.executable_size;
    j["executable_mtime_ns"] = h.executable_mtime_ns;
    j["abi_major"] = h.abi_major;
    j["abi_minor"] = h.abi_minor;
    return j;
}

// ------------------------------------------------------------- reading
// Every reader throws BadEntry on a missing member or a wrong type.

const json::value& member(const json::object& o, const char* name) {
    const json::value* v = o.if_contains(name);
    if (!v) throw BadEntry(std::string("no member '") + name + "'");
    return *v;
}

const json::object& object_of(const json::value& v, const char* what) {
    if (!v.is_object()) throw BadEntry(std::string(what) + " is not an object");
    return v.get_object();
}

const json::array& array_member(const json::object& o, const char* name) {
    const json::value& v = member(o, name);
    if (!v.is_array()) throw BadEntry(std::string("'") + name + "' is not an array");
    return v.get_array();
}

std::string text_member(const json::object& o, const char* name) {
    const json::value& v = member(o, name);
    if (!v.is_string()) throw BadEntry(std::string("'") + name + "' is not a string");
    return std::string(v.get_string());
}

bool bool_member(const json::object& o, const char* name) {
    const json::value& v = member(o, name);
    if (!v.is_bool()) throw BadEntry(std::string("'") + name + "' is not a boolean");
    return v.get_bool();
}

std::int64_t int_member(const json::object& o, const char* name) {
    const json::value& v = member(o, name);
    if (v.is_int64()) return v.get_int64();
    if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        return static_cast<std::int64_t>(v.get_uint64());
    throw BadEntry(std::string("'") + name + "' is not an integer");
}

std::uint64_t uint_member(const json::object& o, const char* name) {
    const json::value& v = member(o, name);
    if (v.is_uint64()) return v.get_uint64();
    if (v.is_int64() && v.get_int64() >= 0) return static_cast<std::uint64_t>(v.get_int64());
    throw BadEntry(std::string("'") + name + "' is not an unsigned integer");
}

int small_int_member(const json::object& o, const char* name) {
    const std::int64_t n = int_member(o, name);
    if (n < 0 || n > 0xffff) throw BadEntry(std::string("'") + name + "' is out of range");
    return static_cast<int>(n);
}

cli::OptionType option_type_named(const std::string& name) {
    using T = cli::OptionType;
    for (T t : {T::String, T::Int, T::Float, T::Bool, T::Path, T::Choice})
        if (name == cli::option_type_name(t)) return t;
    throw BadEntry("unknown option type '" + name + "'");
}

std::string text_of(const json::value& v, const char* what) {
    if (!v.is_string()) throw BadEntry(std::string(what) + " is not a string");
    return std::string(v.get_string());
}

std::vector<std::string> strings_of(const json::value& v, const char* what) {
    if (!v.is_array()) throw BadEntry(std::string(what) + " is not an array");
    std::vector<std::string> out;
    out.reserve(v.get_array().size());
    for (const auto& item : v.get_array()) out.push_back(text_of(item, what));
    return out;
}

cli::OptionSpec read_option(const json::value& v) {
    if (!v.is_array() || v.get_array().size() != 9) throw BadEntry("an option is not an array of 9 members");
    const json::array& a = v.get_array();
    cli::OptionSpec o;
    o.name = text_of(a[0], "an option name");
    const std::string alias = text_of(a[1], "a short alias");
    if (alias.size() > 1) throw BadEntry("short alias '" + alias + "' is longer than one letter");
    o.short_alias = alias.empty() ? 0 : alias[0];
    o.type = option_type_named(text_of(a[2], "an option type"));
    if (!a[3].is_int64() || a[3].get_int64() < 0 || a[3].get_int64() > 31)
        throw BadEntry("option '" + o.name + "' has invalid flags");
    const std::int64_t flags = a[3].get_int64();
    o.repeatable = flags & kRepeatable;
    o.negatable = flags & kNegatable;
    o.required = flags & kRequired;
    o.hidden = flags & kHidden;
    o.positional = flags & kPositional;
    o.metavar = text_of(a[4], "a metavar");
    o.help = text_of(a[5], "an option help");
    if (a[6].is_string()) o.default_value = std::string(a[6].get_string());
    else if (!a[6].is_null()) throw BadEntry("option '" + o.name + "' has a default that is neither a string nor null");
    o.choices = strings_of(a[7], "choices");
    o.exclusive_group = text_of(a[8], "an exclusive group");
    return o;
}

cli::CommandSpec read_command(const json::object& j) {
    cli::CommandSpec c;
    c.path = strings_of(member(j, "path"), "a command path");
    c.summary = text_member(j, "summary");
    c.help = text_member(j, "help");
    const json::array& options = array_member(j, "options");
    c.options.reserve(options.size());
    for (const auto& o : options) c.options.push_back(read_option(o));
    c.destructive = bool_member(j, "destructive");
    c.interactive = bool_member(j, "interactive");
    c.json = bool_member(j, "json");
    c.trailing_name = text_member(j, "trailing_name");
    return c;
}

Plugin read_metadata(const json::object& j) {
    Plugin p;
    p.id = text_member(j, "id");
    p.version = text_member(j, "version");
    p.summary = text_member(j, "summary");
    p.panel = text_member(j, "panel");
    p.abi_major = small_int_member(j, "abi_major");
    p.abi_minor = small_int_member(j, "abi_minor");
    const std::int64_t size = int_member(j, "descriptor_size");
    if (size <= 0 || size > UINT32_MAX) throw BadEntry("'descriptor_size' is out of range");
    p.descriptor_size = static_cast<std::uint32_t>(size);
    for (const auto& c : array_member(j, "commands")) p.commands.push_back(read_command(object_of(c, "a command")));
    return p;
}

FileKey read_file_key(const json::object& j) {
    FileKey k;
    k.size = uint_member(j, "size");
    k.mtime_ns = int_member(j, "mtime_ns");
    k.ctime_ns = int_member(j, "ctime_ns");
    k.inode = uint_member(j, "inode");
    k.device = uint_member(j, "device");
    return k;
}

HostKey read_host_key(const json::object& j) {
    if (int_member(j, "format") != kFormat) throw BadEntry("written in another format");
    HostKey h;
    h.version = text_member(j, "version");
    h.executable_size = uint_member(j, "executable_size");
    h.executable_mtime_ns = int_member(j, "executable_mtime_ns");
    h.abi_major = small_int_member(j, "abi_major");
    h.abi_minor = small_int_member(j, "abi_minor");
    return h;
}

}  // namespace

std::optional<FileKey> file_key(const fs::path& file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) return std::nullopt;
    FileKey k;
    k.size = static_cast<std::uint64_t>(st.st_size);
    k.mtime_ns = nanoseconds(st.st_mtim);
    k.ctime_ns = nanoseconds(st.st_ctim);
    k.inode = static_cast<std::uint64_t>(st.st_ino);
    k.device = static_cast<std::uint64_t>(st.st_dev);
    return k;
}

HostKey current_host_key() {
    HostKey h;
    h.version = MGPUX_VERSION;
    if (auto exe = file_key(util::executable_path())) {
        h.executable_size = exe->size;
        h.executable_mtime_ns = exe->mtime_ns;
    }
    h.abi_major = MGPUX_ABI_MAJOR;
    h.abi_minor = MGPUX_ABI_MINOR;
    return h;
}

json::object metadata_json(const Plugin& p) {
    json::object j;
    j["id"] = p.id;
    j["version"] = p.version;
    j["summary"] = p.summary;
    j["panel"] = p.panel;
    j["abi_major"] = p.abi_major;
    j["abi_minor"] = p.abi_minor;
    j["descriptor_size"] = p.descriptor_size;
    json::array commands;
    for (const auto& c : p.commands) commands.push_back(command_json(c));
    j["commands"] = std::move(commands);
    return j;
}

bool same_metadata(const Plugin& a, const Plugin& b) { return metadata_json(a) == metadata_json(b); }

struct PluginCache::Entries {
    struct Entry {
        FileKey key;
        std::optional<Plugin> meta;  // validated at load; moved out by find()
        json::object stored;         // what save() writes back
        bool seen = false;           // looked up or put in this run
    };

    // The document read by load() lives in one arena: no allocation per
    // member, and nothing to free member by member (this runs at every start).
    std::unique_ptr<json::monotonic_resource> arena;
    std::map<std::string, Entry> by_path;

    void read(json::value& doc, const HostKey& host);
};

PluginCache::PluginCache(fs::path file, HostKey host)
    : file_(std::move(file)), host_(std::move(host)), entries_(std::make_unique<Entries>()) {}

std::size_t PluginCache::size() const { return entries_->by_path.size(); }

PluginCache::~PluginCache() = default;
PluginCache::PluginCache(PluginCache&&) noexcept = default;

void PluginCache::drop_all(const DebugSink& debug, const std::string& why) {
    if (debug) debug("plugin cache " + file_.string() + " ignored: " + why);
    entries_->by_path.clear();
    changed_ = true;
}

void PluginCache::load(const DebugSink& debug) {
    entries_->by_path.clear();
    changed_ = false;
    std::optional<std::string> text;
    try {
        text = util::read_file_if_exists(file_);
    } catch (const std::exception& e) {
        return drop_all(debug, e.what());
    }
    if (!text) {
        changed_ = true;  // written once, even with no plugins, so the next start finds it
        return;
    }
    entries_->arena = std::make_unique<json::monotonic_resource>(text->size() * 4);
    json::error_code ec;
    json::value doc = json::parse(*text, ec, json::storage_ptr(entries_->arena.get()));
    if (ec) return drop_all(debug, "does not parse: " + ec.message());
    try {
        entries_->read(doc, host_);
    } catch (const std::exception& e) {
        return drop_all(debug, e.what());
    }
}

void PluginCache::Entries::read(json::value& doc, const HostKey& host) {
    if (!doc.is_object()) throw BadEntry("the document is not an object");
    json::object& root = doc.get_object();
    if (read_host_key(object_of(member(root, "host"), "'host'")) != host)
        throw BadEntry("written by another m-gpux build or plugin ABI");
    json::value* list = root.if_contains("plugins");
    if (!list || !list->is_array()) throw BadEntry("'plugins' is not an array");
    for (json::value& item : list->get_array()) {
        if (!item.is_object()) throw BadEntry("an entry is not an object");
        json::object& j = item.get_object();
        const fs::path path = text_member(j, "path");
        if (!path.is_absolute()) throw BadEntry("path '" + path.string() + "' is not absolute");
        Entry entry{read_file_key(j), read_metadata(j), std::move(j)};
        entry.meta->path = path;
        if (std::string why = metadata_problem(*entry.meta); !why.empty()) throw BadEntry(path.string() + ": " + why);
        if (!by_path.emplace(path.string(), std::move(entry)).second)
            throw BadEntry(path.string() + " is listed twice");
    }
}

std::optional<Plugin> PluginCache::find(const fs::path& file, const FileKey& key) {
    auto it = entries_->by_path.find(file.string());
    if (it == entries_->by_path.end()) return std::nullopt;
    Entries::Entry& entry = it->second;
    entry.seen = true;
    if (!(entry.key == key)) return std::nullopt;
    // Each record is handed out once (moved, not copied); the rare second
    // lookup of one file reads it again from the stored JSON.
    Plugin p = entry.meta ? std::move(*entry.meta) : read_metadata(entry.stored);
    entry.meta.reset();
    p.status = PluginStatus::Loaded;
    p.cached = true;
    return p;
}

void PluginCache::put(const fs::path& file, const FileKey& key, const Plugin& loaded) {
    json::object stored = metadata_json(loaded);
    stored["path"] = file.string();
    stored["size"] = key.size;
    stored["mtime_ns"] = key.mtime_ns;
    stored["ctime_ns"] = key.ctime_ns;
    stored["inode"] = key.inode;
    stored["device"] = key.device;
    Entries::Entry entry{key, std::nullopt, std::move(stored), true};
    entries_->by_path.insert_or_assign(file.string(), std::move(entry));
    changed_ = true;
}

void PluginCache::forget(const fs::path& file) {
    if (entries_->by_path.erase(file.string())) changed_ = true;
}

std::string PluginCache::serialize() const {
    json::array plugins;
    for (const auto& [path, entry] : entries_->by_path) {
        // An entry this run did not look at (another plugin path setting) is
        // kept only while its file is still the one it describes.
        if (!entry.seen && file_key(path) != entry.key) continue;
        plugins.push_back(entry.stored);
    }
    json::object doc;
    doc["host"] = host_json(host_);
    doc["plugins"] = std::move(plugins);
    return json::serialize(doc) + "\n";
}

void PluginCache::save(const DebugSink& debug) {
    if (!changed_) return;
    try {
        util::ensure_private_dir(file_.parent_path());
        util::write_file_atomic(file_, serialize(), 0600);
        changed_ = false;
        if (debug) debug("plugin cache " + file_.string() + " written");
    } catch (const std::exception& e) {
        if (debug) debug("plugin cache " + file_.string() + " not written: " + e.what());
    }
}

}  // namespace mgpux::plugins
