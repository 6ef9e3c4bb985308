// SPDX-License-Identifier: MIT
#include "builtins/plugin_files.hpp"

#include "plugins/registry.hpp"
#include "services/console.hpp"
#include "services/prompts.hpp"

#include "mgpux/plugin.h"

#include <boost/json.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mgpux::builtins {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

// Why a command stops: its exit code and the message for the user.
struct Refusal {
    int code;
    std::string message;
};

std::string errno_text(int err) { return std::strerror(err); }

// An open file descriptor, closed on every path out.
class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

// A private directory for the copy being checked, removed with what is left in it.
class StagingDir {
public:
    explicit StagingDir(const fs::path& parent) {
        std::string templ = (parent / ".plugin-install-XXXXXX").string();
        if (!::mkdtemp(templ.data()))
            throw Refusal{MGPUX_E_FAILED,
                          "cannot create a staging directory in " + parent.string() + ": " + errno_text(errno)};
        dir_ = templ;
    }
    ~StagingDir() {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    StagingDir(const StagingDir&) = delete;
    StagingDir& operator=(const StagingDir&) = delete;
    const fs::path& path() const { return dir_; }

private:
    fs::path dir_;
};

bool named_like_a_plugin(const std::string& name) {
    const std::string suffix = plugins::plugin_file_name("");  // "mgpux-.so"
    const std::string ext = suffix.substr(6);
    return name.size() > suffix.size() && name.rfind("mgpux-", 0) == 0 &&
           name.compare(name.size() - ext.size(), ext.size(), ext) == 0;
}

// Opens the file to install without following a symlink, and refuses
// anything that is not a regular file only its owner can write. The copy is
// read from this descriptor, so what was checked is what gets copied.
int open_source(const std::string& file) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        if (err == ENOENT) throw Refusal{MGPUX_E_USAGE, "no such file: " + file};
        if (err == ELOOP)
            throw Refusal{MGPUX_E_FAILED,
                          "refusing to install " + file + ": it is a symbolic link; install the file it points to"};
        throw Refusal{MGPUX_E_FAILED, "cannot open " + file + ": " + errno_text(err)};
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw Refusal{MGPUX_E_FAILED, "refusing to install " + file + ": not a regular file"};
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        ::close(fd);
        throw Refusal{MGPUX_E_FAILED, "refusing to install " + file +
                                          ": it is writable by group or others, so it may not be what you built "
                                          "(chmod go-w it first)"};
    }
    return fd;
}

void copy_to(int from, const fs::path& to) {
    Fd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (out.get() < 0) throw Refusal{MGPUX_E_FAILED, "cannot create " + to.string() + ": " + errno_text(errno)};
    char buf[1 << 16];
    while (true) {
        const ssize_t n = ::read(from, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw Refusal{MGPUX_E_FAILED, "cannot read the plugin file: " + errno_text(errno)};
        if (n == 0) break;
        for (ssize_t done = 0; done < n;) {
            const ssize_t w = ::write(out.get(), buf + done, static_cast<std::size_t>(n - done));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) throw Refusal{MGPUX_E_FAILED, "cannot write " + to.string() + ": " + errno_text(errno)};
            done += w;
        }
    }
    if (::fchmod(out.get(), 0644) != 0 || ::fsync(out.get()) != 0)
        throw Refusal{MGPUX_E_FAILED, "cannot write " + to.string() + ": " + errno_text(errno)};
}

void fsync_dir(const fs::path& dir) {
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() >= 0) ::fsync(fd.get());
}

// Creates the user plugin directory (0755, as discovery wants it: writable by
// its owner only) and refuses one that discovery would not trust.
void prepare_user_dir(const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        fs::create_directories(dir, ec);
        if (ec) throw Refusal{MGPUX_E_FAILED, "cannot create " + dir.string() + ": " + ec.message()};
        ::chmod(dir.c_str(), 0755);
    }
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0 && (st.st_mode & (S_IWGRP | S_IWOTH)))
        throw Refusal{MGPUX_E_CONFIG, dir.string() +
                                          " is writable by group or others, so plugins in it are never loaded "
                                          "(chmod go-w it first)"};
}

