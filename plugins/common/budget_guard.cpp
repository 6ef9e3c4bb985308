// SPDX-License-Identifier: MIT
#include "budget_guard.hpp"

#include "budget_logic.hpp"

namespace budget {

namespace {

using mgpux::Json;

constexpr double kUsageTimeoutS = 60;

// This month's usage of `profile`; nullopt with `why` set when it cannot be read.
std::optional<Nanos> month_used(const mgpux::Host& host, const std::string& profile, std::string& why) {
    const Json r =
        mgpux::Modal(host).call({"billing", "report", "--for", "this month", "--json"}, profile, kUsageTimeoutS);
    if (!r.bool_or("ok")) {
        why = billing::describe_fetch_error(r.string_or("error"));
        return std::nullopt;
    }
    try {
        const Json* report = r.find("json");
        return billing::summarize(report ? *report : Json()).total;
    } catch (const billing::ReportError& e) {
        why = e.what();
        return std::nullopt;
    }
}

}  // namespace

void require_within_budget(const mgpux::Host& host, const mgpux::Args& args, const std::string& profile) {
    if (args.global_flag("dry_run")) return;
    const Limit limit = limit_for(parse_budgets(mgpux::State(host).read(kDocument)), profile);
    if (!limit.amount) return;
    const bool ignore = args.global_flag("ignore_budget");
    std::string why;
    const auto used = month_used(host, profile, why);
    if (!used) {
        const std::string what =
            "profile '" + profile + "' has a budget but its usage this month could not be checked (" + why + ")";
        if (ignore) return host.warn(what + "; launching anyway (--ignore-budget)\n");
        throw mgpux::Error(MGPUX_E_FAILED, what +
                                               "; try again, check the account with `m-gpux budget show`, or pass "
                                               "--ignore-budget to launch anyway");
    }
    if (*used < *limit.amount) return;
    const std::string figures =
        billing::format_usd(*used, 2) + " used of its " + billing::format_usd(*limit.amount, 2) + " budget this month";
    if (ignore)
        return host.warn("profile '" + profile + "' is over its budget (" + figures +
                         "); launching anyway (--ignore-budget)\n");
    throw mgpux::Error(MGPUX_E_FAILED, "profile '" + profile + "' is over its budget: " + figures +
                                           "; raise it (`m-gpux budget set AMOUNT -a " + profile +
                                           "`), use another profile, or pass --ignore-budget");
}

}  // namespace budget
