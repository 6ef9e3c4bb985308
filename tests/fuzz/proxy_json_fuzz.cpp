// libFuzzer target for the native proxy's own JSON reader and writer (proxy/src/proxy_core.cpp),
// which cannot use Boost.JSON (the proxy also builds against Boost 1.74). Checked against
// Boost.JSON both ways where the two must agree, and through json_quote round trips. The same
// input also goes through the proxy's other parsers of untrusted text: the keys file, stream
// usage events, the MGPUX_KEY_HASHES list, bearer headers and upstream URLs.
#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include "proxy_core.hpp"
#include "util/utf8.hpp"

using mgpux_proxy::JsonValue;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

// Same structure and strings (numbers are compared as text kinds only: Boost parses them).
bool same(const JsonValue& a, const boost::json::value& b) {
    switch (a.kind) {
        case JsonValue::Kind::Null: return b.is_null();
        case JsonValue::Kind::Bool: return b.is_bool() && b.get_bool() == a.boolean;
        case JsonValue::Kind::Number: return b.is_number();
        case JsonValue::Kind::String: return b.is_string() && std::string_view(b.get_string()) == a.text;
        case JsonValue::Kind::Array: {
            if (!b.is_array() || b.get_array().size() != a.items.size()) return false;
            for (std::size_t i = 0; i < a.items.size(); ++i)
                if (!same(a.items[i], b.get_array()[i])) return false;
            return true;
        }
        case JsonValue::Kind::Object: {
            if (!b.is_object()) return false;
            for (const auto& m : a.members) {
                const JsonValue* last = a.find(m.first);  // Boost keeps the last duplicate too
                const auto* other = b.get_object().if_contains(m.first);
                if (!other || !same(*last, *other)) return false;
            }
            return true;
        }
    }
    return false;
}

void round_trip_strings(const JsonValue& v) {
    if (v.kind == JsonValue::Kind::String) {
        const auto back = mgpux_proxy::parse_json(mgpux_proxy::json_quote(v.text));
        check(back && back->kind == JsonValue::Kind::String);
        if (!mgpux::util::invalid_utf8_offset(v.text)) check(back->text == v.text);
    }
    for (const auto& i : v.items) round_trip_strings(i);
    for (const auto& m : v.members) round_trip_strings(m.second);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto ours = mgpux_proxy::parse_json(text);
    const bool utf8 = !mgpux::util::invalid_utf8_offset(text);
    boost::json::parse_options opt;
    opt.max_depth = 600;
    std::error_code ec;
    boost::json::value theirs = boost::json::parse(text, ec, {}, opt);
    // Escapes (lone surrogates) and depths over 512 are where the two may differ by design.
    const bool comparable = utf8 && text.find('\\') == std::string_view::npos && size < 4000;
    if (comparable) {
        check(bool(ours) == !ec);
        if (ours) check(same(*ours, theirs));
    }
    if (ours) round_trip_strings(*ours);

    try {
        (void)mgpux_proxy::key_hashes_from_store(text);
    } catch (const std::runtime_error&) {
    }
    try {
        (void)mgpux_proxy::parse_hash_list(text);
    } catch (const std::runtime_error&) {
    }
    try {
        (void)mgpux_proxy::parse_upstream(text);
    } catch (const std::runtime_error&) {
    }
    mgpux_proxy::Stats stats;
    mgpux_proxy::count_usage(stats, text);
    mgpux_proxy::count_stream_usage(stats, text);
    (void)mgpux_proxy::wants_stream_usage(text);
    (void)mgpux_proxy::bearer_token(text);
    return 0;
}
