// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <vector>

namespace mgpux::cli {

// Edit distance with transpositions (optimal string alignment).
std::size_t edit_distance(const std::string& a, const std::string& b);

// The closest candidate to `word` that is plausibly a typo of it, or "".
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace mgpux::cli
