// SPDX-License-Identifier: MIT
// An exclusive advisory lock (flock) on a `.lock` file beside the file it
// guards, held for the lifetime of the object. No m-gpux knowledge.
#pragma once

#include <filesystem>

namespace mgpux::util {

class FileLock {
public:
    // Locks `<guarded>.lock` (created 0600 when missing), waiting for other
    // holders. Throws std::system_error when the lock file cannot be opened.
    explicit FileLock(const std::filesystem::path& guarded);
    ~FileLock();
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;

    static std::filesystem::path lock_path_for(const std::filesystem::path& guarded);

private:
    int fd_ = -1;
};

}  // namespace mgpux::util
