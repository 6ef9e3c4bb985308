// SPDX-License-Identifier: MIT
#include "util/json.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

namespace mgpux::util {

namespace {

// Boost.JSON 1.81 turns 1e999 into infinity and 0e999 into NaN; neither is a
// value any of our documents can hold, so such text is refused.
bool all_finite(const boost::json::value& v) {
    switch (v.kind()) {
        case boost::json::kind::double_: return std::isfinite(v.get_double());
        case boost::json::kind::array:
            for (const auto& item : v.get_array())
                if (!all_finite(item)) return false;
            return true;
        case boost::json::kind::object:
            for (const auto& kv : v.get_object())
                if (!all_finite(kv.value())) return false;
            return true;
        default: return true;
    }
}

}  // namespace

boost::json::value parse_json(std::string_view text) {
    boost::json::stream_parser parser;
    boost::json::error_code ec;
    std::size_t consumed = parser.write_some(text.data(), text.size(), ec);
    if (!ec && consumed < text.size()) ec = boost::json::error::extra_data;
    if (!ec) parser.finish(ec);
    if (ec) {
        std::size_t line = 1 + static_cast<std::size_t>(std::count(
                                   text.begin(), text.begin() + static_cast<std::ptrdiff_t>(consumed), '\n'));
        throw JsonParseError(
            consumed, line,
            "at byte " + std::to_string(consumed) + " (line " + std::to_string(line) + "): " + ec.message());
    }
    boost::json::value v = parser.release();
    if (!all_finite(v)) {
        std::size_t line = 1 + static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
        throw JsonParseError(text.size(), line, "a number is out of range (overflows a double)");
    }
    return v;
}

namespace {

// A double as a plain decimal: Boost writes 15.75 as 1.575E1, which is valid
// JSON but not what a person (or a spreadsheet) expects of money. Fixed
// notation with the fewest digits that read back as the same double; a whole
// number keeps ".0" so that it reads back as a double, not an integer. Only
// magnitudes so large or small that fixed notation would run to hundreds of
// digits keep an exponent.
std::string double_text(double d) {
    if (std::isnan(d)) return "null";
    // Boost writes an overflowed number (1e999 parses to infinity) as
    // `Infinity`, which is not JSON; 1e999 is, and reads back the same.
    if (std::isinf(d)) return d > 0 ? "1e999" : "-1e999";
    char buf[64];
    const double magnitude = std::fabs(d);
    const bool fixed = magnitude == 0 || (magnitude >= 1e-12 && magnitude < 1e21);
    const auto r = fixed ? std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed)
                         : std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
    std::string text(buf, r.ptr);
    if (fixed && text.find('.') == std::string::npos) text += ".0";
    return text;
}

void pretty(std::string& out, const boost::json::value& v, int depth, bool sorted) {
    const auto indent = [&](int d) { out.append(static_cast<std::size_t>(d) * 2, ' '); };
    switch (v.kind()) {
        case boost::json::kind::object: {
            const auto& obj = v.get_object();
            if (obj.empty()) {
                out += "{}";
                return;
            }
            out += "{\n";
            std::vector<const boost::json::key_value_pair*> members;
            members.reserve(obj.size());
            for (const auto& kv : obj) members.push_back(&kv);
            if (sorted)
                std::sort(members.begin(), members.end(),
                          [](const auto* a, const auto* b) { return a->key() < b->key(); });
            bool first = true;
            for (const auto* kv : members) {
                if (!first) out += ",\n";
                first = false;
                indent(depth + 1);
                out += boost::json::serialize(boost::json::value(kv->key()));
                out += ": ";
                pretty(out, kv->value(), depth + 1, sorted);
            }
            out += "\n";
            indent(depth);
            out += "}";
            return;
        }
        case boost::json::kind::array: {
            const auto& arr = v.get_array();
            if (arr.empty()) {
                out += "[]";
                return;
            }
            out += "[\n";
            bool first = true;
            for (const auto& item : arr) {
                if (!first) out += ",\n";
                first = false;
                indent(depth + 1);
                pretty(out, item, depth + 1, sorted);
            }
            out += "\n";
            indent(depth);
            out += "]";
            return;
        }
        case boost::json::kind::double_: out += double_text(v.get_double()); return;
        default: out += boost::json::serialize(v);
    }
}

}  // namespace

std::string pretty_json(const boost::json::value& v, bool sorted_keys) {
    std::string out;
    pretty(out, v, 0, sorted_keys);
    out += "\n";
    return out;
}

}  // namespace mgpux::util
