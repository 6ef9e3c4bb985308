// SPDX-License-Identifier: MIT
#include "services/state_store.hpp"

#include "services/preset_fields.hpp"
#include "services/service_error.hpp"
#include "util/atomic_file.hpp"
#include "util/file_lock.hpp"
#include "util/json.hpp"
#include "util/paths.hpp"

#include <boost/json.hpp>
#include <mgpux/contracts.hpp>

#include <cstdio>
#include <ctime>
#include <iostream>
#include <mutex>
#include <random>
#include <set>
#include <system_error>
#include <unistd.h>
#include <utility>

namespace mgpux::services {

namespace fs = std::filesystem;
namespace json = boost::json;

json::object session_object(const mgpux::SessionRecord& session) {
    return util::parse_json(session.to_json().dump()).as_object();
}

mgpux::SessionRecord read_session_record(std::string_view text) {
    try {
        return mgpux::SessionRecord::from_json(mgpux::Json::parse(text));
    } catch (const mgpux::ContractError& e) {
        throw ServiceError(kExitUsage, e.what());  // "session: \"app_id\" must be a string"
    } catch (const mgpux::JsonError& e) {
        throw ServiceError(kExitUsage, std::string("session: malformed JSON: ") + e.what());
    }
}

namespace {

constexpr std::string_view kSessions = "sessions";
constexpr std::string_view kPresets = "presets";
constexpr std::string_view kApiKeys = "api_keys";
constexpr std::string_view kLeftAlone = "; fix or move the file away; it was left unchanged";

bool valid_document_name(std::string_view name) {
    if (name.empty() || name.front() < 'a' || name.front() > 'z') return false;
    for (char ch : name)
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')) return false;
    return true;
}

// The top-level kind a document must have; null means any.
std::optional<json::kind> required_kind(std::string_view name) {
    if (name == kSessions || name == kApiKeys) return json::kind::array;
    if (name == kPresets) return json::kind::object;
    return std::nullopt;
}

json::value default_document(std::string_view name) {
    const auto kind = required_kind(name);
    if (kind == json::kind::array) return json::array();
    if (kind == json::kind::object) return json::object();
    return nullptr;
}

const char* kind_name(json::kind kind) {
    switch (kind) {
        case json::kind::array: return "an array";
        case json::kind::object: return "an object";
        case json::kind::string: return "a string";
        case json::kind::bool_: return "a boolean";
        case json::kind::null: return "null";
        default: return "a number";
    }
}

// The original's state files sort their keys so they stay diffable; other
// documents (api_keys.json) keep their member order, as the original wrote them.
std::string format_document(std::string_view name, const json::value& doc) {
    return util::pretty_json(doc, name == kSessions || name == kPresets);
}

// JsonParseError::what() repeats the position; the message states it once.
std::string parse_reason(const util::JsonParseError& e) {
    const std::string what = e.what();
    const std::size_t cut = what.find("): ");
    return what.rfind("at byte ", 0) == 0 && cut != std::string::npos ? what.substr(cut + 3) : what;
}

std::string random_session_id() {
    std::random_device rd;
    char buf[16];
    std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>(rd()));
    return "sess-" + std::string(buf);
}

bool is_text(const json::value* v, std::string_view text) { return v && v->is_string() && v->get_string() == text; }

// Sessions are referred to by id, app name or (ours) app id.
bool session_matches(const json::value& item, std::string_view ref) {
    if (ref.empty() || !item.is_object()) return false;
    const auto& s = item.get_object();
    return is_text(s.if_contains("id"), ref) || is_text(s.if_contains("app_name"), ref) ||
           is_text(s.if_contains("app_id"), ref);
}

bool has_id(const json::array& sessions, std::string_view id) {
    for (const auto& item : sessions)
        if (item.is_object() && is_text(item.get_object().if_contains("id"), id)) return true;
    return false;
}

bool missing(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return !v || v->is_null() || (v->is_string() && v->get_string().empty());
}

// save_session's stamping: an id unique in `sessions` when missing,
// created_at when absent, updated_at always.
void stamp_session(json::object& session, const json::array& sessions) {
    if (missing(session, "id")) {
        std::string id = random_session_id();
        while (has_id(sessions, id)) id = random_session_id();
        session["id"] = id;
    }
    const std::string now = utc_now_iso();
    if (missing(session, "created_at")) session["created_at"] = now;
    session["updated_at"] = now;
}

std::string preset_context(std::string_view name, const fs::path& file) {
    return "preset '" + std::string(name) + "' in " + file.string();
}

}  // namespace

std::string utc_now_iso() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
    return buf;
}

