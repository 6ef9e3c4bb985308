// SPDX-License-Identifier: MIT
#include "app_list.hpp"

#include <initializer_list>

namespace mgpux::stop {

namespace {

// The first of `keys` that holds a string; "" when none does (null included).
std::string text_field(const Json& row, std::initializer_list<const char*> keys) {
    for (const char* key : keys) {
        const Json* v = row.find(key);
        if (v && v->is_string()) return v->as_string();
    }
    return {};
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool looks_like_app_id(const std::string& text) {
    if (text.size() <= 3 || text.compare(0, 3, "ap-") != 0) return false;
    for (std::size_t i = 3; i < text.size(); ++i) {
        const char c = text[i];
        if (!is_digit(c) && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z')) return false;
    }
    return true;
}

bool is_live_state(const std::string& state) {
    return state == "deployed" || state == "ephemeral" || state == "ephemeral (detached)" || state == "initializing...";
}

bool is_mgpux_description(const std::string& description) { return description.rfind("m-gpux", 0) == 0; }

std::vector<AppRow> parse_app_list(const Json& doc, const std::string& profile) {
    std::vector<AppRow> rows;
    if (!doc.is_array()) return rows;
    for (const Json& item : doc.as_array()) {
        if (!item.is_object()) continue;
        AppRow row;
        row.profile = profile;
        row.app_id = text_field(item, {"app_id", "App ID"});
        row.description = text_field(item, {"description", "Description"});
        row.state = text_field(item, {"state", "State"});
        row.created_at = text_field(item, {"created_at", "Created at"});
        if (looks_like_app_id(row.app_id)) rows.push_back(std::move(row));
    }
    return rows;
}

std::vector<AppRow> live_mgpux_apps(const std::vector<AppRow>& rows) {
    std::vector<AppRow> out;
    for (const AppRow& row : rows)
        if (is_mgpux_description(row.description) && is_live_state(row.state)) out.push_back(row);
    return out;
}

bool says_already_stopped(const std::string& modal_output) {
    return modal_output.find("already stopped") != std::string::npos;
}

std::string short_time(const std::string& timestamp) {
    // YYYY-MM-DD?HH:MM at the least; anything else is shown as Modal wrote it.
    static const char kShape[] = "dddd-dd-dd?dd:dd";
    if (timestamp.size() < sizeof kShape - 1) return timestamp;
    for (std::size_t i = 0; i + 1 < sizeof kShape; ++i) {
        const char want = kShape[i];
        const char c = timestamp[i];
        if (want == 'd' ? !is_digit(c) : want == '?' ? (c != ' ' && c != 'T') : c != want) return timestamp;
    }
    return timestamp.substr(0, 10) + " " + timestamp.substr(11, 5);
}

Json app_json(const AppRow& app) {
    Json j = Json::object();
    j.set("profile", app.profile);
    j.set("app_id", app.app_id);
    j.set("description", app.description);
    j.set("state", app.state);
    j.set("created_at", app.created_at.empty() ? Json() : Json(app.created_at));
    return j;
}

}  // namespace mgpux::stop
