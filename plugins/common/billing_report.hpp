// SPDX-License-Identifier: MIT
// Pure logic over `modal billing report --json` rows: exact cost parsing,
// aggregation per environment and per app, money formatting and dates.
// A library both the billing and the account plugin (month usage) link, so
// Modal's cost strings have one parser.
#ifndef MGPUX_PLUGINS_BILLING_REPORT_HPP
#define MGPUX_PLUGINS_BILLING_REPORT_HPP

#include <mgpux/plugin.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace billing {

// Money is counted in nano-dollars (1e-9 USD) so that summing thousands of
// rows is exact: Modal's costs are decimal strings ("1.234567", "1E-7").
using Nanos = std::int64_t;
constexpr Nanos kNanosPerDollar = 1'000'000'000;

// A cost as Modal writes it (a decimal string, or a JSON number from an older
// client) in nano-dollars, rounded half away from zero. nullopt when the text
// is not a decimal number or the amount does not fit.
std::optional<Nanos> parse_cost(const std::string& text);
std::optional<Nanos> parse_cost(const mgpux::Json& value);

// "$1.23" / "-$0.0040" with `decimals` digits (0..9), rounded half away from zero.
std::string format_usd(Nanos amount, int decimals);

// Dollars as a JSON number, rounded to the nano-dollar.
double to_dollars(Nanos amount);

// One (app, environment) line of a report.
struct AppCost {
    std::string description;  // the app name Modal reports ("" when missing)
    std::string environment;  // "" when missing
    Nanos cost = 0;
};

// Costs of one workspace over the report's period.
struct Summary {
    Nanos total = 0;
    std::vector<std::pair<std::string, Nanos>> by_environment;  // cost desc, then name
    std::vector<AppCost> by_app;                                // cost desc, then names
};

// Thrown by summarize() for a report that is not the documented shape.
class ReportError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Sums a report's rows. Rows are grouped by the pair (description,
// environment) as given, never by a joined string, so an app whose name
// contains " - " keeps its whole name. Groups that add up to zero are left
// out of the breakdowns (the total still counts every row). Accepts both
// "environment" (the CLI) and "environment_name" (the Python API).
Summary summarize(const mgpux::Json& rows);

// The day `days` days before `today` as YYYY-MM-DD.
std::string date_days_before(std::chrono::sys_days today, long days);

// Today in UTC.
std::chrono::sys_days today_utc();

// A failure line from the modal service ("`modal billing report …` failed
// (exit 1): detail") without the command, plus a hint when the cause is known
// (an old modal without `billing`, a plan without billing access).
std::string describe_fetch_error(const std::string& error);

}  // namespace billing

#endif  // MGPUX_PLUGINS_BILLING_REPORT_HPP