namespace {

std::string octal(unsigned mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", mode & 07777);
    return buf;
}

void note_on_stderr(const std::string& line) { std::cerr << "m-gpux: note: " << line << "\n"; }

// True the first time `path` is seen in this process.
bool first_time(const fs::path& path) {
    static std::mutex mutex;
    static std::set<std::string> seen;
    const std::lock_guard<std::mutex> lock(mutex);
    return seen.insert(path.string()).second;
}

}  // namespace

StateStore::StateStore(fs::path dir) : StateStore(std::move(dir), ::geteuid()) {}

StateStore::StateStore(fs::path dir, unsigned owner_uid, PrivacyNote note)
    : dir_(std::move(dir)), owner_uid_(owner_uid), note_(note ? std::move(note) : PrivacyNote(note_on_stderr)) {}

void StateStore::require_private(const fs::path& path) const {
    std::optional<unsigned> was;
    try {
        was = util::make_private(path, owner_uid_);
    } catch (const util::NotOwnedError& e) {
        throw ServiceError(kExitConfig, "refusing to use m-gpux state that another user controls: " +
                                            std::string(e.what()) + " (or set MGPUX_HOME to a directory of yours)");
    } catch (const std::system_error& e) {
        throw ServiceError(kExitConfig, e.what());
    }
    if (was && first_time(path))
        note_(path.string() + " was open to other users (mode " + octal(*was) + "); it is now " + octal(*was & 0700));
}

void StateStore::require_private_dirs() const {
    require_private(dir_);
    require_private(dir_ / "runs");
}

fs::path StateStore::document_path(std::string_view name) const {
    if (!valid_document_name(name))
        throw ServiceError(kExitUsage, "invalid state document name '" + std::string(name) + "'");
    return dir_ / (std::string(name) + ".json");
}

json::value StateStore::read(std::string_view name) const {
    const fs::path path = document_path(name);
    require_private_dirs();
    require_private(path);
    std::optional<std::string> text;
    try {
        text = util::read_file_if_exists(path);
    } catch (const std::system_error& e) {
        throw ServiceError(kExitConfig, std::string(e.what()));
    }
    if (!text) return default_document(name);
    json::value doc;
    try {
        doc = util::parse_json(*text);
    } catch (const util::JsonParseError& e) {
        throw ServiceError(kExitConfig, path.string() + ": not valid JSON at byte " + std::to_string(e.offset) +
                                            " (line " + std::to_string(e.line) + "): " + parse_reason(e) +
                                            std::string(kLeftAlone));
    }
    const auto kind = required_kind(name);
    if (kind && doc.kind() != *kind)
        throw ServiceError(kExitConfig, path.string() + ": the top level must be " + kind_name(*kind) + ", not " +
                                            kind_name(doc.kind()) + std::string(kLeftAlone));
    return doc;
}

json::value StateStore::modify(std::string_view name,
                               const std::function<std::optional<json::value>(json::value)>& edit) {
    const fs::path path = document_path(name);
    require_private_dirs();  // before the lock file is created in there
    require_private(path);
    try {
        util::ensure_private_dir(dir_, 0700);
    } catch (const std::system_error& e) {
        throw ServiceError(kExitConfig, "cannot create the state directory: " + std::string(e.what()));
    }
    std::optional<util::FileLock> lock;
    try {
        lock.emplace(path);
    } catch (const std::system_error& e) {
        throw ServiceError(kExitConfig, std::string(e.what()));
    }
    json::value current = read(name);  // throws before anything is written
    std::optional<json::value> next = edit(current);
    if (!next) return current;
    const auto kind = required_kind(name);
    if (kind && next->kind() != *kind)  // would make the file unreadable next time
        throw ServiceError(kExitFailed, "internal error: " + path.string() + " would not be " + kind_name(*kind));
    try {
        util::write_file_atomic(path, format_document(name, *next), 0600);
    } catch (const std::system_error& e) {
        throw ServiceError(kExitConfig, std::string(e.what()));
    }
    return std::move(*next);
}

// --- sessions ---------------------------------------------------------------

json::array StateStore::list_sessions() const {
    json::value doc = read(kSessions);  // named: a temporary would die before the loop
    json::array out;
    for (auto& item : doc.get_array())
        if (item.is_object()) out.push_back(std::move(item));
    return out;
}

json::object StateStore::save_session(json::object session) {
    modify(kSessions, [&](json::value doc) -> std::optional<json::value> {
        auto& sessions = doc.get_array();
        stamp_session(session, sessions);
        const json::value& id = session.at("id");
        for (auto& item : sessions) {
            const json::value* item_id = item.is_object() ? item.get_object().if_contains("id") : nullptr;
            if (item_id && *item_id == id) {
                item = session;
                return doc;
            }
        }
        sessions.push_back(session);
        return doc;
    });
    return session;
}

