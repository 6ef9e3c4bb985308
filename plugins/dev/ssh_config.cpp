// SPDX-License-Identifier: MIT
#include "ssh_config.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/file.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace fs = std::filesystem;

namespace dev::ssh_config {

std::string begin_marker(const std::string& name) { return "# >>> m-gpux dev: " + name; }
std::string end_marker(const std::string& name) { return "# <<< m-gpux dev: " + name; }

namespace {

// Where the line starting at `start` ends, its line break included.
std::size_t line_end(const std::string& text, std::size_t start) {
    const std::size_t nl = text.find('\n', start);
    return nl == std::string::npos ? text.size() : nl + 1;
}

// The line starting at `start` without its line break ("\n" or "\r\n").
std::string line_at(const std::string& text, std::size_t start) {
    std::string line = text.substr(start, line_end(text, start) - start);
    if (!line.empty() && line.back() == '\n') line.pop_back();
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

// The offset of the first line that reads exactly `wanted`, from `from`.
std::size_t find_line(const std::string& text, const std::string& wanted, std::size_t from) {
    for (std::size_t pos = from; pos < text.size(); pos = line_end(text, pos))
        if (line_at(text, pos) == wanted) return pos;
    return std::string::npos;
}

std::string quoted(const fs::path& p) { return "\"" + p.string() + "\""; }

}  // namespace

std::string render_block(const HostEntry& e, const std::string& eol) {
    std::string out;
    auto line = [&](const std::string& text) { out += text + eol; };
    line(begin_marker(e.name));
    line("Host m-gpux-" + e.name);
    line("    HostName " + e.hostname);
    line("    Port " + std::to_string(e.port));
    line("    User " + e.user);
    line("    IdentityFile " + quoted(e.identity_file));
    line("    IdentitiesOnly yes");
    line("    UserKnownHostsFile " + quoted(e.known_hosts));
    line("    HostKeyAlias m-gpux-" + e.name);
    line("    StrictHostKeyChecking yes");
    line("    ServerAliveInterval 30");
    line("Match all");
    line(end_marker(e.name));
    return out;
}

std::string remove_block(const std::string& config, const std::string& name) {
    const std::size_t begin = find_line(config, begin_marker(name), 0);
    if (begin == std::string::npos) return config;
    const std::size_t end = find_line(config, end_marker(name), begin);
    if (end == std::string::npos)
        throw ConfigError("the m-gpux block for '" + name + "' has no closing line '" + end_marker(name) +
                          "'; fix the file by hand, then try again");
    return config.substr(0, begin) + config.substr(line_end(config, end));
}

std::string upsert_block(const std::string& config, const HostEntry& entry) {
    const std::string rest = remove_block(config, entry.name);
    const std::string eol = config.find("\r\n") != std::string::npos ? "\r\n" : "\n";
    return render_block(entry, eol) + rest;
}

namespace {

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

[[noreturn]] void fail(const std::string& what, const fs::path& path) {
    throw std::system_error(errno, std::generic_category(), what + " " + path.string());
}

void write_all(int fd, const std::string& text, const fs::path& path) {
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("cannot write", path);
        done += static_cast<std::size_t>(n);
    }
}

// Writes a sibling temp file with `mode`, flushes it and renames it over `path`.
void replace_atomically(const fs::path& path, const std::string& text, mode_t mode) {
    const fs::path tmp = path.string() + ".m-gpux-" + std::to_string(::getpid()) + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) fail("cannot create", tmp);
    try {
        write_all(fd, text, tmp);
        if (::fchmod(fd, mode) != 0 || ::fsync(fd) != 0) fail("cannot finish", tmp);
    } catch (...) {
        ::close(fd);
        ::unlink(tmp.c_str());
        throw;
    }
    ::close(fd);
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        ::unlink(tmp.c_str());
        fail("cannot replace", path);
    }
}

class LockFile {
public:
    explicit LockFile(const fs::path& path) {
        fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd_ < 0) fail("cannot open the lock", path);
        while (::flock(fd_, LOCK_EX) != 0)
            if (errno != EINTR) fail("cannot lock", path);
    }
    ~LockFile() { ::close(fd_); }
    LockFile(const LockFile&) = delete;
    LockFile& operator=(const LockFile&) = delete;

private:
    int fd_ = -1;
};

void make_private_dir(const fs::path& dir) {
    std::error_code ec;
    if (fs::is_directory(dir, ec)) return;
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
}

}  // namespace

void with_lock(const fs::path& lock_path, const std::function<void()>& fn) {
    make_private_dir(lock_path.parent_path());
    LockFile lock(lock_path);
    fn();
}

void edit_file(const fs::path& path, const fs::path& lock_path,
               const std::function<std::string(const std::string&)>& edit) {
    make_private_dir(lock_path.parent_path());
    LockFile lock(lock_path);
    std::error_code ec;
    const fs::path target = fs::is_symlink(path, ec) ? fs::canonical(path) : path;
    make_private_dir(target.parent_path());
    struct stat st {};
    const bool exists = ::stat(target.c_str(), &st) == 0;
    const std::string before = exists ? read_text(target) : std::string();
    const std::string after = edit(before);
    if (exists && after == before) return;
    replace_atomically(target, after, exists ? (st.st_mode & 07777) : 0600);
}

}  // namespace dev::ssh_config
