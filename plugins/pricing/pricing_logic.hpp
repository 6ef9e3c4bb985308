// SPDX-License-Identifier: MIT
// Pure logic of `m-gpux pricing`: the live-rates cache (~/.m-gpux/rates.json,
// {fetched_at: epoch seconds, rates: {name: "decimal"}}), its 7-day expiry,
// and how old a table is. Unit-tested without a host.
#pragma once

#include <mgpux/plugin.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pricing {

inline constexpr const char* kDocument = "rates";

struct LiveRates {
    long long fetched_at = 0;                                // epoch seconds
    std::vector<std::pair<std::string, std::string>> rates;  // as Modal gave them, sorted by name
};

// The cache document, or nullopt when it is missing or not the expected shape
// (a cache that cannot be used is simply fetched again).
std::optional<LiveRates> parse_cache(const mgpux::Json& doc);
mgpux::Json cache_json(const LiveRates& live);

// `modal billing rates --json` (a flat object of decimal strings or numbers)
// at `now`; nullopt when it is not such an object or is empty.
std::optional<LiveRates> from_answer(const mgpux::Json& doc, long long now);

// "12 s", "5 min", "3 h", "2 days".
std::string age_text(long long seconds);

}  // namespace pricing
