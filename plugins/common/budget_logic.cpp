// SPDX-License-Identifier: MIT
#include "budget_logic.hpp"

#include <algorithm>
#include <cmath>

namespace budget {
namespace {

mgpux::Error corrupt(const std::string& why) {
    return mgpux::Error(MGPUX_E_CONFIG, "budgets.json: " + why + "; fix or move the file away (it was left unchanged)");
}

double dollars(Nanos n) { return billing::to_dollars(n); }

mgpux::Json money_or_null(const std::optional<Nanos>& n) { return n ? mgpux::Json(dollars(*n)) : mgpux::Json(); }

}  // namespace

Budgets parse_budgets(const mgpux::Json& doc) {
    Budgets out;
    if (doc.is_null()) return out;
    if (!doc.is_object()) throw corrupt("the top level must be an object of profile names and amounts");
    for (const auto& [name, value] : doc.as_object()) {
        const std::optional<Nanos> amount = value.is_number() ? billing::parse_cost(value) : std::nullopt;
        if (!amount || *amount < 0) throw corrupt("the budget of '" + name + "' is not a non-negative number");
        out[name] = *amount;
    }
    return out;
}

mgpux::Json budgets_json(const Budgets& budgets) {
    mgpux::Json doc = mgpux::Json::object();
    for (const auto& [name, amount] : budgets) doc.set(name, dollars(amount));
    return doc;
}

Nanos parse_amount(const std::string& text) {
    std::string t = text;
    if (!t.empty() && t.front() == '$') t.erase(0, 1);
    const std::optional<Nanos> n =
        t.empty() || t.front() == '-' || t.front() == '+' ? std::nullopt : billing::parse_cost(t);
    if (!n || *n < 0)
        throw mgpux::usage_error("AMOUNT must be a monthly limit in US dollars, such as 25 or 12.50, not '" + text +
                                 "'");
    return *n;
}

Limit limit_for(const Budgets& budgets, const std::string& profile) {
    if (auto it = budgets.find(profile); it != budgets.end()) return {it->second, "own"};
    if (auto it = budgets.find(kDefaultKey); it != budgets.end()) return {it->second, "default (*)"};
    return {};
}

std::optional<Nanos> Standing::spendable() const {
    if (!used) return std::nullopt;
    return std::max<Nanos>(limit.amount.value_or(kStarterCredit) - *used, 0);
}

bool Standing::over() const { return used && limit.amount && *used >= *limit.amount; }

std::string status_word(const Standing& s) {
    if (!s.used) return "unknown";
    if (!s.limit.amount) return "no limit";
    return s.over() ? "over budget" : "ok";
}

mgpux::Json standing_json(const Standing& s) {
    mgpux::Json j = mgpux::Json::object();
    j.set("profile", s.profile);
    j.set("budget", money_or_null(s.limit.amount));
    j.set("budget_source", s.limit.source.empty() ? mgpux::Json() : mgpux::Json(s.limit.source));
    j.set("used", money_or_null(s.used));
    j.set("spendable", money_or_null(s.spendable()));
    j.set("over", s.over());
    j.set("error", s.error.empty() ? mgpux::Json() : mgpux::Json(s.error));
    return j;
}

std::string watch_line(const std::string& clock, const std::vector<Standing>& all) {
    std::string line = clock;
    for (std::size_t i = 0; i < all.size(); ++i) {
        const Standing& s = all[i];
        line += (i ? "; " : " ") + s.profile + " ";
        if (!s.used) {
            line += "usage unavailable";
            continue;
        }
        line += billing::format_usd(*s.used, 2) + " of ";
        line += s.limit.amount ? billing::format_usd(*s.limit.amount, 2)
                               : billing::format_usd(kStarterCredit, 2) + " credit";
        if (s.over()) line += " OVER";
    }
    return line;
}

}  // namespace budget
