// SPDX-License-Identifier: MIT
// The decisions of `m-gpux stop` that need no host: which apps an answer or
// --app picks.
#pragma once

#include "app_list.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace mgpux::stop {

// The answer to "Stop which apps?": "all", or numbers and ranges from 1 to
// `count` separated by commas or spaces ("1,3", "2-4 6"). "none" picks
// nothing. `indices` are 0-based, sorted, without repeats; `error` is set
// (and `indices` empty) when the answer is not understood.
struct Selection {
    std::vector<std::size_t> indices;
    std::string error;
};
Selection parse_selection(const std::string& answer, std::size_t count);

// The apps whose app id or description is exactly `ref`.
std::vector<AppRow> filter_by_ref(const std::vector<AppRow>& apps, const std::string& ref);

}  // namespace mgpux::stop
