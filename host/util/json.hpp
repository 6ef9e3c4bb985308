// SPDX-License-Identifier: MIT
// JSON helpers over Boost.JSON: parsing with an error position (Boost 1.81's
// parse() reports none) and a pretty printer (1.81 has none).
#pragma once

#include <boost/json/fwd.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mgpux::util {

struct JsonParseError : std::runtime_error {
    JsonParseError(std::size_t offset, std::size_t line, const std::string& what)
        : std::runtime_error(what), offset(offset), line(line) {}
    std::size_t offset;  // bytes consumed before the error
    std::size_t line;    // 1-based line of the error
};

// Parses `text` as one JSON document; throws JsonParseError with the byte
// offset and line where it stopped.
boost::json::value parse_json(std::string_view text);

// Two-space indented JSON with a trailing newline; `sorted_keys` orders
// object members by key (the original tool's state files are written so).
std::string pretty_json(const boost::json::value& v, bool sorted_keys = false);

}  // namespace mgpux::util
