// SPDX-License-Identifier: MIT
// libFuzzer target for the SDK's header-only JSON codec (sdk/include/mgpux/json.hpp), which the
// plugins and the native proxy use instead of Boost.JSON (the proxy also builds against Boost
// 1.74, and the SDK needs no Boost). Checked against Boost.JSON in both directions where the two
// must agree: the same documents accepted with the same values, what the codec writes (compact
// and pretty) read back by Boost as the same value, and what Boost writes read back by the codec
// as the same value. The same input also goes through the proxy's other parsers of untrusted
// text: the keys file, stream usage events, the MGPUX_KEY_HASHES list, bearer headers and
// upstream URLs.
#include <boost/json.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include "mgpux/json.hpp"
#include "proxy_core.hpp"
#include "util/utf8.hpp"

using mgpux::Json;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

bool same_number(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

// The same value. Boost keeps integers over INT64_MAX as uint64 and parses doubles with its own
// (not always correctly rounded) algorithm, so doubles agree within a few units in the last place.
bool same(const Json& a, const boost::json::value& b) {
    switch (a.kind()) {
        case Json::Kind::Null: return b.is_null();
        case Json::Kind::Bool: return b.is_bool() && b.get_bool() == a.as_bool();
        case Json::Kind::Int:
            return b.is_int64()
                       ? b.get_int64() == a.as_int()
                       : b.is_uint64() && a.as_int() >= 0 && b.get_uint64() == static_cast<std::uint64_t>(a.as_int());
        case Json::Kind::Float: {
            if (!b.is_double()) return false;
            const double x = a.as_float(), y = b.get_double();
            if (std::isnan(y)) return true;  // Boost 1.81 reads 0e1101 as NaN (0 times infinity)
            return same_number(x, y) || std::fabs(x - y) <= 4 * std::fabs(x) * 2.220446049250313e-16 ||
                   std::fabs(x - y) <= 4 * 4.9406564584124654e-324;
        }
        case Json::Kind::String: return b.is_string() && std::string_view(b.get_string()) == a.as_string();
        case Json::Kind::Array: {
            if (!b.is_array() || b.get_array().size() != a.as_array().size()) return false;
            for (std::size_t i = 0; i < a.as_array().size(); ++i)
                if (!same(a.as_array()[i], b.get_array()[i])) return false;
            return true;
        }
        case Json::Kind::Object: {
            if (!b.is_object() || b.get_object().size() != a.as_object().size()) return false;
            for (const auto& m : a.as_object()) {
                const auto* other = b.get_object().if_contains(m.first);
                if (!other || !same(m.second, *other)) return false;
            }
            return true;
        }
    }
    return false;
}

// Where the codec may refuse what Boost accepts, by the codec's documented choice: an integer
// outside int64, a number too large for a double, and (Boost's limit differs) nesting.
bool refused_by_choice(const mgpux::JsonError& e) {
    const std::string what = e.what();
    return what.find("64-bit range") != std::string::npos || what.find("too large") != std::string::npos ||
           what.find("deep") != std::string::npos;
}

boost::json::value boost_parse(std::string_view text, std::error_code& ec) {
    boost::json::parse_options opt;
    opt.max_depth = 100000;
    return boost::json::parse(text, ec, {}, opt);
}

// What the codec writes is JSON that Boost reads as the same value, and the codec reads back
// exactly (doubles written shortest read back as the same double).
void writer_round_trip(const Json& v) {
    for (const std::string& text : {v.dump(), v.dump_pretty()}) {
        std::error_code ec;
        const boost::json::value theirs = boost_parse(text, ec);
        check(!ec);
        check(same(v, theirs));
        check(Json::parse(text) == v);
    }
}

// What Boost writes the codec reads as the same value (numbers outside the codec's range aside).
void boost_writes_codec_reads(const boost::json::value& theirs) {
    const std::string text = boost::json::serialize(theirs);
    try {
        check(same(Json::parse(text), theirs));
    } catch (const mgpux::JsonError& e) {
        // Boost writes a number it read as infinite (or as NaN) as Infinity (NaN), which is not JSON.
        check(refused_by_choice(e) || text.find("Infinity") != std::string::npos ||
              text.find("NaN") != std::string::npos);
    }
}

void quote_round_trips(const Json& v) {
    if (v.is_string()) {
        const auto back = mgpux_proxy::parse_json(mgpux_proxy::json_quote(v.as_string()));
        check(back && back->is_string() && back->as_string() == v.as_string());
    }
    if (v.is_array())
        for (const auto& i : v.as_array()) quote_round_trips(i);
    if (v.is_object())
        for (const auto& m : v.as_object()) quote_round_trips(m.second);
}

void compare_with_boost(std::string_view text) {
    std::error_code ec;
    const boost::json::value theirs = boost_parse(text, ec);
    try {
        const Json ours = Json::parse(text);
        // The codec accepts nothing that Boost refuses, except an exponent too long for Boost's
        // own counter (1e-4000000000000 is a valid zero).
        if (ec == boost::json::error::exponent_overflow) return;
        check(!ec);
        check(same(ours, theirs));
        writer_round_trip(ours);
        quote_round_trips(ours);
    } catch (const mgpux::JsonError& e) {
        check(e.offset() <= text.size());
        // Boost (1.81) also refuses invalid UTF-8 and lone surrogates: only the codec's own
        // limits may separate them.
        if (!ec) check(refused_by_choice(e));
    }
    if (!ec) boost_writes_codec_reads(theirs);
}

// Any bytes as a string value: written as valid JSON that reads back (invalid UTF-8 replaced).
void any_string_writes_valid_json(std::string_view text) {
    const std::string quoted = Json::quote(text);
    const Json back = Json::parse(quoted);
    if (!mgpux::util::invalid_utf8_offset(text)) check(back.as_string() == text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    compare_with_boost(text);
    any_string_writes_valid_json(text);

    try {
        (void)mgpux_proxy::key_hashes_from_store(text);
    } catch (const std::runtime_error&) {}
    try {
        (void)mgpux_proxy::parse_hash_list(text);
    } catch (const std::runtime_error&) {}
    try {
        (void)mgpux_proxy::parse_upstream(text);
    } catch (const std::runtime_error&) {}
    mgpux_proxy::Stats stats;
    mgpux_proxy::count_usage(stats, text);
    mgpux_proxy::count_stream_usage(stats, text);
    (void)mgpux_proxy::wants_stream_usage(text);
    (void)mgpux_proxy::bearer_token(text);
    return 0;
}