std::string report_text(const json::object& report, const char* key) {
    const json::value* v = report.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// A fresh discovery, so the plugin cache learns of a plugin file that came
// (checked in a child process once more, as every new file is).
void refresh_plugin_cache() {
    plugins::PluginRegistry registry;
    registry.discover(plugins::DiscoveryEnv::from_environment(), {});
}

// The cache keeps an entry whose file is gone until something else changes;
// a removed plugin's entry goes at once.
void forget_in_plugin_cache(const fs::path& file) {
    const plugins::DiscoveryEnv env = plugins::DiscoveryEnv::from_environment();
    if (!env.cache_file) return;
    plugins::PluginCache cache(*env.cache_file, plugins::current_host_key());
    cache.load({});
    cache.forget(fs::absolute(file).lexically_normal());
    cache.save({});
}

void note_plugin_path(HostContext& ctx, const fs::path& user_dir) {
    if (plugins::DiscoveryEnv::from_environment().plugin_path)
        ctx.console->warning("MGPUX_PLUGIN_PATH is set, so " + user_dir.string() +
                             " is not searched while it is (unset it to use the plugins installed there)");
}

// The report of a plugin that may be installed, or a refusal saying why not.
json::object checked_report(HostContext& ctx, const fs::path& staged, const std::string& file, bool force,
                            const plugins::DiscoveryEnv& env) {
    json::object report;
    try {
        report = validation_report(ctx, staged);
    } catch (const std::exception& e) {
        throw Refusal{MGPUX_E_FAILED, e.what()};
    }
    const bool usable = report["usable"].is_bool() && report["usable"].get_bool();
    if (!usable) {
        std::string reason = report_text(report, "reason");
        for (std::size_t at; (at = reason.find(staged.string())) != std::string::npos;)
            reason.replace(at, staged.string().size(), file);
        throw Refusal{MGPUX_E_FAILED, "refusing to install " + file + ": " + reason};
    }
    const std::string id = report_text(report, "id");
    if (plugins::is_reserved_id(id))
        throw Refusal{MGPUX_E_FAILED, "refusing to install " + file + ": its id '" + id +
                                          "' belongs to a built-in command, so it would never load"};
    const fs::path system_file = env.system_dir / plugins::plugin_file_name(id);
    std::error_code ec;
    if (!force && fs::exists(system_file, ec))
        throw Refusal{MGPUX_E_FAILED, "refusing to install " + file + ": it would shadow the system plugin '" + id +
                                          "' (" + system_file.string() + "); pass --force to install it anyway"};
    return report;
}

// A plugin's own templates (<its directory>/<id>/templates, where the host
// looks for them) are copied beside it, into <staged id dir>/templates.
bool stage_templates(const fs::path& own_templates, const fs::path& staged_id_dir) {
    std::error_code ec;
    if (!fs::is_directory(own_templates, ec)) return false;
    fs::create_directory(staged_id_dir, ec);
    if (!ec) fs::copy(own_templates, staged_id_dir / "templates", fs::copy_options::recursive, ec);
    if (ec)
        throw Refusal{MGPUX_E_FAILED, "cannot copy the templates in " + own_templates.string() + ": " + ec.message()};
    return true;
}

// Renames the checked copy (and its templates) into the user directory. The
// template folder of an earlier copy goes first: what stays belongs to the new one.
void move_into_place(const fs::path& staging, const fs::path& staged, const std::string& id, bool has_templates,
                     const fs::path& user_dir) {
    const fs::path id_dir = user_dir / id;
    std::error_code ec;
    if (fs::exists(fs::symlink_status(id_dir, ec)) && ::rename(id_dir.c_str(), (staging / ".previous").c_str()) != 0)
        throw Refusal{MGPUX_E_FAILED, "cannot replace " + id_dir.string() + ": " + errno_text(errno)};
    if (has_templates && ::rename((staging / id).c_str(), id_dir.c_str()) != 0)
        throw Refusal{MGPUX_E_FAILED, "cannot move the templates into " + id_dir.string() + ": " + errno_text(errno)};
    const fs::path target = user_dir / staged.filename();
    if (::rename(staged.c_str(), target.c_str()) != 0)
        throw Refusal{MGPUX_E_FAILED, "cannot move the plugin into " + target.string() + ": " + errno_text(errno)};
    fsync_dir(user_dir);
}

void print_installed(HostContext& ctx, const json::object& doc) {
    if (ctx.globals.json) {
        ctx.console->json(doc);
        return;
    }
    const std::string what = ctx.globals.dry_run            ? "Would install"
                             : doc.at("replaced").as_bool() ? "Replaced"
                                                            : "Installed";
    ctx.console->text(services::TextKind::Success, what + " plugin '" + report_text(doc, "id") + "' " +
                                                       report_text(doc, "version") + " as " + report_text(doc, "path") +
                                                       "\n");
    if (doc.at("templates").is_string())
        ctx.console->text(services::TextKind::Plain, "  with its templates in " + report_text(doc, "templates") + "\n");
    for (const auto& c : doc.at("commands").as_array())
        ctx.console->text(services::TextKind::Plain,
                          "  m-gpux " + std::string(c.as_object().at("path").as_string()) + "\n");
}

int install(HostContext& ctx, const std::string& file, bool force) {
    const std::string name = fs::path(file).filename().string();
    if (!named_like_a_plugin(name))
        throw Refusal{MGPUX_E_USAGE,
                      "'" + file + "' is not named like a plugin file (" + plugins::plugin_file_name("<id>") + ")"};
    Fd source(open_source(file));
    const plugins::DiscoveryEnv env = plugins::DiscoveryEnv::from_environment();
    prepare_user_dir(env.user_dir);
    StagingDir staging(env.user_dir.parent_path());
    const fs::path staged = staging.path() / name;
    copy_to(source.get(), staged);
    json::object report = checked_report(ctx, staged, file, force, env);

    const std::string id = report_text(report, "id");
    const bool has_templates = stage_templates(fs::path(file).parent_path() / id / "templates", staging.path() / id);

    const fs::path target = env.user_dir / name;  // the loader checked that the name matches the id
    std::error_code ec;
    json::object doc;
    doc["id"] = id;
    doc["version"] = report["version"];
    doc["path"] = target.string();
    doc["templates"] = has_templates ? json::value((env.user_dir / id / "templates").string()) : json::value(nullptr);
    doc["replaced"] = fs::exists(fs::symlink_status(target, ec));
    doc["installed"] = !ctx.globals.dry_run;
    doc["commands"] = report["commands"];
    if (!ctx.globals.dry_run) {
        move_into_place(staging.path(), staged, id, has_templates, env.user_dir);
        refresh_plugin_cache();
    }
    print_installed(ctx, doc);
    note_plugin_path(ctx, env.user_dir);
    return MGPUX_OK;
}

bool valid_id(const std::string& id) {
    if (id.empty() || id[0] < 'a' || id[0] > 'z') return false;
    for (char c : id)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    return true;
}

// Where a plugin that is not in the user directory lives, for the refusal.
[[noreturn]] void not_user_installed(const std::string& id, const plugins::DiscoveryEnv& env) {
    const std::string name = plugins::plugin_file_name(id);
    std::error_code ec;
    if (fs::exists(env.system_dir / name, ec))
        throw Refusal{MGPUX_E_USAGE, "plugin '" + id + "' is a system plugin (" + (env.system_dir / name).string() +
                                         "); remove it with the package or installation that put it there"};
    for (const auto& dir : plugins::search_dirs(env))
        if (dir.origin != "user" && dir.origin != "system" && fs::exists(dir.dir / name, ec))
            throw Refusal{MGPUX_E_USAGE, "plugin '" + id + "' is loaded from " + (dir.dir / name).string() + " (" +
                                             dir.origin + "); only plugins in " + env.user_dir.string() +
                                             " are removed here"};
    throw Refusal{MGPUX_E_USAGE, "no plugin '" + id + "' in " + env.user_dir.string() +
                                     "; 'm-gpux plugins list' shows the plugins found and where"};
}

int remove(HostContext& ctx, const std::string& id) {
    if (!valid_id(id)) throw Refusal{MGPUX_E_USAGE, "invalid plugin id '" + id + "' (lowercase letters, digits, '-')"};
    const plugins::DiscoveryEnv env = plugins::DiscoveryEnv::from_environment();
    const fs::path target = env.user_dir / plugins::plugin_file_name(id);
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(target, ec))) not_user_installed(id, env);
    const fs::path id_dir = env.user_dir / id;  // its own templates, when it brought some
    const bool has_dir = fs::is_directory(fs::symlink_status(id_dir, ec));
    const std::string what = target.string() + (has_dir ? " and " + id_dir.string() : "");
    if (!ctx.globals.dry_run &&
        !ctx.prompter->confirm("Remove plugin '" + id + "' (" + what + ")?", false, true, "--yes"))
        throw Refusal{MGPUX_E_CANCELLED, "cancelled; plugin '" + id + "' was kept"};
    if (!ctx.globals.dry_run) {
        if (!fs::remove(target, ec) || ec)
            throw Refusal{MGPUX_E_FAILED, "cannot remove " + target.string() + ": " + ec.message()};
        if (has_dir && (fs::remove_all(id_dir, ec), ec))
            throw Refusal{MGPUX_E_FAILED, "cannot remove " + id_dir.string() + ": " + ec.message()};
        fsync_dir(env.user_dir);
        forget_in_plugin_cache(target);
    }
    json::object doc;
    doc["id"] = id;
    doc["path"] = target.string();
    doc["removed"] = !ctx.globals.dry_run;
    if (ctx.globals.json) ctx.console->json(doc);
    else
        ctx.console->text(services::TextKind::Success, std::string(ctx.globals.dry_run ? "Would remove" : "Removed") +
                                                           " plugin '" + id + "' (" + what + ")\n");
    return MGPUX_OK;
}

int reported(HostContext& ctx, const Refusal& r) {
    ctx.console->error(r.message);
    return r.code;
}

}  // namespace

int plugins_install(HostContext& ctx, const std::string& file, bool force) {
    try {
        return install(ctx, file, force);
    } catch (const Refusal& r) {
        return reported(ctx, r);
    }
}

int plugins_remove(HostContext& ctx, const std::string& id) {
    try {
        return remove(ctx, id);
    } catch (const Refusal& r) {
        return reported(ctx, r);
    } catch (const services::PromptError& e) {
        ctx.console->error(e.what());
        return e.status;
    }
}

}  // namespace mgpux::builtins
