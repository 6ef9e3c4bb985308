// SPDX-License-Identifier: MIT
#include "stop_logic.hpp"

#include <algorithm>
#include <cctype>

namespace mgpux::stop {

namespace {

std::string lower_trimmed(const std::string& s) {
    std::size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    std::string out = s.substr(b, e - b);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// Words separated by commas and/or blanks.
std::vector<std::string> words(const std::string& s) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
        if (c == ',' || std::isspace(static_cast<unsigned char>(c))) {
            if (!cur.empty()) out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
}

// s[begin, end) as a whole positive decimal number of at most 6 digits, or 0.
// (Indices rather than substr(): GCC 12 warns falsely about the temporaries.)
std::size_t number(const std::string& s, std::size_t begin, std::size_t end) {
    if (end <= begin || end - begin > 6) return 0;
    std::size_t v = 0;
    for (std::size_t i = begin; i < end; ++i) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + static_cast<std::size_t>(s[i] - '0');
    }
    return v;
}

Selection failed(const std::string& why) {
    Selection s;
    s.error = why;
    return s;
}

}  // namespace

Selection parse_selection(const std::string& answer, std::size_t count) {
    const std::string a = lower_trimmed(answer);
    Selection sel;
    if (a == "all" || a == "*") {
        for (std::size_t i = 0; i < count; ++i) sel.indices.push_back(i);
        return sel;
    }
    if (a == "none") return sel;
    const std::string range_hint = "a number from 1 to " + std::to_string(count);
    const auto parts = words(a);
    if (parts.empty()) return failed("type numbers like 1,3, a range like 1-2, 'all' or 'none'");
    for (const std::string& part : parts) {
        const auto dash = part.find('-');
        std::size_t lo = 0, hi = 0;
        if (dash == std::string::npos) {
            lo = hi = number(part, 0, part.size());
        } else {
            lo = number(part, 0, dash);
            hi = number(part, dash + 1, part.size());
        }
        if (lo == 0 || hi == 0) return failed("'" + part + "' is not " + range_hint);
        if (lo > hi) return failed("'" + part + "' is an empty range");
        if (hi > count) return failed("'" + part + "' is not " + range_hint);
        for (std::size_t i = lo; i <= hi; ++i) sel.indices.push_back(i - 1);
    }
    std::sort(sel.indices.begin(), sel.indices.end());
    sel.indices.erase(std::unique(sel.indices.begin(), sel.indices.end()), sel.indices.end());
    return sel;
}

std::vector<AppRow> filter_by_ref(const std::vector<AppRow>& apps, const std::string& ref) {
    std::vector<AppRow> out;
    for (const AppRow& app : apps)
        if (app.app_id == ref || app.description == ref) out.push_back(app);
    return out;
}

}  // namespace mgpux::stop
