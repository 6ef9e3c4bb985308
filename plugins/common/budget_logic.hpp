// SPDX-License-Identifier: MIT
// Pure logic of the budget plugin: the budgets file (~/.m-gpux/budgets.json,
// profile name or "*" -> monthly limit in USD, the original's format), amounts,
// and what is left of each account's month. No host calls: unit-tested alone.
#pragma once

#include "billing_report.hpp"

#include <mgpux/plugin.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace budget {

using billing::Nanos;

inline constexpr const char* kDocument = "budgets";
inline constexpr const char* kDefaultKey = "*";  // the limit of every account without its own
// Without a budget, an account may spend the Starter plan's monthly credit.
constexpr Nanos kStarterCredit = 30 * billing::kNanosPerDollar;

using Budgets = std::map<std::string, Nanos>;

// The document as read by the state service (null = no file = no budgets).
// Anything but an object of non-negative numbers is exit 3: the file is left
// as it is for the user to fix.
Budgets parse_budgets(const mgpux::Json& doc);

// The document to write (numbers in dollars).
mgpux::Json budgets_json(const Budgets& budgets);

// "25", "12.50", "$40": a non-negative amount in USD; usage_error otherwise.
Nanos parse_amount(const std::string& text);

// The limit that applies to `profile`: its own, else "*", else none.
struct Limit {
    std::optional<Nanos> amount;
    std::string source;  // "own" | "default (*)" | "" (none)
};
Limit limit_for(const Budgets& budgets, const std::string& profile);

// One account's month against its limit.
struct Standing {
    std::string profile;
    Limit limit;
    std::optional<Nanos> used;  // nullopt: the billing call failed
    std::string error;
    // The cap (the limit, else the Starter credit) minus used, at least 0.
    std::optional<Nanos> spendable() const;
    // Used reached the limit (an account without a limit is never over).
    bool over() const;
};

// "over budget" | "ok" | "unknown" (no figure) | "no limit".
std::string status_word(const Standing& s);

// {"profile", "budget", "budget_source", "used", "spendable", "over", "error"} with dollars as numbers.
mgpux::Json standing_json(const Standing& s);

// A line of `budget watch`: "12:00:00 work $31.00 of $30.00 OVER; play $2.00 of $30.00 credit".
std::string watch_line(const std::string& clock, const std::vector<Standing>& all);

}  // namespace budget
