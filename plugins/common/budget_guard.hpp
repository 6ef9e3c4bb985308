// SPDX-License-Identifier: MIT
// The launch guard for launches that start Modal sandboxes themselves rather
// than through the host's runner (dev boxes, compose sandboxes), which
// guards every other launch: a profile over its monthly budget, or one with
// a budget whose usage cannot be read, is refused unless --ignore-budget.
#pragma once

#include <mgpux/plugin.hpp>

#include <string>

namespace budget {

// Without a budget for `profile` (its own or "*") nothing is fetched. Throws
// Error(MGPUX_E_FAILED) with the figures, or why they could not be read, and
// what to do; an unreadable budgets file is Error(MGPUX_E_CONFIG).
void require_within_budget(const mgpux::Host& host, const mgpux::Args& args, const std::string& profile);

}  // namespace budget
