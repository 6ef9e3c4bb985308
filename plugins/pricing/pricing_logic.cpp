// SPDX-License-Identifier: MIT
#include "pricing_logic.hpp"

#include <algorithm>

namespace pricing {
namespace {

std::optional<std::string> rate_text(const mgpux::Json& v) {
    if (v.is_string() && !v.as_string().empty()) return v.as_string();
    if (v.is_number()) return v.dump();
    return std::nullopt;
}

std::optional<std::vector<std::pair<std::string, std::string>>> rate_list(const mgpux::Json& doc) {
    if (!doc.is_object() || doc.as_object().empty()) return std::nullopt;
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [name, value] : doc.as_object()) {
        const auto text = rate_text(value);
        if (!text) return std::nullopt;
        out.emplace_back(name, *text);
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

std::optional<LiveRates> parse_cache(const mgpux::Json& doc) {
    if (!doc.is_object()) return std::nullopt;
    const mgpux::Json* at = doc.find("fetched_at");
    const mgpux::Json* rates = doc.find("rates");
    if (!at || !at->is_number() || !rates) return std::nullopt;
    auto list = rate_list(*rates);
    if (!list) return std::nullopt;
    return LiveRates{at->as_int(), std::move(*list)};
}

mgpux::Json cache_json(const LiveRates& live) {
    mgpux::Json rates = mgpux::Json::object();
    for (const auto& [name, value] : live.rates) rates.set(name, value);
    mgpux::Json doc = mgpux::Json::object();
    doc.set("fetched_at", live.fetched_at);
    doc.set("rates", rates);
    return doc;
}

std::optional<LiveRates> from_answer(const mgpux::Json& doc, long long now) {
    auto list = rate_list(doc);
    if (!list) return std::nullopt;
    return LiveRates{now, std::move(*list)};
}

std::string age_text(long long s) {
    if (s < 60) return std::to_string(std::max(0LL, s)) + " s";
    if (s < 3600) return std::to_string(s / 60) + " min";
    if (s < 86400) return std::to_string(s / 3600) + " h";
    const long long days = s / 86400;
    return std::to_string(days) + (days == 1 ? " day" : " days");
}

}  // namespace pricing
