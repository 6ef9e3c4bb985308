// SPDX-License-Identifier: MIT
#include "app_stop.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace mgpux::stop {

namespace {

constexpr double kStopTimeoutS = 60;

std::string profile_label(const std::string& profile) { return profile.empty() ? "(modal default)" : profile; }

std::string app_words(const AppRow& a) { return a.description + " (" + a.app_id + ") in " + place_label(a); }

// A session's profile ("" = the one active when it started) against the one an app was listed in.
bool same_profile(const std::string& session_profile, const std::string& listed) {
    return session_profile.empty() || listed.empty() || session_profile == listed;
}

// Marks every tracked session of a stopped app "stopped" (a deployment's sessions
// are recorded by app name, without an id). Returns how many changed.
std::size_t mark_sessions_stopped(const Host& host, const std::vector<StopOutcome>& outcomes) {
    std::set<std::string> stopped;
    std::vector<const AppRow*> deployments;  // stopped deployed apps, for sessions recorded by name
    for (const StopOutcome& o : outcomes) {
        if (!o.ok || o.dry) continue;
        stopped.insert(o.app.app_id);
        if (o.app.state == "deployed") deployments.push_back(&o.app);
    }
    if (stopped.empty()) return 0;
    auto is_stopped = [&](const SessionRecord& s) {
        if (stopped.count(s.app_id.value_or(""))) return true;
        if (!s.app_id.value_or("").empty() || !s.extra.bool_or("deployed")) return false;
        return std::any_of(deployments.begin(), deployments.end(), [&](const AppRow* a) {
            return a->description == s.app_name.value_or("") && same_profile(s.profile.value_or(""), a->profile);
        });
    };
    State state(host);
    std::size_t changed = 0;
    SessionRecord fields;
    fields.state = "stopped";
    for (const SessionRecord& s : state.sessions()) {
        if (!is_stopped(s) || s.state == "stopped") continue;
        const std::string id = s.id.value_or("");
        state.session_update(id.empty() ? s.app_id.value_or(s.app_name.value_or("")) : id, fields);
        ++changed;
    }
    return changed;
}

// The credentials secrets of the tracked sessions of the stopped apps (only
// sessions recorded by an older m-gpux name one: newer ones pass their
// credentials as an ephemeral secret), deleted once the apps are stopped; a
// failure only warns (the app, what costs money, is stopped). Returns the names deleted.
std::vector<std::string> delete_session_secrets(const Host& host, const std::vector<StopOutcome>& outcomes) {
    std::map<std::string, std::string> profile_of;  // app id -> the profile it was stopped in
    for (const StopOutcome& o : outcomes)
        if (o.ok && !o.dry) profile_of[o.app.app_id] = o.app.profile;
    std::vector<std::string> deleted;
    if (profile_of.empty()) return deleted;
    for (const SessionRecord& s : State(host).sessions()) {
        const auto it = profile_of.find(s.app_id.value_or(""));
        const std::string secret = s.secret_name.value_or("");
        // A local session's credentials never became a Modal secret (they are in its run directory).
        if (it == profile_of.end() || secret.empty() || s.backend == "local") continue;
        try {
            Modal(host).secret_delete(secret, it->second);
            deleted.push_back(secret);
        } catch (const Error& e) {
            if (e.code() == MGPUX_E_CANCELLED) throw;
            host.warn("Could not delete the session secret " + secret + "; remove it with `modal secret delete " +
                      secret + "`.\n");
        }
    }
    return deleted;
}

}  // namespace

std::string place_label(const AppRow& a) {
    return a.profile.empty() && a.app_id.rfind("ap-local", 0) == 0 ? "(this machine)" : profile_label(a.profile);
}

void require_readable_sessions(const Host& host, const std::string& retry) {
    try {
        State(host).read("sessions");
    } catch (const Error& e) {
        if (e.code() != MGPUX_E_CONFIG) throw;
        throw Error(MGPUX_E_CONFIG, std::string(e.what()) +
                                        "; nothing was stopped. Repair or move that file, then run `" + retry +
                                        "` again (`modal app stop <app-id>` stops one app without m-gpux)");
    }
}

std::vector<StopOutcome> stop_apps(const Host& host, const std::vector<AppRow>& targets) {
    std::vector<Json> requests;
    for (const AppRow& a : targets) {
        Json req = Json::object();
        req.set("args", Json(Json::Array{"app", "stop", a.app_id}));
        req.set("profile", a.profile.empty() ? Json() : Json(a.profile));
        req.set("timeout_s", kStopTimeoutS);
        requests.push_back(req);
    }
    const Json rows = Modal(host).call_many(requests);
    std::vector<StopOutcome> outcomes;
    for (std::size_t i = 0; i < targets.size(); ++i) {
        const Json& row = rows.as_array().at(i);
        StopOutcome o;
        o.app = targets[i];
        o.ok = row.bool_or("ok");
        o.dry = row.bool_or("skipped");
        if (!o.ok && says_already_stopped(row.string_or("stderr") + row.string_or("stdout"))) {
            o.ok = true;
            o.already = true;
        }
        if (!o.ok) o.error = row.string_or("error");
        outcomes.push_back(std::move(o));
    }
    return outcomes;
}

int32_t record_stops(const Host& host, const std::vector<StopOutcome>& outcomes) {
    try {
        const std::vector<std::string> secrets = delete_session_secrets(host, outcomes);
        const std::size_t changed = mark_sessions_stopped(host, outcomes);
        if (changed) host.info("Marked " + std::to_string(changed) + " tracked session(s) stopped.\n");
        if (!secrets.empty()) host.info("Deleted " + std::to_string(secrets.size()) + " session secret(s).\n");
        return MGPUX_OK;
    } catch (const Error& e) {
        if (e.code() == MGPUX_E_CANCELLED) throw;
        return e.code();
    }
}

void report_stops(const Host& host, const std::vector<StopOutcome>& outcomes) {
    std::size_t ok = 0, failed = 0;
    for (const StopOutcome& o : outcomes) {
        if (o.dry) {
            host.info("Would stop " + app_words(o.app) + "\n");
        } else if (o.already) {
            host.success("Already stopped: " + app_words(o.app) + "\n");
        } else if (o.ok) {
            host.success("Stopped " + app_words(o.app) + "\n");
        } else {
            host.warn("Failed to stop " + app_words(o.app) + ": " + o.error + "\n");
        }
        (o.ok ? ok : failed) += 1;
    }
    if (!outcomes.empty() && outcomes.front().dry) return;
    host.text("Done: " + std::to_string(ok) + " stopped, " + std::to_string(failed) + " failed.\n");
}

Json failure_json(const StopOutcome& o) {
    Json f = Json::object();
    f.set("app_id", o.app.app_id);
    f.set("profile", o.app.profile);
    f.set("error", o.error);
    return f;
}

Json stopped_json(const std::vector<StopOutcome>& outcomes) {
    Json stopped = Json::array();
    for (const StopOutcome& o : outcomes) {
        if (o.dry || !o.ok) continue;
        Json j = app_json(o.app);
        if (o.already) j.set("already_stopped", true);
        stopped.push(j);
    }
    return stopped;
}

}  // namespace mgpux::stop
