// SPDX-License-Identifier: MIT
// Loading one plugin file: Boost.DLL with rtld_now, version negotiation and
// a defensive copy of the descriptor's command table into host types.
#include "plugins/registry.hpp"

#include "mgpux/plugin.h"

#define BOOST_DLL_USE_STD_FS
#include <boost/dll/shared_library.hpp>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <dlfcn.h>
#include <sys/stat.h>

namespace mgpux::plugins {

namespace fs = std::filesystem;

namespace {

// True when `field` of a struct of type T lies inside the first `size` bytes.
#define MGPUX_FIELD_PRESENT(T, size, field) (offsetof(T, field) + sizeof(((T*)nullptr)->field) <= (size))

struct LoadFailure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string text(const char* s) { return s ? std::string(s) : std::string(); }

// [a-z][a-z0-9-]* (or [a-z0-9][a-z0-9-]* when a leading digit is allowed).
// A plain loop: this runs for every option of every plugin at start-up.
bool is_name(const std::string& w, bool leading_digit_ok) {
    if (w.empty()) return false;
    const auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
    const auto digit = [](char c) { return c >= '0' && c <= '9'; };
    if (!lower(w[0]) && !(leading_digit_ok && digit(w[0]))) return false;
    for (char c : w)
        if (!lower(c) && !digit(c) && c != '-') return false;
    return true;
}

bool valid_word(const std::string& w) { return is_name(w, false); }

std::vector<std::string> split_words(const std::string& path) {
    std::vector<std::string> words;
    std::size_t start = 0;
    while (start < path.size()) {
        std::size_t end = path.find(' ', start);
        if (end == std::string::npos) end = path.size();
        if (end > start) words.push_back(path.substr(start, end - start));
        start = end + 1;
    }
    return words;
}

bool is_ascii_letter(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// The rules every option keeps, whether it was read from a descriptor or from
// the cache. `where` names the command.
void check_option(const cli::OptionSpec& o, const std::string& where) {
    if (!is_name(o.name, true)) throw LoadFailure(where + ": invalid option name '" + o.name + "'");
    const std::string at = where + " option '" + o.name + "'";
    if (o.short_alias != 0 && !is_ascii_letter(o.short_alias))
        throw LoadFailure(at + ": short alias must be an ASCII letter");
    if (o.type == cli::OptionType::Choice && o.choices.empty())
        throw LoadFailure(at + ": a choice option needs choices");
    if (o.negatable && o.type != cli::OptionType::Bool) throw LoadFailure(at + ": only a bool can be negatable");
    if (o.positional && (o.type == cli::OptionType::Bool || o.negatable || o.short_alias))
        throw LoadFailure(at + ": a positional cannot be a bool, negatable or have a short alias");
    if (!o.positional && cli::is_global_option_name(o.name))
        throw LoadFailure(at + ": redeclares the global option --" + o.name);
    if (o.negatable && cli::is_global_option_name("no-" + o.name))
        throw LoadFailure(at + ": --no-" + o.name + " redeclares a global option");
    if (o.short_alias && cli::is_global_short_alias(o.short_alias))
        throw LoadFailure(at + ": -" + std::string(1, o.short_alias) + " is a global option");
    if (o.metavar.empty()) throw LoadFailure(at + ": has no metavar");
}

// The rules a command keeps as a whole: its path, and options that do not
// clash with each other or with its trailing list.
void check_command(const cli::CommandSpec& c, const std::string& id, const std::string& where) {
    if (c.path.empty() || c.path.front() != id)
        throw LoadFailure(where + ": its path must start with the plugin id '" + id + "'");
    for (const auto& w : c.path)
        if (!valid_word(w)) throw LoadFailure(where + ": invalid word '" + w + "'");
    bool seen_repeatable_positional = false;
    for (std::size_t i = 0; i < c.options.size(); ++i) {
        const cli::OptionSpec& o = c.options[i];
        check_option(o, where);
        for (std::size_t j = 0; j < i; ++j) {
            const cli::OptionSpec& other = c.options[j];
            if (other.name == o.name) throw LoadFailure(where + ": option '" + o.name + "' declared twice");
            if (o.short_alias && other.short_alias == o.short_alias)
                throw LoadFailure(where + ": short alias -" + std::string(1, o.short_alias) + " used twice");
        }
        if (o.positional) {
            if (seen_repeatable_positional) throw LoadFailure(where + ": a repeatable positional must be the last one");
            seen_repeatable_positional = o.repeatable;
        }
    }
    if (!c.trailing_name.empty() && c.find_option(c.trailing_name))
        throw LoadFailure(where + ": trailing list name '" + c.trailing_name + "' clashes with an option");
}

void check_abi(int major, int minor) {
    if (major != MGPUX_ABI_MAJOR || minor > MGPUX_ABI_MINOR)
        throw LoadFailure("built for plugin ABI " + std::to_string(major) + "." + std::to_string(minor) +
                          ", this host provides " + std::to_string(MGPUX_ABI_MAJOR) + "." +
                          std::to_string(MGPUX_ABI_MINOR));
}

void check_id(const Plugin& p) {
    if (!valid_word(p.id)) throw LoadFailure("invalid plugin id '" + p.id + "'");
    const std::string expected = plugin_file_name(p.id);
    if (p.path.filename() != expected)
        throw LoadFailure("plugin id '" + p.id + "' does not match the file name (expected " + expected + ")");
}

void check_command_table(const Plugin& p) {
    for (std::size_t i = 0; i < p.commands.size(); ++i) {
        check_command(p.commands[i], p.id, "command '" + p.commands[i].path_string() + "'");
        for (std::size_t j = 0; j < i; ++j)
            if (p.commands[j].path == p.commands[i].path)
                throw LoadFailure("command '" + p.commands[i].path_string() + "' declared twice");
    }
    if (p.commands.empty()) throw LoadFailure("declares no commands");
}

// Converts one raw option; only what cannot be held in an OptionSpec is
// checked here, the rest by check_command.
cli::OptionSpec read_option(const mgpux_option* raw, const std::string& where) {
    const std::uint32_t size = raw->struct_size;
    if (!MGPUX_FIELD_PRESENT(mgpux_option, size, flags))
        throw LoadFailure(where + ": option struct_size " + std::to_string(size) + " is too small");
    cli::OptionSpec o;
    o.name = text(raw->name);
    if (!is_name(o.name, true)) throw LoadFailure(where + ": invalid option name '" + o.name + "'");
    const std::string at = where + " option '" + o.name + "'";
    if (raw->short_alias != 0) {
        if (!is_ascii_letter(raw->short_alias)) throw LoadFailure(at + ": short alias must be an ASCII letter");
        o.short_alias = static_cast<char>(raw->short_alias);
    }
    if (raw->type < MGPUX_OPT_STRING || raw->type > MGPUX_OPT_CHOICE)
        throw LoadFailure(at + ": unknown type " + std::to_string(raw->type));
    o.type = static_cast<cli::OptionType>(raw->type);
    o.repeatable = raw->flags & MGPUX_OPTF_REPEATABLE;
    o.negatable = raw->flags & MGPUX_OPTF_NEGATABLE;
    o.required = raw->flags & MGPUX_OPTF_REQUIRED;
    o.hidden = raw->flags & MGPUX_OPTF_HIDDEN;
    o.positional = raw->flags & MGPUX_OPTF_POSITIONAL;
    if (MGPUX_FIELD_PRESENT(mgpux_option, size, metavar)) o.metavar = text(raw->metavar);
    if (MGPUX_FIELD_PRESENT(mgpux_option, size, help)) o.help = text(raw->help);
    if (MGPUX_FIELD_PRESENT(mgpux_option, size, default_value) && raw->default_value)
        o.default_value = raw->default_value;
    if (MGPUX_FIELD_PRESENT(mgpux_option, size, choices) && raw->choices) {
        for (const char* const* c = raw->choices; *c; ++c) {
            o.choices.emplace_back(*c);
            if (o.choices.size() > 1000) throw LoadFailure(at + ": choices list is not NULL-terminated");
        }
    }
    if (MGPUX_FIELD_PRESENT(mgpux_option, size, exclusive_group)) o.exclusive_group = text(raw->exclusive_group);
    if (o.metavar.empty()) {
        o.metavar = o.name;
        for (auto& ch : o.metavar) ch = ch == '-' ? '_' : static_cast<char>(std::toupper(ch));
    }
    return o;
}

cli::CommandSpec read_command(const mgpux_command* raw, const std::string& id) {
    const std::uint32_t size = raw->struct_size;
    if (!MGPUX_FIELD_PRESENT(mgpux_command, size, option_count))
        throw LoadFailure("command struct_size " + std::to_string(size) + " is too small");
    cli::CommandSpec c;
    c.path = split_words(text(raw->path));
    const std::string where = "command '" + text(raw->path) + "'";
    c.summary = text(raw->summary);
    c.help = text(raw->help);
    if (MGPUX_FIELD_PRESENT(mgpux_command, size, flags)) {
        c.destructive = raw->flags & MGPUX_CMDF_DESTRUCTIVE;
        c.interactive = raw->flags & MGPUX_CMDF_INTERACTIVE;
        c.json = raw->flags & MGPUX_CMDF_JSON;
    }
    if (MGPUX_FIELD_PRESENT(mgpux_command, size, trailing_name)) c.trailing_name = text(raw->trailing_name);
    if (raw->option_count > 0 && !raw->options) throw LoadFailure(where + ": options is NULL");
    if (raw->option_count > 256) throw LoadFailure(where + ": too many options");
    // The array's stride is the plugin's sizeof(mgpux_option), read from the first entry.
    const auto* bytes = reinterpret_cast<const unsigned char*>(raw->options);
    const std::uint32_t stride = raw->option_count ? raw->options->struct_size : 0;
    for (std::uint32_t i = 0; i < raw->option_count; ++i) {
        const auto* opt = reinterpret_cast<const mgpux_option*>(bytes + std::size_t(i) * stride);
        if (opt->struct_size != stride) throw LoadFailure(where + ": options have different struct sizes");
        c.options.push_back(read_option(opt, where));
    }
    check_command(c, id, where);
    return c;
}

// Version 1.0 needs everything up to `run`; `shutdown` may be missing.
bool big_enough_for_abi_1_0(std::uint32_t size) { return MGPUX_FIELD_PRESENT(mgpux_plugin_descriptor, size, run); }

void read_descriptor(const mgpux_plugin_descriptor* d, Plugin& p) {
    const std::uint32_t size = d->struct_size;
    if (!MGPUX_FIELD_PRESENT(mgpux_plugin_descriptor, size, abi_minor))
        throw LoadFailure("descriptor struct_size " + std::to_string(size) + " is too small");
    p.abi_major = d->abi_major;
    p.abi_minor = d->abi_minor;
    check_abi(p.abi_major, p.abi_minor);
    if (!big_enough_for_abi_1_0(size))
        throw LoadFailure("descriptor struct_size " + std::to_string(size) + " is too small for ABI 1.0");
    p.id = text(d->id);
    check_id(p);
    p.version = text(d->version);
    p.summary = text(d->summary);
    p.panel = text(d->help_panel);
    if (!d->run) throw LoadFailure("descriptor has no run function");
    if (d->command_count > 0 && !d->commands) throw LoadFailure("commands is NULL");
    if (d->command_count > 1024) throw LoadFailure("too many commands");
    const auto* bytes = reinterpret_cast<const unsigned char*>(d->commands);
    const std::uint32_t stride = d->command_count ? d->commands->struct_size : 0;
    for (std::uint32_t i = 0; i < d->command_count; ++i) {
        const auto* cmd = reinterpret_cast<const mgpux_command*>(bytes + std::size_t(i) * stride);
        if (cmd->struct_size != stride) throw LoadFailure("commands have different struct sizes");
        cli::CommandSpec spec = read_command(cmd, p.id);
        for (const auto& other : p.commands)
            if (other.path == spec.path) throw LoadFailure("command '" + spec.path_string() + "' declared twice");
        p.commands.push_back(std::move(spec));
    }
    if (p.commands.empty()) throw LoadFailure("declares no commands");
    p.descriptor = d;
    p.descriptor_size = size;
}

// Libraries stay loaded until the process exits. They are
// kept reachable here, never destroyed, so no destructor unloads one early.
std::vector<boost::dll::shared_library*>& loaded_libraries() {
    static auto* libs = new std::vector<boost::dll::shared_library*>();
    return *libs;
}

// What differs between a cached record and what its library declares now.
std::string metadata_difference(const Plugin& cached, const Plugin& now) {
    if (cached.id != now.id) return "its id is now '" + now.id + "'";
    if (cached.version != now.version) return "its version is now " + now.version;
    if (cached.abi_major != now.abi_major || cached.abi_minor != now.abi_minor)
        return "its ABI is now " + std::to_string(now.abi_major) + "." + std::to_string(now.abi_minor);
    if (!same_metadata(cached, now)) return "its command table differs";
    return {};
}

}  // namespace

std::string metadata_problem(const Plugin& p) {
    try {
        check_abi(p.abi_major, p.abi_minor);
        if (!big_enough_for_abi_1_0(p.descriptor_size))
            throw LoadFailure("descriptor_size " + std::to_string(p.descriptor_size) + " is too small for ABI 1.0");
        check_id(p);
        check_command_table(p);
        return {};
    } catch (const LoadFailure& e) {
        return e.what();
    }
}

std::string ensure_loaded(Plugin& plugin) {
    if (plugin.descriptor) return {};
    const std::string file = plugin.path.string();
    Plugin now = load_plugin(plugin.path, plugin.origin);
    if (now.status != PluginStatus::Loaded)
        return "plugin " + file +
               " changed since m-gpux cached its commands and cannot be loaded any more: " + now.reason;
    if (std::string diff = metadata_difference(plugin, now); !diff.empty())
        return "plugin " + file + " changed since m-gpux cached its commands (" + diff +
               "); run the command again to use the new version";
    plugin.descriptor = now.descriptor;
    plugin.descriptor_size = now.descriptor_size;
    return {};
}

bool shutdown_plugin(const Plugin& plugin) {
    const mgpux_plugin_descriptor* d = plugin.descriptor;
    if (!d || !MGPUX_FIELD_PRESENT(mgpux_plugin_descriptor, plugin.descriptor_size, shutdown) || !d->shutdown)
        return true;
    try {
        d->shutdown();
        return true;
    } catch (...) {
        return false;
    }
}

std::string not_regular_reason(const fs::path& file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) return std::string("cannot be read: ") + std::strerror(errno);
    if (S_ISREG(st.st_mode)) return {};
    const char* what = S_ISFIFO(st.st_mode)                         ? "a FIFO"
                       : S_ISDIR(st.st_mode)                        ? "a directory"
                       : S_ISSOCK(st.st_mode)                       ? "a socket"
                       : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                                                                    : "not a file";
    return std::string("not a regular file (") + what + ")";
}

Plugin load_plugin(const fs::path& file, const std::string& origin) {
    Plugin p;
    p.path = file;
    p.origin = origin;
    try {
        // dlopen would block on a FIFO and map a device: only regular files.
        if (std::string why = not_regular_reason(file); !why.empty()) throw LoadFailure(why);
        auto* lib = new boost::dll::shared_library();
        boost::dll::fs::error_code ec;
        lib->load(file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
        if (ec) {
            delete lib;
            const char* why = ::dlerror();
            throw LoadFailure(std::string("cannot load: ") + (why ? why : ec.message()));
        }
        loaded_libraries().push_back(lib);
        if (!lib->has(MGPUX_ENTRY_SYMBOL)) throw LoadFailure("not an m-gpux plugin: no " MGPUX_ENTRY_SYMBOL " symbol");
        auto entry = lib->get<const mgpux_plugin_descriptor*()>(MGPUX_ENTRY_SYMBOL);
        const mgpux_plugin_descriptor* d = entry();
        if (!d) throw LoadFailure(MGPUX_ENTRY_SYMBOL " returned NULL");
        read_descriptor(d, p);
        p.status = PluginStatus::Loaded;
    } catch (const LoadFailure& e) {
        p.status = PluginStatus::Skipped;
        p.reason = e.what();
        p.commands.clear();
    } catch (const std::exception& e) {
        p.status = PluginStatus::Skipped;
        p.reason = std::string("cannot load: ") + e.what();
        p.commands.clear();
    } catch (...) {
        p.status = PluginStatus::Skipped;
        p.reason = "threw an unknown exception while loading";
        p.commands.clear();
    }
    return p;
}

}  // namespace mgpux::plugins
