// SPDX-License-Identifier: MIT
// Our temporary files: a private place under the state directory for files
// that hold credentials while a `modal` child reads them, and a sweep of what
// a killed m-gpux left behind.
#pragma once

#include <filesystem>
#include <string>

namespace mgpux::services {

// A fresh 0700 directory `<state dir>/tmp/<prefix>-<pid>-XXXXXX` (the state
// dir and tmp/ are created 0700 when missing), removed with everything in it
// when this goes. It does not depend on $TMPDIR, and the pid in its name lets
// a later sweep tell a stranded one from one in use. Throws ServiceError
// (kExitConfig) naming the directory when it cannot be created.
class PrivateTempDir {
public:
    explicit PrivateTempDir(const std::string& prefix);
    ~PrivateTempDir();
    PrivateTempDir(const PrivateTempDir&) = delete;
    PrivateTempDir& operator=(const PrivateTempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

// Removes what an m-gpux that was killed left behind, once its process is
// gone and the thing is older than a few minutes: private temp directories
// (and the `mgpux-secret-*` directories older versions made in $TMPDIR), and
// the `.<file>.tmp-<pid>-<hex>` files of interrupted atomic writes beside the
// state files and the profile file. Only our own names owned by this user
// are touched. Never throws.
void sweep_stale_temp_files();

}  // namespace mgpux::services
