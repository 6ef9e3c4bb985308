// SPDX-License-Identifier: MIT
// Our state directory (~/.m-gpux or $MGPUX_HOME) in the original tool's
// formats, so a user can switch between the two tools. Unlike the
// original, a file that does not parse is an error and is never overwritten,
// and every read-modify-write is locked and atomic.
#pragma once

#include <boost/json/value.hpp>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace mgpux {
struct SessionRecord;  // <mgpux/contracts.hpp>
}

namespace mgpux::services {

// A session record (the SDK's struct, what plugins send and the runner
// fills) as the object sessions.json holds.
boost::json::object session_object(const mgpux::SessionRecord& session);

// Reads a plugin's session (or the fields of an update) with the SDK's
// SessionRecord: ServiceError kExitUsage naming a member of the wrong type.
mgpux::SessionRecord read_session_record(std::string_view text);

// Told once per path and process that a state path was open to other users
// and has been made private.
using PrivacyNote = std::function<void(const std::string&)>;

class StateStore {
public:
    // `dir` is created 0700 on the first write; every file written is 0600.
    // Before anything is read or written, the directory, its runs/ and the
    // document must belong to `owner_uid` (default: this process's effective
    // uid), else ServiceError(kExitConfig) saying how to fix it; ours but
    // open to group or others is made private and `note` (default: a line on
    // stderr) says so.
    explicit StateStore(std::filesystem::path dir);
    StateStore(std::filesystem::path dir, unsigned owner_uid, PrivacyNote note = PrivacyNote());

    // The directory and runs/ checked as above, for a caller about to write
    // there itself (the runner's run directories).
    void require_private_dirs() const;

    const std::filesystem::path& dir() const { return dir_; }

    // `<dir>/<name>.json`; `name` must match [a-z][a-z0-9_]* (else a usage
    // ServiceError), so no name can reach outside the directory.
    std::filesystem::path document_path(std::string_view name) const;

    // The document, or its default when the file is missing ("sessions" and
    // "api_keys": [], "presets": {}, others: null). A file that does not
    // parse, or whose top level has the wrong type, is a ServiceError with
    // kExitConfig naming the file and the byte position.
    boost::json::value read(std::string_view name) const;

    // Read-modify-write under the document's lock, written atomically.
    // `edit` gets the current value; returning nullopt writes nothing.
    // Returns what was written, or the unchanged value. A file read() refuses
    // is left byte-for-byte as it was.
    boost::json::value modify(std::string_view name,
                              const std::function<std::optional<boost::json::value>(boost::json::value)>& edit);

    // sessions.json (an array). A session matches a reference when its
    // id, app_name or app_id equals it.
    boost::json::array list_sessions() const;  // objects only
    // Assigns an id ("sess-" + 8 hex) when missing, created_at when absent,
    // refreshes updated_at; replaces the first element with the same id or
    // appends. Returns the session as written.
    boost::json::object save_session(boost::json::object session);
    std::optional<boost::json::object> get_session(std::string_view ref) const;  // first match
    // Merges `fields` into the first match in place (stamped as save_session
    // does); nullopt when nothing matches.
    std::optional<boost::json::object> update_session(std::string_view ref, const boost::json::object& fields);
    std::size_t forget_session(std::string_view ref);  // removes every match

    // presets.json (an object by name), normalised by
    // normalise_preset (preset_fields.hpp).
    // Every object-valued preset; one that cannot be normalised is kept as
    // stored with an "error" string member.
    boost::json::object list_presets() const;
    // Missing: kExitUsage "no preset named 'x'"; unacceptable: kExitConfig
    // naming the preset, the member and its value.
    boost::json::object get_preset(std::string_view name) const;
    // Shallow-merges `fields` over the stored preset (merge_preset), forces
    // `name`, keeps an existing created_at, refreshes updated_at, and stores
    // the structured members with the original's fragments regenerated.
    // Unacceptable fields: kExitUsage. Returns the preset as written.
    boost::json::object save_preset(std::string_view name, const boost::json::object& fields);
    // What save_preset would store, checked the same way, without writing
    // (for --dry-run).
    boost::json::object preview_preset(std::string_view name, const boost::json::object& fields) const;
    bool delete_preset(std::string_view name);  // false when absent

private:
    void require_private(const std::filesystem::path& path) const;

    std::filesystem::path dir_;
    unsigned owner_uid_;
    PrivacyNote note_;
};

// UTC now with seconds and an explicit offset: "2026-05-07T09:41:03+00:00".
std::string utc_now_iso();

}  // namespace mgpux::services
