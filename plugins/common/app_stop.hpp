// SPDX-License-Identifier: MIT
// Stopping m-gpux apps and recording it, as `m-gpux stop` and
// `m-gpux budget check --stop` both do: each app stopped by id in its own
// profile, the tracked sessions of the stopped apps marked stopped and the
// named secrets an older m-gpux made for them deleted, and one line per app.
#pragma once

#include "app_list.hpp"

#include <mgpux/plugin.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace mgpux::stop {

struct StopOutcome {
    AppRow app;
    bool ok = false;
    bool already = false;  // Modal said it had stopped before we asked
    bool dry = false;      // --dry-run: nothing was called
    std::string error;
};

// Where an app runs, for listings: its profile, "(modal default)", or
// "(this machine)" for the local backend's apps.
std::string place_label(const AppRow& app);

// sessions.json must be readable before anything is stopped: once apps are
// stopped, a file that cannot be read would keep their sessions marked
// running and their secrets in place. Throws Error(MGPUX_E_CONFIG) naming
// the file, that nothing was stopped, and `retry` (the command to run again).
void require_readable_sessions(const Host& host, const std::string& retry);

// One `modal app stop` per app, each pinned to its own profile, all at once.
// "Already stopped" counts as stopped.
std::vector<StopOutcome> stop_apps(const Host& host, const std::vector<AppRow>& targets);

// Deletes the stopped apps' session secrets and marks their sessions
// stopped. Returns the state file's status (MGPUX_OK or its error code): the
// apps are stopped whatever it says, so the caller reports first.
int32_t record_stops(const Host& host, const std::vector<StopOutcome>& outcomes);

// One line per app ("Stopped ...", "Already stopped: ...", "Failed to stop
// ...: why") and, unless it was a dry run, "Done: N stopped, M failed.".
void report_stops(const Host& host, const std::vector<StopOutcome>& outcomes);

// {"app_id", "profile", "error"} of a failed stop.
Json failure_json(const StopOutcome& outcome);

// The successes as app_json rows (with "already_stopped" where so).
Json stopped_json(const std::vector<StopOutcome>& outcomes);

}  // namespace mgpux::stop
