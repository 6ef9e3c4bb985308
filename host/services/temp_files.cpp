// SPDX-License-Identifier: MIT
#include "services/temp_files.hpp"

#include "host_context.hpp"
#include "services/service_error.hpp"
#include "util/atomic_file.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string_view>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace mgpux::services {

namespace fs = std::filesystem;

namespace {

// Long enough that no live m-gpux still uses the thing (a secret file lives
// for one `modal secret create`, at most a minute), even one in another pid
// namespace whose pid we cannot see.
constexpr std::time_t kStaleAfterSeconds = 5 * 60;

fs::path private_temp_root() { return state_dir() / "tmp"; }

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

bool all_hex(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c); });
}

bool process_gone(std::string_view pid_text) {
    if (!all_digits(pid_text) || pid_text.size() > 9) return false;
    const long pid = std::strtol(std::string(pid_text).c_str(), nullptr, 10);
    return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

// Owned by this user, of the wanted type (not a link), and not touched for a while.
bool ours_and_stale(const fs::path& path, bool directory) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || st.st_uid != ::getuid()) return false;
    if (directory ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) return false;
    return std::time(nullptr) - st.st_mtime > kStaleAfterSeconds;
}

// "<prefix>-<pid>-<6 letters or digits>", as PrivateTempDir names them: the pid.
std::optional<std::string_view> pid_in_temp_dir_name(std::string_view name) {
    const auto last = name.rfind('-');
    if (last == std::string_view::npos || name.size() - last - 1 != 6) return std::nullopt;
    const auto before = name.rfind('-', last - 1);
    if (before == std::string_view::npos || before == 0 || last == 0) return std::nullopt;
    return name.substr(before + 1, last - before - 1);
}

// ".<file>.tmp-<pid>-<hex>", as write_file_atomic names its temp files: the pid.
std::optional<std::string_view> pid_in_atomic_temp_name(std::string_view name, std::string_view file) {
    if (name.size() < 2 || name[0] != '.') return std::nullopt;
    const auto marker = name.rfind(".tmp-");
    if (marker == std::string_view::npos || marker < 2) return std::nullopt;
    if (!file.empty() && name.substr(1, marker - 1) != file) return std::nullopt;
    const auto rest = name.substr(marker + 5);
    const auto dash = rest.find('-');
    if (dash == std::string_view::npos || !all_hex(rest.substr(dash + 1))) return std::nullopt;
    return rest.substr(0, dash);
}

void sweep_private_temp_dirs() {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(private_temp_root(), ec)) {
        const auto name = entry.path().filename().string();
        const auto pid = pid_in_temp_dir_name(name);
        if (pid && process_gone(*pid) && ours_and_stale(entry.path(), true)) fs::remove_all(entry.path(), ec);
    }
}

// Older versions made `mgpux-secret-XXXXXX` in $TMPDIR, with no pid in the name.
void sweep_legacy_secret_dirs() {
    std::error_code ec;
    const auto tmp = fs::temp_directory_path(ec);
    if (ec) return;
    for (const auto& entry : fs::directory_iterator(tmp, ec)) {
        const auto name = entry.path().filename().string();
        if (name.rfind("mgpux-secret-", 0) == 0 && name.size() == 19 && ours_and_stale(entry.path(), true))
            fs::remove_all(entry.path(), ec);
    }
}

// Temp files of atomic writes in `dir`; `file` limits them to one file's ("" for all).
void sweep_atomic_temp_files(const fs::path& dir, const std::string& file) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const auto name = entry.path().filename().string();
        const auto pid = pid_in_atomic_temp_name(name, file);
        if (pid && process_gone(*pid) && ours_and_stale(entry.path(), false)) fs::remove(entry.path(), ec);
    }
}

}  // namespace

PrivateTempDir::PrivateTempDir(const std::string& prefix) {
    const fs::path root = private_temp_root();
    try {
        util::ensure_private_dir(state_dir());
        util::ensure_private_dir(root);
    } catch (const std::exception& e) {
        throw ServiceError(kExitConfig, "cannot create the private directory " + root.string() + " (" + e.what() +
                                            "); check that " + state_dir().string() +
                                            " ($MGPUX_HOME, else ~/.m-gpux) is a writable directory of yours");
    }
    std::string tmpl = (root / (prefix + "-" + std::to_string(::getpid()) + "-XXXXXX")).string();
    if (!::mkdtemp(tmpl.data())) {
        const std::error_code ec(errno, std::generic_category());
        throw ServiceError(kExitConfig, "cannot create a private directory in " + root.string() + " (" + ec.message() +
                                            "); check that it is a writable directory of yours");
    }
    path_ = tmpl;
}

PrivateTempDir::~PrivateTempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

void sweep_stale_temp_files() {
    try {
        sweep_private_temp_dirs();
        sweep_legacy_secret_dirs();
        sweep_atomic_temp_files(state_dir(), "");
        const fs::path config = modal_config_path();
        sweep_atomic_temp_files(config.parent_path().empty() ? fs::path(".") : config.parent_path(),
                                config.filename().string());
    } catch (...) {
        // Best effort: a sweep must never stop a command.
    }
}

}  // namespace mgpux::services
