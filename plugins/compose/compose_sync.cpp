// SPDX-License-Identifier: MIT
#include "compose_sync.hpp"

#include "launch_logic.hpp"

#include <set>
#include <system_error>

namespace fs = std::filesystem;

namespace compose {

Snapshot snapshot(const fs::path& root, const std::vector<std::string>& excludes) {
    Snapshot out;
    std::error_code ec;
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        const std::string rel = it->path().lexically_relative(root).generic_string();
        if (mgpux::launch::is_excluded(excludes, rel)) {
            if (it->is_directory(ec)) it.disable_recursion_pending();
            continue;
        }
        if (it->is_symlink(ec) || !it->is_regular_file(ec)) continue;
        FileStamp st;
        st.size = it->file_size(ec);
        st.mtime_ns = static_cast<std::int64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(it->last_write_time(ec).time_since_epoch()).count());
        out[rel] = st;
    }
    return out;
}

namespace {

std::string parent_of(const std::string& rel) {
    const auto slash = rel.rfind('/');
    return slash == std::string::npos ? "" : rel.substr(0, slash);
}

}  // namespace

Changes diff(const Snapshot& before, const Snapshot& now) {
    Changes c;
    for (const auto& [rel, st] : now) {
        const auto it = before.find(rel);
        if (it == before.end() || !(it->second == st)) c.uploads.push_back(rel);
    }
    // Folders that still hold a file now are not deleted as a whole.
    std::set<std::string> live;
    for (const auto& kv : now)
        for (std::string d = parent_of(kv.first); !d.empty(); d = parent_of(d)) live.insert(d);
    std::set<std::string> gone;
    for (const auto& kv : before) {
        if (now.count(kv.first)) continue;
        // The highest folder above it that no longer holds anything.
        std::string top = kv.first;
        for (std::string d = parent_of(kv.first); !d.empty() && !live.count(d); d = parent_of(d)) top = d;
        gone.insert(top);
    }
    for (const std::string& g : gone) {
        bool covered = false;
        for (std::string d = parent_of(g); !d.empty(); d = parent_of(d)) covered = covered || gone.count(d) > 0;
        if (!covered) c.deletes.push_back(g);
    }
    return c;
}

std::map<std::string, std::vector<std::string>> upload_groups(const std::vector<std::string>& uploads) {
    std::map<std::string, std::vector<std::string>> groups;
    for (const std::string& rel : uploads) groups[rel.substr(0, rel.find('/'))].push_back(rel);
    return groups;
}

}  // namespace compose
