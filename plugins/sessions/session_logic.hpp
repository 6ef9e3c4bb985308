// SPDX-License-Identifier: MIT
// The decisions of `m-gpux sessions` that need no host: reconciling tracked
// sessions with `modal app list`, finding the app of a session recorded by
// name only, and the text of the list and show views.
#pragma once

#include "app_list.hpp"  // from plugins/stop: one definition of a live m-gpux app

#include <mgpux/plugin.hpp>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mgpux::sessions {

using stop::AppRow;

// The session state a Modal app state means: "running" for deployed,
// ephemeral, ephemeral (detached) and initializing...; "stopped" for
// stopped, stopping... and disabled; nothing for "unknown" or new words.
std::optional<std::string> state_for_modal(const std::string& modal_state);

struct StateChange {
    std::string ref;  // the session's id (its app id when it has none)
    std::string from;
    std::string to;
};

// What --refresh changes. `listings` holds the apps of every profile whose
// `app list` worked; a session in any other profile is left alone.
// `default_profile` stands in for a session recorded without a profile.
//  - with an app_id: listed -> the state Modal's state means; not listed
//    (Modal forgets stopped apps after a while) -> "stopped";
//  - by name only (the Python tool's records): "stopped" when no live app
//    of that name is listed; left alone otherwise (several sessions share
//    one name, so a live app does not say which one it is);
//  - a "failed" session stays failed unless its app is live.
std::vector<StateChange> reconcile(const Json& sessions, const std::map<std::string, std::vector<AppRow>>& listings,
                                   const std::string& default_profile);

// The sessions that ran on `backend` ("modal" or "local"; a record without the field is Modal's):
// a refresh compares only those with the apps that backend lists.
Json sessions_on_backend(const Json& sessions, const std::string& backend);

// The newest live app whose description is `app_name` (the app a session
// recorded by name means), or nothing.
std::optional<AppRow> newest_live_app(const std::vector<AppRow>& rows, const std::string& app_name);

// Cells of the list table: ID, Kind, Profile, Compute, App ID, State, Created.
std::vector<Json> list_row(const Json& session);

// Every member in key order, as text (strings bare, null as "-", anything
// else as JSON), for `sessions show`.
std::vector<std::pair<std::string, std::string>> show_fields(const Json& session);

// The 0600 credentials file a launch keeps in its run directory, beside the
// script (<run dir>/credentials.env): from the recorded script_path, else
// from run_id under `state_dir`. "" when the session records neither (the
// Python tool's sessions). The file itself is never read here.
std::string credentials_path(const SessionRecord& session, const std::string& state_dir);

// What a session's credentials file holds, for a sentence: "the Jupyter
// token (JUPYTER_TOKEN)", "the login (TTYD_CREDENTIAL=user:password)"...
std::string credentials_words(const std::string& kind);

// http:// or https:// followed by at least a host, no spaces or controls:
// the only URLs handed to a browser.
bool is_web_url(const std::string& url);

// A Modal Volume name ([A-Za-z0-9._-], at most 64, not starting with '-'):
// safe to put on a command line.
bool is_volume_name(const std::string& name);

}  // namespace mgpux::sessions
