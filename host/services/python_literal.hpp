// SPDX-License-Identifier: MIT
// Turns JSON values into Python literal source text (a value typed by a user can never
// change the structure of a generated script).
#pragma once

#include <stdexcept>
#include <string>

#include <boost/json/fwd.hpp>

namespace mgpux {

// A value that has no safe Python literal: NUL in a string, invalid UTF-8, a non-finite number,
// or nesting deeper than 100 levels.
struct LiteralError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// JSON value -> Python literal source text:
//   string  -> "..." (\\ \" \n \r \t escaped, other C0 controls and DEL as \xNN, U+0085, U+2028,
//              U+2029 as \uNNNN, other UTF-8 kept as is)
//   int64/uint64 -> decimal; double -> shortest round-trip text that Python reads as a float
//   bool -> True/False; null -> None; array -> [a, b]; object -> {"k": v} (insertion order)
// The result never contains a raw control character or newline.
std::string render_python_literal(const boost::json::value& v);

}  // namespace mgpux
