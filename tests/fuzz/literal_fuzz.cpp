// SPDX-License-Identifier: MIT
// libFuzzer target for render_python_literal: parse the input as JSON, render the literal.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "services/python_literal.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(input, ec);
    if (ec) return 0;
    try {
        const std::string out = mgpux::render_python_literal(v);
        // The literal never carries a raw control character (so never a raw newline).
        for (const char ch : out) {
            const auto c = static_cast<unsigned char>(ch);
            if (c < 0x20 || c == 0x7F) std::abort();
        }
        if (out.empty()) std::abort();
    } catch (const mgpux::LiteralError&) {}
    return 0;
}
