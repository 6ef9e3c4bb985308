// SPDX-License-Identifier: MIT
#include "util/atomic_file.hpp"

#include <cerrno>
#include <fcntl.h>
#include <fstream>
#include <random>
#include <sstream>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace mgpux::util {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& what, const fs::path& path, int err = errno) {
    throw std::system_error(err, std::generic_category(), what + " " + path.string());
}

std::string temp_name_for(const fs::path& path) {
    std::random_device rd;
    std::ostringstream name;
    name << "." << path.filename().string() << ".tmp-" << ::getpid() << "-" << std::hex << rd();
    return name.str();
}

void write_all(int fd, std::string_view content, const fs::path& tmp) {
    const char* p = content.data();
    size_t left = content.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("cannot write", tmp);
        }
        p += n;
        left -= static_cast<size_t>(n);
    }
}

void fsync_dir(const fs::path& dir) {
    const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;  // best effort: the rename itself already happened
    ::fsync(fd);
    ::close(fd);
}

}  // namespace

void write_file_atomic(const fs::path& path, std::string_view content, unsigned mode) {
    const fs::path dir = path.parent_path();
    const fs::path tmp = dir / temp_name_for(path);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 07777);
    if (fd < 0) fail("cannot create", tmp);
    try {
        if (::fchmod(fd, mode & 07777) != 0) fail("cannot set the mode of", tmp);
        write_all(fd, content, tmp);
        if (::fsync(fd) != 0) fail("cannot flush", tmp);
    } catch (...) {
        ::close(fd);
        ::unlink(tmp.c_str());
        throw;
    }
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        fail("cannot close", tmp, err);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        fail("cannot replace", path, err);
    }
    fsync_dir(dir);
}

std::optional<std::string> read_file_if_exists(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return std::nullopt;
        fail("cannot read", path);
    }
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        ::close(fd);
        fail("cannot read", path, EISDIR);
    }
    std::string data;
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            const int err = errno;
            ::close(fd);
            fail("cannot read", path, err);
        }
        if (n == 0) break;
        data.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return data;
}

void ensure_private_dir(const fs::path& dir, unsigned mode) {
    std::error_code ec;
    const auto st = fs::status(dir, ec);
    if (fs::is_directory(st)) return;
    if (fs::exists(st)) fail("not a directory:", dir, ENOTDIR);
    if (!dir.parent_path().empty() && !fs::exists(dir.parent_path(), ec)) fs::create_directories(dir.parent_path());
    if (::mkdir(dir.c_str(), mode & 07777) != 0) {
        if (errno == EEXIST && fs::is_directory(dir, ec)) return;  // another process made it
        fail("cannot create directory", dir);
    }
    ::chmod(dir.c_str(), mode & 07777);  // mkdir applies the umask
}

}  // namespace mgpux::util
