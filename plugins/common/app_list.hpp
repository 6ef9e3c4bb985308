// SPDX-License-Identifier: MIT
// Reading `modal app list --json`: which rows are m-gpux apps that still run.
// Pure logic (standard library and mgpux::Json only), a library the stop and
// sessions plugins link and unit-tested on its own.
#pragma once

#include <mgpux/plugin.hpp>

#include <string>
#include <vector>

namespace mgpux::stop {

// One app as `modal app list --json` reports it, plus the profile it was
// listed in (the profile every later call about it is pinned to).
struct AppRow {
    std::string profile;
    std::string app_id;
    std::string description;
    std::string state;
    std::string created_at;
};

// "ap-" followed by letters and digits: safe to put on a command line.
bool looks_like_app_id(const std::string& text);

// Modal's states for an app that is still running or about to:
// "deployed", "ephemeral", "ephemeral (detached)" and "initializing...".
// ("running" has not been a Modal state since 2024.)
bool is_live_state(const std::string& state);

// An app m-gpux launched: its description (the modal.App name) starts with "m-gpux".
bool is_mgpux_description(const std::string& description);

// The rows of one answer, read under either key spelling (snake_case since
// Modal 1.5.0, the column titles before). Rows without a valid app id are dropped;
// anything that is not an array gives no rows.
std::vector<AppRow> parse_app_list(const Json& doc, const std::string& profile);

// The live m-gpux apps among `rows`, in their order.
std::vector<AppRow> live_mgpux_apps(const std::vector<AppRow>& rows);

// True when `modal app stop` failed only because the app had already
// stopped ("App is already stopped. (Stopped at ...)"): the goal is reached.
bool says_already_stopped(const std::string& modal_output);

// "2026-08-20 09:14:03+00:00" or "2026-08-20T09:14:03+00:00" -> "2026-08-20 09:14";
// other text is returned unchanged.
std::string short_time(const std::string& timestamp);

// {"profile", "app_id", "description", "state", "created_at"}.
Json app_json(const AppRow& app);

}  // namespace mgpux::stop
