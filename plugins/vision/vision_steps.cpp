// SPDX-License-Identifier: MIT
#include "vision_steps.hpp"

#include "image_store.hpp"
#include "launch_args.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <system_error>

namespace fs = std::filesystem;

namespace vision {
namespace {

using mgpux::Json;
namespace launch = mgpux::launch;

std::string flag_name(const char* flag) { return std::string("--") + flag; }

// "0.0003", "8", "0.2": how a default is shown in a question.
std::string default_text(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

std::optional<double> parse_number(const std::string& text, bool integer) {
    if (text.empty()) return std::nullopt;
    char* end = nullptr;
    errno = 0;
    if (integer) {
        const long long v = std::strtoll(text.c_str(), &end, 10);
        if (errno || *end) return std::nullopt;
        return static_cast<double>(v);
    }
    const double v = std::strtod(text.c_str(), &end);
    if (errno || *end) return std::nullopt;
    return v;
}

double ask_number(const mgpux::Host& host, const NumberRule& rule, const std::string& question, double fallback) {
    const std::string shown = default_text(fallback);
    const std::string hint = flag_name(rule.flag);
    for (;;) {
        const std::string answer = host.ask(question, shown.c_str(), hint.c_str());
        const auto v = parse_number(answer, rule.integer);
        if (!v) {
            host.warn(Json(answer).dump() + " is not " + (rule.integer ? "a whole number" : "a number") + "\n");
            continue;
        }
        const std::string e = range_error(rule, *v);
        if (e.empty()) return *v;
        host.warn(e + "\n");
    }
}

// Fetches the files of a RESULT into --download DIR; returns the local
// files and adds each failure to `failures`.
std::vector<std::string> download(const mgpux::Host& host, const mgpux::Args& args, const Common& common,
                                  const Json& result, std::vector<std::string>& failures) {
    const fs::path dir = fs::absolute(expand_home(args.str("download")));
    const std::vector<Download> plan = download_plan(result, dir);
    std::vector<std::string> fetched;
    if (plan.empty()) {
        host.warn("the run named no files to download\n");
        return fetched;
    }
    const mgpux::Modal modal(host);
    for (const auto& d : plan) {
        std::error_code ec;
        fs::create_directories(d.local_dir, ec);
        if (ec) {
            failures.push_back(d.local_dir.string() + ": " + ec.message());
            continue;
        }
        host.progress(("downloading " + d.remote).c_str());
        const Json r =
            modal.try_call({"volume", "get", common.volume, d.remote, d.local_dir.string()}, common.profile, 1800);
        host.progress(nullptr);
        if (!r.bool_or("ok")) {
            failures.push_back(d.remote + ": " + r.string_or("error", "modal volume get failed"));
            continue;
        }
        for (const auto& f : d.files) {
            if (fs::exists(f, ec)) {
                fetched.push_back(f.string());
                host.success("downloaded " + f.string() + "\n");
            } else {
                failures.push_back(f.string() + ": not in the download");
            }
        }
    }
    return fetched;
}

void show_result(const mgpux::Host& host, const Json& r) {
    const std::string kind = r.string_or("kind");
    const char* title = kind == "train"      ? "Training result"
                        : kind == "evaluate" ? "Evaluation result"
                        : kind == "predict"  ? "Prediction result"
                                             : "Export result";
    show_rows(host, result_rows(r), title);
    if (kind == "evaluate") {
        const auto rows = per_class_rows(r);
        if (!rows.empty()) host.table({"Class", "Precision", "Recall", "F1", "Support"}, rows, "Per class");
    }
    if (kind == "predict") {
        const auto rows = prediction_rows(r);
        if (!rows.empty()) host.table({"Image", "Prediction", "Score"}, rows, "First predictions");
    }
}

}  // namespace

void check_given(const mgpux::Args& args, const std::vector<const NumberRule*>& rules) {
    for (const NumberRule* r : rules)
        if (args.has(r->flag)) check_range(*r, args.number(r->flag));
}

double number_or_ask(const mgpux::Host& host, const mgpux::Args& args, const NumberRule& rule,
                     const std::string& question, double fallback) {
    if (args.has(rule.flag)) {
        const double v = args.number(rule.flag);
        check_range(rule, v);
        return v;
    }
    if (!launch::asks_questions(args)) return fallback;
    return ask_number(host, rule, question, fallback);
}

long long int_or_ask(const mgpux::Host& host, const mgpux::Args& args, const NumberRule& rule,
                     const std::string& question, long long fallback) {
    if (args.has(rule.flag)) {
        const long long v = args.integer(rule.flag);
        check_range(rule, static_cast<double>(v));
        return v;
    }
    if (!launch::asks_questions(args)) return fallback;
    return static_cast<long long>(ask_number(host, rule, question, static_cast<double>(fallback)));
}

std::string text_or_ask(const mgpux::Host& host, const mgpux::Args& args, const char* flag, const std::string& question,
                        const std::string& fallback) {
    if (args.has(flag)) return args.str(flag);
    if (!launch::asks_questions(args)) return fallback;
    return host.ask(question, fallback.c_str(), flag_name(flag).c_str());
}

std::string choice_or_ask(const mgpux::Host& host, const mgpux::Args& args, const char* flag, const std::string& title,
                          const std::vector<std::string>& choices, const std::vector<std::string>& notes,
                          const std::string& fallback) {
    if (args.has(flag)) return args.str(flag);
    if (!launch::asks_questions(args)) return fallback;
    const auto it = std::find(choices.begin(), choices.end(), fallback);
    const int start = it == choices.end() ? 0 : static_cast<int>(it - choices.begin());
    return choices.at(static_cast<std::size_t>(host.select(title, choices, notes, start, flag_name(flag).c_str())));
}

bool flag_or_confirm(const mgpux::Host& host, const mgpux::Args& args, const char* flag, const std::string& question,
                     bool fallback) {
    if (const auto v = args.optional_flag(flag)) return *v;
    if (!launch::asks_questions(args)) return fallback;
    return host.confirm(question, fallback, flag_name(flag).c_str());
}

Common common_settings(const mgpux::Host& host, const mgpux::Args& args) {
    Common c;
    c.volume = args.str("artifact-volume", kDefaultVolume);
    check_volume_name(c.volume);
    c.python = launch::resolve_python(args, mgpux::Catalog(host));
    c.profile = mgpux::Profiles(host).resolve();  // an unknown --profile fails here
    if (const auto image = mgpux::images::choose_image(host, args, c.profile)) {
        c.base_image = image->name;
        // A published image already holds its Python.
        if (!image->python.empty()) c.python = image->python;
    }
    return c;
}

Dataset choose_dataset(const mgpux::Host& host, const mgpux::Args& args) {
    const fs::path cwd = fs::current_path();
    std::error_code ec;
    const std::string fallback = fs::is_directory(cwd / "data", ec) ? "data" : ".";
    const std::string typed = expand_home(text_or_ask(host, args, "dataset", "Local dataset folder", fallback));
    const fs::path root = launch::absolute_dir(typed.empty() ? "." : typed, cwd);
    if (!fs::is_directory(root, ec))
        throw mgpux::usage_error("--dataset " + Json(typed).dump() + ": not a directory (" + root.generic_string() +
                                 ")");
    const Dataset d = validate_dataset(root);
    show_rows(host, dataset_rows(d), "Dataset Summary");
    return d;
}

Compute choose_compute(const mgpux::Host& host, const mgpux::Args& args) {
    const mgpux::Catalog catalog(host);
    if (args.has("gpu")) {
        if (const auto cpu = parse_cpu_flag(args.str("gpu"))) {
            if (args.has("memory"))
                throw mgpux::usage_error("--memory goes with --cpu; with --gpu cpu:CORES:MB give it there");
            return launch::compute_from_cpu(catalog.parse_cpu(cpu->cores, cpu->memory_mb));
        }
    }
    launch::ComputeChoice choice;
    choice.title = "Compute";
    return launch::resolve_compute(host, args, catalog, choice);
}

CheckpointRef choose_checkpoint(const mgpux::Host& host, const mgpux::Args& args) {
    if (args.has("checkpoint-path")) return checkpoint_ref(args.str("checkpoint-path"), "");
    return checkpoint_ref(std::nullopt, text_or_ask(host, args, "run-name", "Experiment / run name", "imgclf-run"));
}

void require_checkpoint(const mgpux::Host& host, const mgpux::Args& args, const Common& common,
                        const CheckpointRef& ref) {
    if (args.global_flag("dry_run")) return;
    std::vector<std::string> words = {"volume", "ls", common.volume};
    if (const std::string dir = parent_path(ref.path); !dir.empty()) words.push_back(dir);
    words.push_back("--json");
    host.progress("looking for the checkpoint");
    const Json r = mgpux::Modal(host).try_call(words, common.profile, 60);
    host.progress(nullptr);
    const bool ok = r.bool_or("ok");
    const Json* listing = r.find("json");
    if (ok && listing && listing_has_file(*listing, ref.path)) return;
    const std::string error = r.string_or("error");
    if (!ok && !is_missing_on_volume(error))
        throw mgpux::Error(MGPUX_E_FAILED, "could not look for the checkpoint " + ref.path + " in volume " +
                                               common.volume + ": " + error);
    throw mgpux::Error(MGPUX_E_FAILED,
                       "run '" + ref.run + "' has no checkpoint " + ref.path + " in volume " + common.volume +
                           "; list the runs there with `m-gpux vision runs" +
                           (common.volume == kDefaultVolume ? "" : " --artifact-volume " + common.volume) +
                           "`, or train one with `m-gpux vision train`");
}

std::vector<std::string> choose_ignore(const mgpux::Host& host, const mgpux::Args& args) {
    std::string defaults;
    for (const auto& p : default_ignore_patterns()) defaults += (defaults.empty() ? "" : ",") + p;
    return upload_ignore(
        launch::split_commas(text_or_ask(host, args, "ignore", "Dataset ignore patterns (comma list)", defaults)));
}

void show_rows(const mgpux::Host& host, const Rows& rows, const std::string& title) {
    std::vector<std::vector<Json>> table;
    for (const auto& [k, v] : rows) table.push_back({Json(k), Json(v)});
    host.table({"", ""}, table, title);
}

int run_and_report(const mgpux::Host& host, const mgpux::Args& args, const std::string& title, const Rows& plan,
                   const mgpux::RunRequest& request, const std::string& kind, const Common& common,
                   const Dataset* dataset) {
    show_rows(host, plan, title);
    const mgpux::RunResult run = mgpux::Runner(host).run(request);
    const bool json = args.global_flag("json");
    if (run.status == "dry_run") {
        if (json) {
            Json doc = Json::object();
            doc.set("status", "dry_run");
            doc.set("app_name", request.app_name);
            doc.set("command", Json::array_of(run.command));
            Json rows = Json::object();
            for (const auto& [name, value] : plan) rows.set(name, value);
            doc.set("plan", std::move(rows));
            if (dataset) doc.set("dataset", dataset_json(*dataset));
            host.json(doc);
        }
        return MGPUX_OK;
    }
    const Json* found = find_result(run.results, kind);
    if (!found)
        throw mgpux::Error(MGPUX_E_FAILED, "the " + kind + " run ended (" + run.status +
                                               ") without printing its `[m-gpux] RESULT` line, so it reported no "
                                               "result; its output is above" +
                                               (run.run_dir ? " and its script is in " + *run.run_dir : ""));
    Json result = *found;
    if (!json) show_result(host, result);
    std::vector<std::string> failures;
    if (args.has("download")) result.set("downloaded", Json::array_of(download(host, args, common, result, failures)));
    if (json) host.json(result);
    if (!failures.empty()) {
        std::string text;
        for (const auto& f : failures) text += "\n  " + f;
        throw mgpux::Error(MGPUX_E_FAILED, "some files were not downloaded:" + text);
    }
    return MGPUX_OK;
}

}  // namespace vision
