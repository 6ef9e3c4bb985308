// SPDX-License-Identifier: MIT
#include "billing_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>

namespace billing {

namespace {

constexpr Nanos kMax = std::numeric_limits<Nanos>::max();

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string trim(const std::string& s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return {};
    return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

// The digits of a decimal number and the power of ten they are scaled by:
// "12.5e-3" -> digits "125", scale -4.
struct Decimal {
    bool negative = false;
    std::string digits;
    long scale = 0;
};

std::optional<Decimal> split_decimal(const std::string& s) {
    Decimal d;
    std::size_t i = 0;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) d.negative = s[i++] == '-';
    bool seen_point = false, seen_digit = false;
    for (; i < s.size(); ++i) {
        if (is_digit(s[i])) {
            seen_digit = true;
            d.digits += s[i];
            if (seen_point) --d.scale;
        } else if (s[i] == '.' && !seen_point) {
            seen_point = true;
        } else {
            break;
        }
    }
    if (!seen_digit) return std::nullopt;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        bool exp_negative = false;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) exp_negative = s[i++] == '-';
        if (i == s.size()) return std::nullopt;
        long exp = 0;
        for (; i < s.size() && is_digit(s[i]); ++i) {
            exp = exp * 10 + (s[i] - '0');
            if (exp > 1000) return std::nullopt;  // far outside any amount we can hold
        }
        d.scale += exp_negative ? -exp : exp;
    }
    if (i != s.size()) return std::nullopt;
    return d;
}

// digits as an integer, or nullopt on overflow.
std::optional<Nanos> to_integer(const std::string& digits) {
    Nanos v = 0;
    for (char c : digits) {
        const int d = c - '0';
        if (v > (kMax - d) / 10) return std::nullopt;
        v = v * 10 + d;
    }
    return v;
}

}  // namespace

std::optional<Nanos> parse_cost(const std::string& text) {
    const auto d = split_decimal(trim(text));
    if (!d) return std::nullopt;
    std::string digits = d->digits;
    const long shift = d->scale + 9;  // to nano-dollars
    Nanos value = 0;
    if (shift >= 0) {
        if (shift > 30)
            return digits.find_first_not_of('0') == std::string::npos ? std::optional<Nanos>(0) : std::nullopt;
        digits.append(static_cast<std::size_t>(shift), '0');
        const auto v = to_integer(digits);
        if (!v) return std::nullopt;
        value = *v;
    } else {
        const auto drop = static_cast<std::size_t>(-shift);
        // Keep the digits left of the cut; round on the first one dropped.
        const std::string kept = drop >= digits.size() ? std::string("0") : digits.substr(0, digits.size() - drop);
        const char first_dropped = drop > digits.size() ? '0' : digits[digits.size() - drop];
        const auto v = to_integer(kept);
        if (!v) return std::nullopt;
        value = *v;
        if (first_dropped >= '5') {
            if (value == kMax) return std::nullopt;
            ++value;
        }
    }
    return d->negative ? -value : value;
}

std::optional<Nanos> parse_cost(const mgpux::Json& value) {
    if (value.is_string()) return parse_cost(value.as_string());
    if (value.is_number()) {
        const double nanos = value.as_float() * static_cast<double>(kNanosPerDollar);
        if (!std::isfinite(nanos) || std::fabs(nanos) >= 9.2e18) return std::nullopt;
        return static_cast<Nanos>(std::llround(nanos));
    }
    return std::nullopt;
}

