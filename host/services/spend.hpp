// SPDX-License-Identifier: MIT
// Spend control on the host side: the monthly budgets (~/.m-gpux/budgets.json,
// the budget plugin's file), this month's usage from a billing report, the
// launch guard's verdict, the AUTO profile choice and run cost estimates.
// The pure parts are unit-tested; fetching goes through the modal service.
#pragma once

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mgpux {
struct HostContext;
}

namespace mgpux::services {
struct RateTable;
}

namespace mgpux::services::spend {

// The profile name that asks for the automatic choice.
inline constexpr const char* kAutoProfile = "AUTO";
// Without a budget an account may spend the Starter plan's monthly credit.
inline constexpr double kStarterCreditUsd = 30.0;

using Budgets = std::map<std::string, double>;  // profile or "*" -> USD a month

// budgets.json as the state store read it (null = none). Anything but an
// object of non-negative numbers is ServiceError(kExitConfig) naming `path`.
Budgets parse_budgets(const boost::json::value& doc, const std::filesystem::path& path);

// The profile's own limit, else "*", else none.
std::optional<double> limit_for(const Budgets& budgets, const std::string& profile);

// The sum of a `modal billing report --json` answer's "cost" members (decimal
// strings or numbers); nullopt when it is not an array of such rows.
std::optional<double> month_used(const boost::json::value& report);

// "$31.00".
std::string usd(double amount);

// One account as the AUTO choice sees it.
struct Account {
    std::string profile;
    std::optional<double> used;  // nullopt: its billing report failed
    std::optional<double> limit;
};

// What is left to spend: the limit (else the Starter credit) minus used, at least 0.
double spendable(const Account& a);
// Used reached a limit that is set.
bool over_budget(const Account& a);

struct AutoChoice {
    std::optional<std::string> profile;  // nullopt: no account qualifies
    std::string reason;                  // printed with the choice, or why none was made
};

// The account with the most spendable money: accounts without a figure or
// over their budget are skipped, and one with nothing left does not qualify;
// the first in file order wins a tie.
AutoChoice choose_auto(const std::vector<Account>& accounts);

// The compute label of a container that asks for no CPU or memory of its own.
inline constexpr const char* kDefaultContainerLabel = "CPU (Modal's default container)";

// USD per hour at `rates` of a runner request's compute label ("L4",
// "H100:2", "CPU (8 cores, 4096 MB)", or the default container: Modal
// reserves 0.125 cores and 128 MiB for it); nullopt when unknown.
std::optional<double> hourly_price(const std::string& compute_label, const RateTable& rates);

// "24 h × ~$3.95/h ≈ $94.80 at most".
std::string worst_case_text(long long timeout_s, double per_hour);

// ---------------------------------------------------------------- host side

// This month's usage of each profile, fetched at once (nullopt for a failure).
std::vector<Account> fetch_accounts(HostContext& ctx, const std::vector<std::string>& profiles);

// --profile AUTO: picks the profile (printing the choice and its reason on
// stderr) and returns it. Throws ServiceError(kExitFailed) when none qualifies.
std::string resolve_auto_profile(HostContext& ctx);

}  // namespace mgpux::services::spend
