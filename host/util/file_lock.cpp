// SPDX-License-Identifier: MIT
#include "util/file_lock.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <system_error>
#include <unistd.h>

namespace mgpux::util {

std::filesystem::path FileLock::lock_path_for(const std::filesystem::path& guarded) {
    std::filesystem::path lock = guarded;
    lock += ".lock";
    return lock;
}

FileLock::FileLock(const std::filesystem::path& guarded) {
    const auto path = lock_path_for(guarded);
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "cannot open lock file " + path.string());
    while (::flock(fd_, LOCK_EX) != 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        ::close(fd_);
        fd_ = -1;
        throw std::system_error(err, std::generic_category(), "cannot lock " + path.string());
    }
}

FileLock::~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace mgpux::util