std::optional<json::object> StateStore::get_session(std::string_view ref) const {
    json::value doc = read(kSessions);
    for (auto& item : doc.get_array())
        if (session_matches(item, ref)) return std::move(item.get_object());
    return std::nullopt;
}

std::optional<json::object> StateStore::update_session(std::string_view ref, const json::object& fields) {
    std::optional<json::object> updated;
    modify(kSessions, [&](json::value doc) -> std::optional<json::value> {
        auto& sessions = doc.get_array();
        for (auto& item : sessions) {
            if (!session_matches(item, ref)) continue;
            json::object merged = item.get_object();
            for (const auto& member : fields) merged[member.key()] = member.value();
            stamp_session(merged, sessions);
            // In place: the original's lookup-then-save would append a copy
            // of a session that has no id.
            item = merged;
            updated = std::move(merged);
            return doc;
        }
        return std::nullopt;
    });
    return updated;
}

std::size_t StateStore::forget_session(std::string_view ref) {
    std::size_t removed = 0;
    modify(kSessions, [&](json::value doc) -> std::optional<json::value> {
        json::array kept;
        for (auto& item : doc.get_array()) {
            if (session_matches(item, ref)) ++removed;
            else kept.push_back(std::move(item));
        }
        if (removed == 0) return std::nullopt;
        return json::value(std::move(kept));
    });
    return removed;
}

// --- presets ----------------------------------------------------------------

json::object StateStore::list_presets() const {
    const json::value doc = read(kPresets);
    json::object out;
    for (const auto& [name, value] : doc.get_object()) {
        if (!value.is_object()) continue;  // as the original: non-objects are not presets
        try {
            out[name] = normalise_preset(value.get_object());
        } catch (const PresetFieldError& e) {
            json::object raw = value.get_object();
            raw["error"] = e.what();
            out[name] = std::move(raw);
        }
    }
    return out;
}

json::object StateStore::get_preset(std::string_view name) const {
    const json::value doc = read(kPresets);
    const json::value* stored = doc.get_object().if_contains(name);
    if (!stored || !stored->is_object()) throw ServiceError(kExitUsage, "no preset named '" + std::string(name) + "'");
    try {
        return normalise_preset(stored->get_object());
    } catch (const PresetFieldError& e) {
        throw ServiceError(kExitConfig, preset_context(name, document_path(kPresets)) + ": " + e.what());
    }
}

namespace {

// The preset `fields` make over `existing` (may be null), with timestamps;
// refused values are usage errors, refused stored ones state errors.
json::object merged_preset(std::string_view name, const json::object* existing, const json::object& fields,
                           const fs::path& file) {
    json::object saved;
    try {
        saved = merge_preset(existing, fields);
    } catch (const PresetFieldError& e) {
        if (e.stored)
            throw ServiceError(kExitConfig, preset_context(name, file) + ": " + e.what() +
                                                "; give a new value for it or fix the file");
        throw ServiceError(kExitUsage, "preset '" + std::string(name) + "': " + e.what());
    }
    const std::string now = utc_now_iso();
    saved["name"] = name;
    if (existing && !missing(*existing, "created_at")) saved["created_at"] = existing->at("created_at");
    else if (!saved.contains("created_at") || !saved.at("created_at").is_string()) saved["created_at"] = now;
    saved["updated_at"] = now;
    return saved;
}

const json::object* stored_preset(const json::value& doc, std::string_view name) {
    const json::value* stored = doc.get_object().if_contains(name);
    return stored && stored->is_object() ? &stored->get_object() : nullptr;
}

}  // namespace

json::object StateStore::save_preset(std::string_view name, const json::object& fields) {
    if (name.empty()) throw ServiceError(kExitUsage, "a preset needs a name");
    const fs::path file = document_path(kPresets);
    json::object saved;
    modify(kPresets, [&](json::value doc) -> std::optional<json::value> {
        saved = merged_preset(name, stored_preset(doc, name), fields, file);
        doc.get_object()[name] = saved;
        return doc;
    });
    return saved;
}

json::object StateStore::preview_preset(std::string_view name, const json::object& fields) const {
    if (name.empty()) throw ServiceError(kExitUsage, "a preset needs a name");
    const json::value doc = read(kPresets);
    return merged_preset(name, stored_preset(doc, name), fields, document_path(kPresets));
}

bool StateStore::delete_preset(std::string_view name) {
    bool deleted = false;
    modify(kPresets, [&](json::value doc) -> std::optional<json::value> {
        deleted = doc.get_object().erase(name) > 0;
        if (!deleted) return std::nullopt;
        return doc;
    });
    return deleted;
}

}  // namespace mgpux::services
