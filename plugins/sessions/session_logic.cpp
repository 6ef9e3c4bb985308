// SPDX-License-Identifier: MIT
#include "session_logic.hpp"

#include <algorithm>
#include <filesystem>

namespace mgpux::sessions {

namespace {

const AppRow* find_app(const std::vector<AppRow>& rows, const std::string& app_id) {
    for (const AppRow& r : rows)
        if (r.app_id == app_id) return &r;
    return nullptr;
}

bool has_live_app_named(const std::vector<AppRow>& rows, const std::string& name) {
    return std::any_of(rows.begin(), rows.end(),
                       [&](const AppRow& r) { return r.description == name && stop::is_live_state(r.state); });
}

std::optional<std::string> target_state(const Json& s, const std::vector<AppRow>& rows) {
    const std::string current = s.string_or("state");
    const std::string app_id = s.string_or("app_id");
    if (!app_id.empty()) {
        const AppRow* app = find_app(rows, app_id);
        if (!app) return current == "failed" ? std::nullopt : std::optional<std::string>("stopped");
        auto to = state_for_modal(app->state);
        if (to && *to == "stopped" && current == "failed") return std::nullopt;
        return to;
    }
    const std::string name = s.string_or("app_name");
    if (name.empty() || current == "failed" || has_live_app_named(rows, name)) return std::nullopt;
    return "stopped";
}

}  // namespace

std::optional<std::string> state_for_modal(const std::string& modal_state) {
    if (stop::is_live_state(modal_state)) return "running";
    if (modal_state == "stopped" || modal_state == "stopping..." || modal_state == "disabled") return "stopped";
    return std::nullopt;
}

std::vector<StateChange> reconcile(const Json& sessions, const std::map<std::string, std::vector<AppRow>>& listings,
                                   const std::string& default_profile) {
    std::vector<StateChange> changes;
    if (!sessions.is_array()) return changes;
    for (const Json& s : sessions.as_array()) {
        if (!s.is_object()) continue;
        const std::string ref = !s.string_or("id").empty() ? s.string_or("id") : s.string_or("app_id");
        if (ref.empty()) continue;  // nothing to address an update to
        std::string profile = s.string_or("profile");
        if (profile.empty()) profile = default_profile;
        const auto listing = listings.find(profile);
        if (listing == listings.end()) continue;
        const auto to = target_state(s, listing->second);
        const std::string from = s.string_or("state");
        if (to && *to != from) changes.push_back({ref, from, *to});
    }
    return changes;
}

Json sessions_on_backend(const Json& sessions, const std::string& backend) {
    Json out = Json::array();
    if (!sessions.is_array()) return out;
    for (const Json& s : sessions.as_array()) {
        const std::string recorded = s.is_object() ? s.string_or("backend") : std::string();
        if ((recorded.empty() ? std::string("modal") : recorded) == backend) out.push(s);
    }
    return out;
}

std::optional<AppRow> newest_live_app(const std::vector<AppRow>& rows, const std::string& app_name) {
    std::optional<AppRow> best;
    for (const AppRow& r : rows) {
        if (r.description != app_name || !stop::is_live_state(r.state)) continue;
        // Modal's timestamps sort as text; on a tie the later row is newer.
        if (!best || r.created_at >= best->created_at) best = r;
    }
    return best;
}

std::vector<Json> list_row(const Json& session) {
    auto or_dash = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
    std::string app = session.string_or("app_id");
    if (app.empty() && !session.string_or("app_name").empty()) app = session.string_or("app_name") + " (by name)";
    const std::string state = session.string_or("state");
    return {Json(or_dash(session.string_or("id"))),
            Json(or_dash(session.string_or("kind"))),
            Json(or_dash(session.string_or("profile"))),
            Json(or_dash(session.string_or("compute"))),
            Json(or_dash(app)),
            Json(state.empty() ? std::string("unknown") : state),
            Json(or_dash(stop::short_time(session.string_or("created_at"))))};
}

std::vector<std::pair<std::string, std::string>> show_fields(const Json& session) {
    std::vector<std::pair<std::string, std::string>> out;
    if (!session.is_object()) return out;
    for (const auto& [key, value] : session.as_object()) {
        std::string text = value.is_string() ? value.as_string() : value.is_null() ? "-" : value.dump();
        out.emplace_back(key, std::move(text));
    }
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    return out;
}

std::string credentials_path(const SessionRecord& session, const std::string& state_dir) {
    namespace fs = std::filesystem;
    constexpr const char* kFile = "credentials.env";  // the name the launches write
    const std::string script = session.script_path.value_or("");
    if (!script.empty() && fs::path(script).has_parent_path()) return (fs::path(script).parent_path() / kFile).string();
    const std::string run_id = session.run_id.value_or("");
    // A run id is one path component (the runner makes <date>-<time>-<hex>).
    if (run_id.empty() || state_dir.empty() || run_id.find('/') != std::string::npos || run_id == "." || run_id == "..")
        return {};
    return (fs::path(state_dir) / "runs" / run_id / kFile).string();
}

std::string credentials_words(const std::string& kind) {
    if (kind == "jupyter") return "the Jupyter token (JUPYTER_TOKEN)";
    if (kind == "bash" || kind == "dev" || kind == "interactive") return "the login (TTYD_CREDENTIAL=user:password)";
    if (kind == "vllm") return "the API key (VLLM_API_KEY)";
    return "the session's credentials";
}

bool is_web_url(const std::string& url) {
    std::size_t start = 0;
    if (url.rfind("https://", 0) == 0) start = 8;
    else if (url.rfind("http://", 0) == 0) start = 7;
    else return false;
    if (url.size() <= start) return false;
    return std::none_of(url.begin(), url.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u <= 0x20 || u == 0x7f;
    });
}

bool is_volume_name(const std::string& name) {
    if (name.empty() || name.size() > 64 || name[0] == '-') return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
               c == '-';
    });
}

}  // namespace mgpux::sessions
