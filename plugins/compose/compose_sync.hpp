// SPDX-License-Identifier: MIT
// `compose sync`: what changed in the project folder since the last round
// (pure logic over snapshots) and how that becomes few `modal volume` calls.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace compose {

// rel path ("/"-separated) -> size and mtime of each file not excluded.
struct FileStamp {
    std::uintmax_t size = 0;
    std::int64_t mtime_ns = 0;
    bool operator==(const FileStamp& o) const { return size == o.size && mtime_ns == o.mtime_ns; }
};
using Snapshot = std::map<std::string, FileStamp>;

Snapshot snapshot(const std::filesystem::path& root, const std::vector<std::string>& excludes);

struct Changes {
    std::vector<std::string> uploads;  // created or changed files
    std::vector<std::string> deletes;  // removed paths: a folder gone entirely is one entry
};

// `before` -> `now`. A folder whose every file disappeared (and that has no
// file left) is deleted as one path.
Changes diff(const Snapshot& before, const Snapshot& now);

// The uploads grouped into `modal volume put` calls: one per top-level entry
// ("src" for src/a.py and src/b/c.py; "README.md" alone).
std::map<std::string, std::vector<std::string>> upload_groups(const std::vector<std::string>& uploads);

}  // namespace compose
