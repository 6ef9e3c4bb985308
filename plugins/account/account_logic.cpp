// SPDX-License-Identifier: MIT
#include "account_logic.hpp"

#include <algorithm>

namespace account {

Nanos remaining_credit(Nanos used) { return std::max<Nanos>(kMonthlyCredit - used, 0); }

Balance balance_from_row(const mgpux::Json& row) {
    Balance b;
    const mgpux::Json* ok = row.find("ok");
    if (!ok || !ok->is_bool() || !ok->as_bool()) {
        b.error = billing::describe_fetch_error(row.string_or("error", "the billing report failed"));
        return b;
    }
    try {
        const mgpux::Json* rows = row.find("json");
        b.used = billing::summarize(rows ? *rows : mgpux::Json()).total;
        b.remaining = remaining_credit(*b.used);
    } catch (const billing::ReportError& e) {
        b.error = e.what();
    }
    return b;
}

std::optional<std::string> auto_pick(const std::vector<std::pair<std::string, std::optional<Nanos>>>& used) {
    std::optional<std::string> best;
    Nanos best_left = 0;
    for (const auto& [name, u] : used) {
        if (!u) continue;
        // Unclamped, as the original: an overspent profile is never picked.
        const Nanos left = kMonthlyCredit - *u;
        if (left > best_left) {
            best = name;
            best_left = left;
        }
    }
    return best;
}

std::string balance_note(const Balance& b, bool has_token, bool auto_picked) {
    if (!has_token) return "no token";
    if (!b.error.empty()) return "error: " + b.error;
    if (!b.used) return "";
    if (*b.used >= kMonthlyCredit) return "credit used up";
    std::string note;
    if (*b.remaining < 5 * billing::kNanosPerDollar) note = "under $5 left";
    if (auto_picked) note += std::string(note.empty() ? "" : "; ") + "AUTO pick (most credit left)";
    return note;
}

std::string month_label(std::chrono::sys_days day) {
    static const char* const kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                                          "July",    "August",   "September", "October", "November", "December"};
    const std::chrono::year_month_day ymd{day};
    return std::string(kMonths[static_cast<unsigned>(ymd.month()) - 1]) + " " +
           std::to_string(static_cast<int>(ymd.year()));
}

bool apply_paste(Credentials& c, const mgpux::Json& parsed) {
    if (!parsed.is_object()) return false;
    const mgpux::Json* id = parsed.find("token_id");
    const mgpux::Json* secret = parsed.find("token_secret");
    if (!id || !id->is_string() || !secret || !secret->is_string()) return false;
    c.token_id = id->as_string();
    c.token_secret = secret->as_string();
    if (const mgpux::Json* p = parsed.find("profile"); c.name.empty() && p && p->is_string()) c.name = p->as_string();
    return true;
}

std::string trim(const std::string& s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return {};
    return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

std::vector<std::string> token_warnings(const Credentials& c) {
    std::vector<std::string> out;
    const auto starts = [](const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; };
    if (starts(c.token_id, "as-") && starts(c.token_secret, "ak-"))
        out.push_back("the token id starts with as- and the secret with ak-: were they swapped?");
    else {
        if (!starts(c.token_id, "ak-")) out.push_back("the token id does not start with ak- as Modal token ids do");
        if (!starts(c.token_secret, "as-"))
            out.push_back("the token secret does not start with as- as Modal token secrets do");
    }
    return out;
}

std::string env_tokens_note(const std::string& profile, bool every_profile) {
    std::string note =
        "Note: MODAL_TOKEN_ID / MODAL_TOKEN_SECRET are set in the environment: `modal` authenticates with those "
        "tokens";
    if (!profile.empty()) note += ", not profile '" + profile + "'" + (every_profile ? " or any other" : "");
    else if (every_profile) note += ", not any profile's";
    const char* use = every_profile ? "the profiles" : profile.empty() ? "a profile" : "the profile";
    return note + ", while they are set; unset them to use " + use + ".\n";
}

}  // namespace account
