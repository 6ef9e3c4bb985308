// SPDX-License-Identifier: MIT
#include "util/paths.hpp"

#include <cerrno>
#include <cstdlib>
#include <pwd.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace mgpux::util {

namespace fs = std::filesystem;

fs::path executable_path() {
    std::error_code ec;
    fs::path p = fs::read_symlink("/proc/self/exe", ec);
    if (ec) return {};
    return p;
}

std::optional<std::string> secure_env(const char* name) {
    const char* v = ::secure_getenv(name);
    if (!v || !*v) return std::nullopt;
    return std::string(v);
}

std::optional<std::string> env(const char* name) {
    const char* v = std::getenv(name);
    if (!v || !*v) return std::nullopt;
    return std::string(v);
}

fs::path home_dir() {
    if (auto h = env("HOME")) return *h;
    if (const passwd* pw = ::getpwuid(::getuid())) return pw->pw_dir;
    return "/";
}

fs::path xdg_dir(const char* env_name, const char* fallback_under_home) {
    if (auto v = env(env_name); v && fs::path(*v).is_absolute()) return *v;
    return home_dir() / fallback_under_home;
}

std::vector<fs::path> split_path_list(const std::string& list) {
    std::vector<fs::path> out;
    std::size_t start = 0;
    while (start <= list.size()) {
        std::size_t end = list.find(':', start);
        if (end == std::string::npos) end = list.size();
        if (end > start) out.emplace_back(list.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

std::optional<fs::path> find_on_path(const std::string& name) {
    if (name.find('/') != std::string::npos) {
        std::error_code ec;  // a directory passes access(X_OK) too
        if (fs::is_regular_file(name, ec) && ::access(name.c_str(), X_OK) == 0) return fs::path(name);
        return std::nullopt;
    }
    auto path = env("PATH");
    if (!path) return std::nullopt;
    for (const auto& dir : split_path_list(*path)) {
        fs::path candidate = dir / name;
        std::error_code ec;
        if (fs::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return std::nullopt;
}

std::optional<unsigned> make_private(const fs::path& path, unsigned owner_uid) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return std::nullopt;
        throw std::system_error(errno, std::generic_category(), "cannot check " + path.string());
    }
    if (st.st_uid != owner_uid)
        throw NotOwnedError(path.string() + " is owned by uid " + std::to_string(st.st_uid) + ", not by you (uid " +
                            std::to_string(owner_uid) + "); if it is yours, `chown -R " + std::to_string(owner_uid) +
                            " " + path.string() + "`, else move it away");
    const unsigned mode = st.st_mode & 07777;
    if ((mode & 077) == 0) return std::nullopt;
    if (::chmod(path.c_str(), mode & 0700) != 0)
        throw std::system_error(errno, std::generic_category(),
                                "cannot make " + path.string() + " private (chmod go-rwx it)");
    return mode;
}

}  // namespace mgpux::util
