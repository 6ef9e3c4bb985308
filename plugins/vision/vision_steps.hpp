// SPDX-License-Identifier: MIT
// The steps the vision commands share that need the host: questions asked
// only when their flag is missing (and only on a terminal), the dataset and
// compute, the checkpoint check, and running a plan and showing its RESULT.
#pragma once

#include "vision_logic.hpp"

#include <mgpux/plugin.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace vision {

// Checks every number flag given against its rule (exit 2), before any question.
void check_given(const mgpux::Args& args, const std::vector<const NumberRule*>& rules);

// The flag's value (checked), else the typed answer (asked again until it
// fits the rule), else `fallback` without a terminal.
double number_or_ask(const mgpux::Host& host, const mgpux::Args& args, const NumberRule& rule,
                     const std::string& question, double fallback);
long long int_or_ask(const mgpux::Host& host, const mgpux::Args& args, const NumberRule& rule,
                     const std::string& question, long long fallback);

// A text flag, else the question (its default without a terminal).
std::string text_or_ask(const mgpux::Host& host, const mgpux::Args& args, const char* flag, const std::string& question,
                        const std::string& fallback);

// A choice flag, else a menu of `choices` starting on `fallback`.
std::string choice_or_ask(const mgpux::Host& host, const mgpux::Args& args, const char* flag, const std::string& title,
                          const std::vector<std::string>& choices, const std::vector<std::string>& notes,
                          const std::string& fallback);

// An on/off flag (--x / --no-x), else a yes/no question.
bool flag_or_confirm(const mgpux::Host& host, const mgpux::Args& args, const char* flag, const std::string& question,
                     bool fallback);

// The volume, Python and profile every command shares (the timeout is
// asked later, in each command's order).
Common common_settings(const mgpux::Host& host, const mgpux::Args& args);

// --dataset or the question (default "data" when it exists, else "."),
// validated (exit 2 naming the folder), and its summary shown.
Dataset choose_dataset(const mgpux::Host& host, const mgpux::Args& args);

// --gpu NAME[:N] | cpu[:CORES[:MB]], --cpu/--memory, else the menus (GPU: L4).
Compute choose_compute(const mgpux::Host& host, const mgpux::Args& args);

// --checkpoint-path, else --run-name or its question.
CheckpointRef choose_checkpoint(const mgpux::Host& host, const mgpux::Args& args);

// `modal volume ls <volume> <folder> --json`: exit 1 naming the run, the
// volume and `m-gpux vision runs` when the checkpoint is not there.
// Skipped under --dry-run.
void require_checkpoint(const mgpux::Host& host, const mgpux::Args& args, const Common& common,
                        const CheckpointRef& ref);

// A --ignore list, else the question (default __pycache__,.DS_Store,Thumbs.db).
std::vector<std::string> choose_ignore(const mgpux::Host& host, const mgpux::Args& args);

// Shows the plan, runs the request, and shows (or prints with --json) the
// RESULT of `kind`; downloads with --download DIR. A run without that
// RESULT is exit 1. A dry run's --json document holds the plan and, when
// given, the dataset as the local validation saw it.
int run_and_report(const mgpux::Host& host, const mgpux::Args& args, const std::string& title, const Rows& plan,
                   const mgpux::RunRequest& request, const std::string& kind, const Common& common,
                   const Dataset* dataset = nullptr);

// A table of (name, value) rows.
void show_rows(const mgpux::Host& host, const Rows& rows, const std::string& title);

}  // namespace vision