std::string format_usd(Nanos amount, int decimals) {
    decimals = std::clamp(decimals, 0, 9);
    Nanos unit = 1;
    for (int i = decimals; i < 9; ++i) unit *= 10;
    Nanos scale = 1;
    for (int i = 0; i < decimals; ++i) scale *= 10;
    const bool negative = amount < 0;
    // Work on the magnitude as unsigned so the most negative value is safe.
    const auto magnitude =
        negative ? static_cast<std::uint64_t>(-(amount + 1)) + 1 : static_cast<std::uint64_t>(amount);
    const std::uint64_t rounded = (magnitude + static_cast<std::uint64_t>(unit) / 2) / static_cast<std::uint64_t>(unit);
    const std::uint64_t whole = rounded / static_cast<std::uint64_t>(scale);
    const std::uint64_t frac = rounded % static_cast<std::uint64_t>(scale);
    std::string out = (negative && rounded != 0) ? "-$" : "$";
    out += std::to_string(whole);
    if (decimals > 0) {
        std::string f = std::to_string(frac);
        out += "." + std::string(static_cast<std::size_t>(decimals) - f.size(), '0') + f;
    }
    return out;
}

double to_dollars(Nanos amount) { return static_cast<double>(amount) / static_cast<double>(kNanosPerDollar); }

namespace {

std::string string_field(const mgpux::Json& row, const char* key, const char* fallback_key = nullptr) {
    const mgpux::Json* v = row.find(key);
    if ((!v || v->is_null()) && fallback_key) v = row.find(fallback_key);
    return v && v->is_string() ? v->as_string() : std::string();
}

Nanos row_cost(const mgpux::Json& row, std::size_t index) {
    const mgpux::Json* v = row.find("cost");
    if (!v || v->is_null()) return 0;  // a row without a cost costs nothing
    const auto cost = parse_cost(*v);
    if (!cost)
        throw ReportError("row " + std::to_string(index + 1) +
                          " of the billing report has a cost that is not a number: " + v->dump());
    return *cost;
}

Nanos checked_add(Nanos a, Nanos b) {
    Nanos sum = 0;
    if (__builtin_add_overflow(a, b, &sum))
        throw ReportError("the billing report's costs add up to more than we can count");
    return sum;
}

}  // namespace

Summary summarize(const mgpux::Json& rows) {
    if (!rows.is_array()) throw ReportError("the billing report is not a JSON list of rows");
    std::map<std::pair<std::string, std::string>, Nanos> apps;
    std::map<std::string, Nanos> environments;
    Summary s;
    const auto& items = rows.as_array();
    for (std::size_t i = 0; i < items.size(); ++i) {
        const mgpux::Json& row = items[i];
        if (!row.is_object())
            throw ReportError("row " + std::to_string(i + 1) + " of the billing report is not an object");
        const Nanos cost = row_cost(row, i);
        const std::string env = string_field(row, "environment", "environment_name");
        auto& app = apps[{string_field(row, "description"), env}];
        app = checked_add(app, cost);
        environments[env] = checked_add(environments[env], cost);
        s.total = checked_add(s.total, cost);
    }
    for (const auto& [key, cost] : apps)
        if (cost != 0) s.by_app.push_back({key.first, key.second, cost});
    for (const auto& [env, cost] : environments)
        if (cost != 0) s.by_environment.emplace_back(env, cost);
    std::stable_sort(s.by_app.begin(), s.by_app.end(),
                     [](const AppCost& a, const AppCost& b) { return a.cost > b.cost; });
    std::stable_sort(s.by_environment.begin(), s.by_environment.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    return s;
}

std::string date_days_before(std::chrono::sys_days today, long days) {
    const std::chrono::year_month_day ymd{today - std::chrono::days{days}};
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()));
    return buf;
}

std::chrono::sys_days today_utc() { return std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()); }

std::string describe_fetch_error(const std::string& error) {
    std::string text = error;
    // The modal service names the whole command first; the table row has
    // no room for it and the reader knows which command ran.
    if (!text.empty() && text.front() == '`') {
        const auto end = text.find("` ", 1);
        if (end != std::string::npos) text = text.substr(end + 2);
    }
    if (error.find("No such command 'billing'") != std::string::npos ||
        error.find("No such command 'report'") != std::string::npos)
        text += " (billing reports need modal 1.3.3 or newer: pip install -U modal)";
    else if (error.find("PermissionDenied") != std::string::npos || error.find("not available on") != std::string::npos)
        text += " (Modal offers billing reports to some plans only; see https://modal.com/settings/usage)";
    return text;
}

}  // namespace billing
