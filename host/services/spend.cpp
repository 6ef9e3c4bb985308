// SPDX-License-Identifier: MIT
#include "services/spend.hpp"

#include "host_context.hpp"
#include "services/catalog.hpp"
#include "services/rates.hpp"
#include "services/console.hpp"
#include "services/modal_service.hpp"
#include "services/profile_store.hpp"
#include "services/service_error.hpp"
#include "services/state_store.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace mgpux::services::spend {

namespace json = boost::json;

namespace {

constexpr double kUsageTimeoutS = 60;
// What Modal reserves for a container that asks for nothing: 0.125 cores, 128 MiB.
constexpr double kDefaultCores = 0.125;
constexpr double kDefaultMemoryGib = 0.125;

std::optional<double> number_of(const json::value& v) {
    if (v.is_double()) return v.get_double();
    if (v.is_int64()) return static_cast<double>(v.get_int64());
    if (v.is_uint64()) return static_cast<double>(v.get_uint64());
    return std::nullopt;
}

// A cost as Modal writes it: a decimal string ("1.25", "1E-7") or a number.
std::optional<double> cost_of(const json::value* v) {
    if (!v) return std::nullopt;
    if (v->is_string()) {
        const std::string text(v->get_string());
        char* end = nullptr;
        const double d = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(d)) return std::nullopt;
        return d;
    }
    return number_of(*v);
}

}  // namespace

Budgets parse_budgets(const json::value& doc, const std::filesystem::path& path) {
    Budgets out;
    if (doc.is_null()) return out;
    const auto refuse = [&](const std::string& why) {
        return ServiceError(kExitConfig,
                            path.string() + ": " + why + "; fix or move the file away (it was left unchanged)");
    };
    if (!doc.is_object()) throw refuse("the top level must be an object of profile names and amounts");
    for (const auto& [name, value] : doc.get_object()) {
        const auto amount = number_of(value);
        if (!amount || *amount < 0 || !std::isfinite(*amount))
            throw refuse("the budget of '" + std::string(name) + "' is not a non-negative number");
        out[std::string(name)] = *amount;
    }
    return out;
}

std::optional<double> limit_for(const Budgets& budgets, const std::string& profile) {
    if (auto it = budgets.find(profile); it != budgets.end()) return it->second;
    if (auto it = budgets.find("*"); it != budgets.end()) return it->second;
    return std::nullopt;
}

std::optional<double> month_used(const json::value& report) {
    if (!report.is_array()) return std::nullopt;
    double total = 0;
    for (const auto& row : report.get_array()) {
        if (!row.is_object()) return std::nullopt;
        const auto cost = cost_of(row.get_object().if_contains("cost"));
        if (!cost) return std::nullopt;
        total += *cost;
    }
    return total;
}

std::string usd(double amount) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "$%.2f", amount);
    return buf;
}

double spendable(const Account& a) { return std::max(a.limit.value_or(kStarterCreditUsd) - a.used.value_or(0), 0.0); }

bool over_budget(const Account& a) { return a.used && a.limit && *a.used >= *a.limit; }

AutoChoice choose_auto(const std::vector<Account>& accounts) {
    const Account* best = nullptr;
    std::size_t skipped_over = 0, unknown = 0;
    for (const auto& a : accounts) {
        if (!a.used) {
            ++unknown;
            continue;
        }
        if (over_budget(a)) {
            ++skipped_over;
            continue;
        }
        if (spendable(a) > 0 && (!best || spendable(a) > spendable(*best))) best = &a;
    }
    AutoChoice choice;
    std::string notes;
    if (skipped_over) notes += ", " + std::to_string(skipped_over) + " over budget skipped";
    if (unknown) notes += ", " + std::to_string(unknown) + " without usage figures skipped";
    if (!best) {
        choice.reason =
            "no profile has money left to spend (" + std::to_string(accounts.size()) + " checked" + notes + ")";
        return choice;
    }
    choice.profile = best->profile;
    choice.reason = usd(spendable(*best)) + " left of " + usd(best->limit.value_or(kStarterCreditUsd)) +
                    (best->limit ? " budget" : " credit") + ", the most of " + std::to_string(accounts.size()) +
                    " profile(s)" + notes;
    return choice;
}

std::optional<double> hourly_price(const std::string& label, const RateTable& rates) {
    // Billed for its reservation at least (more when it uses more).
    if (label == kDefaultContainerLabel)
        return kDefaultCores * rates.cpu_core_hour.usd + kDefaultMemoryGib * rates.memory_gib_hour.usd;
    // "CPU (8 cores, 4096 MB)": the label the catalog gives CPU sizes.
    if (label.rfind("CPU (", 0) == 0) {
        const auto comma = label.find(", ");
        const int cores = std::atoi(label.c_str() + 5);
        const int memory_mb = comma == std::string::npos ? 0 : std::atoi(label.c_str() + comma + 2);
        if (cores <= 0 || memory_mb <= 0) return std::nullopt;
        return cpu_price_per_hour(cores, memory_mb, rates);
    }
    try {
        return gpu_spec_price_per_hour(parse_gpu_spec(label), rates);
    } catch (const ServiceError&) {
        return std::nullopt;
    }
}

std::string worst_case_text(long long timeout_s, double per_hour) {
    const double hours = static_cast<double>(timeout_s) / 3600.0;
    char h[32];
    if (std::fabs(hours - std::round(hours)) < 1e-9) std::snprintf(h, sizeof h, "%.0f h", hours);
    else std::snprintf(h, sizeof h, "%.2f h", hours);
    return std::string(h) + " × " + price_text(per_hour) + " ≈ " + usd(hours * per_hour) + " at most";
}

// ---------------------------------------------------------------- host side

std::vector<Account> fetch_accounts(HostContext& ctx, const std::vector<std::string>& profiles) {
    const Budgets budgets = parse_budgets(StateStore(state_dir()).read("budgets"), state_dir() / "budgets.json");
    const auto results =
        ModalService(ctx).fan_out({"billing", "report", "--for", "this month", "--json"}, profiles, kUsageTimeoutS);
    std::vector<Account> out;
    for (std::size_t i = 0; i < profiles.size(); ++i) {
        Account a;
        a.profile = profiles[i];
        a.limit = limit_for(budgets, a.profile);
        if (i < results.size() && results[i].ok()) a.used = month_used(results[i].json);
        out.push_back(std::move(a));
    }
    return out;
}

std::string resolve_auto_profile(HostContext& ctx) {
    std::vector<std::string> names;
    for (const auto& p : ProfileStore(modal_config_path()).list())
        if (p.has_token_id && p.has_token_secret) names.push_back(p.name);
    if (names.empty())
        throw ServiceError(kExitConfig, "--profile AUTO: no profile with a token in " + modal_config_path().string() +
                                            "; run `m-gpux account add` first");
    const std::string what = "AUTO: fetching this month's usage for " + std::to_string(names.size()) + " profile(s)";
    ctx.console->progress(what.c_str());
    const AutoChoice choice = choose_auto(fetch_accounts(ctx, names));
    ctx.console->progress(nullptr);
    if (!choice.profile)
        throw ServiceError(kExitFailed, "--profile AUTO: " + choice.reason +
                                            "; name a profile with --profile, or raise a budget (`m-gpux budget set`)");
    ctx.console->text(TextKind::Info, "AUTO chose profile '" + *choice.profile + "': " + choice.reason + "\n");
    return *choice.profile;
}

}  // namespace mgpux::services::spend
