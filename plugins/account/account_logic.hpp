// SPDX-License-Identifier: MIT
// Pure logic of the account plugin: month usage and remaining credit from a
// fan-out row, the AUTO pick (most credit left), and the token input rules of
// `account add`. No host calls here, so it is unit-tested on its own.
#ifndef MGPUX_PLUGINS_ACCOUNT_LOGIC_HPP
#define MGPUX_PLUGINS_ACCOUNT_LOGIC_HPP

#include "billing_report.hpp"

#include <mgpux/plugin.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace account {

using billing::Nanos;

// The Starter plan's free credit per workspace and month (USD 30).
constexpr Nanos kMonthlyCredit = 30 * billing::kNanosPerDollar;

// What `account list` knows about one profile's month.
struct Balance {
    std::optional<Nanos> used;       // nullopt: not fetched or failed
    std::optional<Nanos> remaining;  // max(credit - used, 0)
    std::string error;               // why there is no figure ("" when none)
};

// max(kMonthlyCredit - used, 0).
Nanos remaining_credit(Nanos used);

// A row of the modal service's fan-out ({"ok", "error", "json", ...}) for
// `billing report --for "this month" --json` turned into a balance.
Balance balance_from_row(const mgpux::Json& row);

// The AUTO choice: the profile with the most credit left, which
// must be more than zero; the first in file order wins a tie. Profiles
// without a figure are skipped. nullopt when none qualifies (the caller then
// falls back to a manual choice).
std::optional<std::string> auto_pick(const std::vector<std::pair<std::string, std::optional<Nanos>>>& used);

// The Note column of `account list`.
std::string balance_note(const Balance& b, bool has_token, bool auto_picked);

// "August 2026" for the current-period line.
std::string month_label(std::chrono::sys_days day);

// The values `account add` collects, from options, a pasted line or stdin.
struct Credentials {
    std::string name;
    std::string token_id;
    std::string token_secret;
};

// Fills `c` from a parsed `modal token set` line (the profiles service's
// parse_token_command result: {"token_id", "token_secret", "profile"} or
// null). Both tokens are taken; the pasted --profile becomes the name only
// when no name was given. Returns false for null.
bool apply_paste(Credentials& c, const mgpux::Json& parsed);

// Surrounding whitespace removed (names and piped secrets).
std::string trim(const std::string& s);

// Hints about values that do not look like Modal tokens (ak-… / as-…);
// never quotes the secret.
std::vector<std::string> token_warnings(const Credentials& c);

// MODAL_TOKEN_ID / MODAL_TOKEN_SECRET in the environment override every
// profile's tokens inside `modal`. The note shown next to a profile while
// they are set: `profile` is the one shown or pinned ("" for none);
// `every_profile` when a whole list of profiles is shown.
std::string env_tokens_note(const std::string& profile, bool every_profile);

}  // namespace account

#endif  // MGPUX_PLUGINS_ACCOUNT_LOGIC_HPP
