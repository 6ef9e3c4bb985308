// SPDX-License-Identifier: MIT
// libFuzzer target for util::parse_json and pretty_json: anything that
// parses must pretty-print to text that parses back to the same value.
// Doubles are compared with a relative tolerance: Boost.JSON 1.81's parser
// is not correctly rounded for long numbers (its serializer is), so a
// one-ulp difference after a round trip is Boost's, not ours.
#include "util/json.hpp"

#include <boost/json.hpp>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

bool same(const boost::json::value& a, const boost::json::value& b) {
    if (a.is_double() && b.is_double()) {
        const double x = a.get_double(), y = b.get_double();
        return x == y || std::fabs(x - y) <= 1e-14 * std::max(std::fabs(x), std::fabs(y));
    }
    if (a.kind() != b.kind()) return false;
    if (a.is_array()) {
        const auto &l = a.get_array(), &r = b.get_array();
        if (l.size() != r.size()) return false;
        for (std::size_t i = 0; i < l.size(); ++i)
            if (!same(l[i], r[i])) return false;
        return true;
    }
    if (a.is_object()) {
        const auto &l = a.get_object(), &r = b.get_object();
        if (l.size() != r.size()) return false;
        for (const auto& kv : l) {
            const auto* other = r.if_contains(kv.key());
            if (!other || !same(kv.value(), *other)) return false;
        }
        return true;
    }
    return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    try {
        boost::json::value v = mgpux::util::parse_json(input);
        boost::json::value again = mgpux::util::parse_json(mgpux::util::pretty_json(v));
        if (!same(v, again)) std::abort();
    } catch (const mgpux::util::JsonParseError& e) {
        if (e.offset > size) std::abort();
    }
    return 0;
}
