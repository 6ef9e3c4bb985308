// SPDX-License-Identifier: MIT
// `m-gpux video generate|storyboard|download|list`: text-to-video with
// Lightricks LTX-2.3 on Modal. Every question has a flag; the Hugging Face
// token travels only in a Modal Secret built by the runner from the variable
// --hf-token-env names.
#include "image_store.hpp"
#include "launch_args.hpp"
#include "video_logic.hpp"

#include <mgpux/plugin.hpp>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace video {
namespace {

namespace launch = mgpux::launch;
using mgpux::Args;
using mgpux::Host;
using mgpux::usage_error;

const char* const kPipelines[] = {"distilled", "ti2vid_two_stages", nullptr};
const char* const kInputModes[] = {"bulk", "one-by-one", nullptr};

constexpr mgpux::OptionBuilder kPipelineOption =
    mgpux::option("pipeline")
        .choices(kPipelines)
        .metavar("distilled|ti2vid_two_stages")
        .help("distilled: fastest, 8 steps (~2 min a clip); ti2vid_two_stages: best quality, 40 steps (~10 min)");
constexpr mgpux::OptionBuilder kResolutionOption =
    mgpux::option("resolution")
        .metavar("WxH")
        .help("768x512, 512x768, 512x512, 1024x576, 576x1024, or any other multiples of 32");
constexpr mgpux::OptionBuilder kSeedOption =
    mgpux::option("seed").metavar("N").help("a whole number from 0 to 4294967295 (random when left out)");
constexpr mgpux::OptionBuilder kFp8Option =
    mgpux::option("fp8").negatable().help("FP8 quantization (the default; --no-fp8 for full precision)");
constexpr mgpux::OptionBuilder kTokenOption =
    mgpux::option("hf-token-env")
        .metavar("VAR")
        .help(
            "the environment variable holding a Hugging Face token (the Gemma text encoder is gated); it goes "
            "into the run's ephemeral Modal Secret, never into the script or a command line");
constexpr mgpux::OptionBuilder kLtxRefOption = mgpux::option("ltx-ref").metavar("COMMIT").help(
    "the LTX-2 commit or tag the image checks out (a tested commit "
    "by default)");

constexpr mgpux::OptionBuilder kImageOption = mgpux::option("image").metavar("NAME").help(
    "start from this published image (`m-gpux image build --base cuda`) instead of the CUDA 12.8 registry "
    "image; it must have CUDA, Python, git and pip (LTX-2 is installed on top)");

const std::vector<mgpux_option> kGenerateOptions = launch::with_shared(
    {kPipelineOption,
     mgpux::option("prompt").alias('p').metavar("TEXT").help("what the clip shows: action, camera, lighting"),
     mgpux::option("prompt-file").kind(MGPUX_OPT_PATH).metavar("FILE").help("read the prompt from FILE"),
     kResolutionOption,
     mgpux::option("frames")
         .kind(MGPUX_OPT_INT)
         .metavar("N")
         .help("frames at 25 fps: 25, 49, 97 (the default), 121, or any 8k+1"),
     kSeedOption, kFp8Option, kTokenOption, kLtxRefOption, kImageOption},
    launch::kCompute | launch::kTimeout, "86400");

const std::vector<mgpux_option> kStoryboardOptions = launch::with_shared(
    {mgpux::option("file")
         .alias('f')
         .kind(MGPUX_OPT_PATH)
         .metavar("FILE")
         .help("the storyboard, JSON or YAML (asked scene by scene when left out)"),
     kPipelineOption, kResolutionOption,
     mgpux::option("frames")
         .kind(MGPUX_OPT_INT)
         .metavar("N")
         .help("frames of a scene that sets none: 121 (the default), 97, 49, 25, or any 8k+1"),
     mgpux::option("seed").metavar("N").help("the base seed: scene i uses N+i-1 unless it sets its own"), kFp8Option,
     mgpux::option("max-parallel")
         .kind(MGPUX_OPT_INT)
         .metavar("N")
         .help("at most N GPU containers render scenes at once (default 4)"),
     mgpux::option("anchor-prompt")
         .metavar("TEXT")
         .help("a reference frame rendered from TEXT conditions every scene (character consistency)"),
     mgpux::option("anchor-strength")
         .metavar("0..1")
         .help("how strongly the reference frame conditions the scenes (0.3 light, 0.5 balanced, 0.7 strong)"),
     mgpux::option("input-mode")
         .choices(kInputModes)
         .metavar("bulk|one-by-one")
         .help("without --file: paste everything at once (ends at a line END) or type scene by scene"),
     kTokenOption, kLtxRefOption, kImageOption},
    launch::kCompute | launch::kTimeout, "86400");

const std::vector<mgpux_option> kDownloadOptions{
    mgpux::positional("filename").optional().help("the file to fetch (inside --run when given)"),
    mgpux::option("run").metavar("RUN").help("the run id printed by generate or storyboard"),
    mgpux::option("output")
        .alias('o')
        .kind(MGPUX_OPT_PATH)
        .metavar("DIR")
        .help("where to put it (default: the current folder)"),
};

const std::vector<mgpux_option> kListOptions{
    mgpux::option("run").metavar("RUN").help("list one run's files"),
};

// ------------------------------------------------------------------ shared steps

std::string read_file(const std::string& flag, const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw usage_error(flag + ": cannot read " + Json(path).dump());
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

uint32_t random_seed() { return static_cast<uint32_t>(std::stoul(launch::random_hex(4), nullptr, 16)); }

std::string new_run_id() { return make_run_id(std::time(nullptr), launch::random_hex(3)); }

const Pipeline& choose_pipeline(const Host& host, const Args& args, const std::optional<std::string>& from_file) {
    if (args.has("pipeline")) return pipeline_named(args.str("pipeline"));
    if (from_file) return pipeline_named(*from_file);
    std::vector<std::string> labels, notes;
    for (const auto& p : pipelines()) {
        labels.push_back(p.name);
        notes.push_back(p.note);
    }
    return pipelines().at(static_cast<std::size_t>(host.select("Pipeline", labels, notes, 0, "--pipeline")));
}

// The catalog's GPUs, starting on H100, with the cards that hold the 22B model marked.
launch::Compute ask_video_gpu(const Host& host, const mgpux::Catalog& catalog, const Json& cat) {
    launch::MenuRows rows = launch::gpu_menu_rows(cat);
    for (std::size_t i = 0; i < rows.labels.size(); ++i) {
        if (rows.labels[i] == "H100") rows.default_index = static_cast<int>(i);
        if (rows.labels[i] == "H100" || rows.labels[i] == "A100-80GB") rows.descriptions[i] += "  <- recommended";
    }
    const int pick =
        host.select("GPU (H100 or A100-80GB recommended)", rows.labels, rows.descriptions, rows.default_index, "--gpu");
    const std::string name = rows.labels.at(static_cast<std::size_t>(pick));
    const int count = launch::ask_gpu_count(host, cat, name);
    return launch::compute_from_gpu(catalog.parse_gpu(count > 1 ? name + ":" + std::to_string(count) : name));
}

launch::Compute choose_compute(const Host& host, const Args& args) {
    const mgpux::Catalog catalog(host);
    if (args.has("gpu") || args.has("cpu") || args.has("memory")) {
        launch::ComputeChoice choice;
        return launch::resolve_compute(host, args, catalog, choice);
    }
    const Json cat = catalog.get();
    const int kind =
        host.select("Compute type", {"GPU", "CPU"},
                    {"recommended: the 22B model needs a large GPU", "very slow for video"}, 0, "--gpu or --cpu");
    return kind == 0 ? ask_video_gpu(host, catalog, cat) : launch::ask_cpu(host, catalog, cat, "CPU size");
}

Compute template_compute(const launch::Compute& c) {
    Compute out;
    out.gpu = c.gpu;
    out.cores = c.cores;
    out.memory_mb = c.memory_mb;
    return out;
}

Resolution choose_resolution(const Host& host, const Args& args, const std::optional<Resolution>& from_file) {
    if (args.has("resolution")) return parse_resolution(args.str("resolution"));
    if (from_file) return *from_file;
    std::vector<std::string> labels, notes;
    for (const auto& r : resolution_presets()) {
        labels.push_back(r.size.text());
        notes.push_back(r.note);
    }
    return resolution_presets()
        .at(static_cast<std::size_t>(host.select("Resolution", labels, notes, 0, "--resolution")))
        .size;
}

int choose_frames(const Host& host, const Args& args, const std::optional<int>& from_file, int default_row,
                  const std::string& title) {
    if (args.has("frames")) return check_frames(args.integer("frames"));
    if (from_file) return *from_file;
    std::vector<std::string> labels, notes;
    for (const auto& f : frame_presets()) {
        labels.push_back(std::to_string(f.frames));
        notes.push_back(f.note);
    }
    return frame_presets()
        .at(static_cast<std::size_t>(host.select(title, labels, notes, default_row, "--frames")))
        .frames;
}

// --seed, else the file's, else a random one (printed, so a clip can be made again).
uint32_t choose_seed(const Host& host, const Args& args, const std::optional<uint32_t>& from_file) {
    if (args.has("seed")) return parse_seed(args.str("seed"));
    if (from_file) return *from_file;
    const uint32_t seed = random_seed();
    host.info("Seed: " + std::to_string(seed) + " (random; pass --seed " + std::to_string(seed) +
              " to render the same again)\n");
    return seed;
}

// The token's value, read from the variable --hf-token-env names; without the
// flag there is none (the gated Gemma encoder may then fail to download).
std::optional<std::string> hf_token(const Host& host, const Args& args) {
    if (!args.has("hf-token-env")) {
        host.warn(
            "No Hugging Face token (--hf-token-env VAR): the Gemma text encoder is gated, so its first "
            "download may fail.\n");
        return std::nullopt;
    }
    const std::string var = args.str("hf-token-env");
    check_env_name(var);
    const char* value = std::getenv(var.c_str());
    if (!value || !*value) throw usage_error("--hf-token-env " + var + ": the variable is not set or empty");
    return std::string(value);
}

RenderCommon common_settings(const Host& host, const Args& args, const launch::Compute& compute,
                             const std::string& run_id, bool has_token) {
    RenderCommon c;
    c.mgpux_version = host.raw()->host_version;
    c.run_id = run_id;
    c.ltx_commit = args.has("ltx-ref") ? check_ltx_ref(args.str("ltx-ref")) : std::string(kDefaultLtxCommit);
    c.compute = template_compute(compute);
    c.timeout_s = launch::resolve_timeout(args, 86400);
    c.hf_token = has_token;
    if (const auto image = mgpux::images::choose_image(host, args, mgpux::Profiles(host).resolve()))
        c.base_image = image->name;
    return c;
}

mgpux::RunRequest video_request(const std::string& app, const std::string& description, const launch::Compute& compute,
                                const RenderCommon& c, const std::string& script,
                                const std::optional<std::string>& token) {
    launch::LaunchPlan plan;
    plan.app_name = app;
    plan.description = description;
    plan.compute = compute;
    plan.timeout_s = c.timeout_s;
    mgpux::RunRequest req = launch::run_request(plan, script);
    // Per-run: an ephemeral secret, so the run is one `modal` process and leaves nothing behind.
    if (token) req.secret_env["HF_TOKEN"] = *token;
    return req;
}

std::vector<Json> result_docs(const Json& result) {
    std::vector<Json> out;
    if (const Json* r = result.find("results"); r && r->is_array())
        out.assign(r->as_array().begin(), r->as_array().end());
    return out;
}

// Success only when `modal run` completed and the script reported its files.
int report(const Host& host, const Args& args, const Json& result, const std::string& run_id, const char* kind) {
    const std::string status = result.string_or("status");
    if (status == "dry_run") {
        if (args.global_flag("json")) {
            Json doc = Json::object();
            doc.set("kind", kind);
            doc.set("status", status);
            doc.set("run_id", run_id);
            host.json(doc);
        }
        return MGPUX_OK;
    }
    const std::optional<Json> done =
        status == "completed" ? find_result(result_docs(result), run_id, kind) : std::nullopt;
    if (!done)
        throw mgpux::Error(MGPUX_E_FAILED, std::string("`modal run` ended (") + (status.empty() ? "?" : status) +
                                               ") without the script reporting a finished video; nothing was "
                                               "made. Look at the output above, or at `m-gpux video list --run " +
                                               run_id + "` for partial files");
    const std::string video = done->string_or("video");
    if (args.global_flag("json")) {
        Json doc = Json::object();
        doc.set("kind", kind);
        doc.set("status", status);
        doc.set("run_id", run_id);
        doc.set("volume", kOutputVolume);
        doc.set("video", video);
        doc.set("files", *done->find("files"));
        doc.set("profile", result.find("profile") ? *result.find("profile") : Json());
        doc.set("run_dir", result.find("run_dir") ? *result.find("run_dir") : Json());
        host.json(doc);
        return MGPUX_OK;
    }
    host.success("Video ready: " + video + " in the volume " + kOutputVolume + "\n");
    const std::string file = video.substr(video.find('/') + 1);
    host.info("Download it with `m-gpux video download " + file + " --run " + run_id + "`\n");
    return MGPUX_OK;
}

// ------------------------------------------------------------------ generate

std::string choose_prompt(const Host& host, const Args& args) {
    if (args.has("prompt") && args.has("prompt-file")) throw usage_error("give --prompt or --prompt-file, not both");
    std::string prompt;
    if (args.has("prompt-file")) prompt = read_file("--prompt-file", args.str("prompt-file"));
    else if (args.has("prompt")) prompt = args.str("prompt");
    else
        prompt = host.ask("Prompt (describe the action, camera and lighting; up to ~200 words)", nullptr,
                          "--prompt or --prompt-file");
    if (prompt.find_first_not_of(" \t\r\n") == std::string::npos)
        throw usage_error("the prompt is empty: pass --prompt TEXT or --prompt-file FILE with a description");
    const auto last = prompt.find_last_not_of(" \t\r\n");
    return prompt.substr(prompt.find_first_not_of(" \t\r\n"), last + 1 - prompt.find_first_not_of(" \t\r\n"));
}

// Everything a flag can get wrong, before any question.
void check_flags(const Args& args) {
    if (args.has("resolution")) parse_resolution(args.str("resolution"));
    if (args.has("frames")) check_frames(args.integer("frames"));
    if (args.has("seed")) parse_seed(args.str("seed"));
    if (args.has("ltx-ref")) check_ltx_ref(args.str("ltx-ref"));
    if (args.has("hf-token-env")) check_env_name(args.str("hf-token-env"));
    if (args.has("max-parallel")) check_max_parallel(args.integer("max-parallel"));
    if (args.has("anchor-strength")) parse_strength(args.str("anchor-strength"));
    launch::resolve_timeout(args, 86400);
}

void review_generate(const Host& host, const Pipeline& p, const launch::Compute& compute, const ClipSettings& s,
                     const std::string& prompt, const std::string& run_id) {
    host.table({"Setting", "Value"},
               {{"Pipeline", p.name + " (" + p.note + ")"},
                {"Compute", compute.label},
                {"Checkpoint", p.checkpoint},
                {"Resolution", s.resolution.text()},
                {"Frames", std::to_string(s.frames) + " (" + seconds_text(s.frames) + " s at 25 fps)"},
                {"FP8", s.fp8 ? "yes" : "no"},
                {"Seed", std::to_string(s.seed)},
                {"Prompt", preview(prompt, 80)},
                {"Run", run_id + " (files under " + run_id + "/ in " + kOutputVolume + ")"}},
               "Ready to generate");
}

int generate(Host& host, const Args& args) {
    check_flags(args);
    const std::string run_id = new_run_id();
    const Pipeline& p = choose_pipeline(host, args, std::nullopt);
    const launch::Compute compute = choose_compute(host, args);
    const std::string prompt = choose_prompt(host, args);
    ClipSettings s;
    s.pipeline = p.name;
    s.resolution = choose_resolution(host, args, std::nullopt);
    s.frames = choose_frames(host, args, std::nullopt, 2, "Duration (frames at 25 fps)");
    s.fp8 = args.flag_or("fp8", true);
    const std::optional<std::string> token = hf_token(host, args);
    s.seed = choose_seed(host, args, std::nullopt);
    RenderCommon c = common_settings(host, args, compute, run_id, token.has_value());
    c.settings = s;
    review_generate(host, p, compute, s, prompt, run_id);
    const std::string script = host.render("video/generate.py", generate_context(c, prompt));
    mgpux::RunRequest req =
        video_request(kGenerateApp, "LTX-2.3 video (" + p.name + ") on " + compute.label, compute, c, script, token);
    const Json result = mgpux::Runner(host).run(req.to_json());
    return report(host, args, result, run_id, "video");
}

// ------------------------------------------------------------------ storyboard

std::vector<std::string> read_pasted_lines(const Host& host) {
    host.info(
        "Paste the storyboard: scenes separated by lines ---, an optional first block\n"
        "CHARACTERS with one \"Name: description\" a line; finish with a line END (or end of input).\n");
    std::vector<std::string> lines;
    while (true) {
        std::string line;
        try {
            line = host.ask("|", "", "--file");
        } catch (const mgpux::Error& e) {
            if (e.code() == MGPUX_E_CANCELLED && !lines.empty()) break;  // end of input
            throw;
        }
        if (is_end_line(line)) break;
        lines.push_back(line);
    }
    return lines;
}

std::vector<SceneInput> ask_scenes_one_by_one(const Host& host) {
    std::vector<SceneInput> scenes;
    host.info("Type one scene prompt at a time; `del N` removes scene N, `done` finishes.\n");
    while (true) {
        const std::string answer = host.ask("Scene " + std::to_string(scenes.size() + 1), "done", "--file");
        if (answer == "done") {
            if (!scenes.empty()) return scenes;
            host.warn("Add at least one scene first.\n");
            continue;
        }
        if (answer.rfind("del ", 0) == 0) {
            const std::string n = answer.substr(4);
            const bool ok = !n.empty() && n.find_first_not_of("0123456789") == std::string::npos && n.size() < 6 &&
                            std::stoul(n) >= 1 && std::stoul(n) <= scenes.size();
            if (!ok) host.warn("No scene " + n + " (there are " + std::to_string(scenes.size()) + ").\n");
            else scenes.erase(scenes.begin() + static_cast<long>(std::stoul(n) - 1));
            continue;
        }
        scenes.push_back({answer, std::nullopt, std::nullopt});
    }
}

StoryboardFile storyboard_input(const Host& host, const Args& args) {
    if (args.has("file")) return parse_storyboard(read_file("--file", args.str("file")), args.str("file"));
    if (!launch::asks_questions(args))
        throw usage_error("a storyboard needs --file FILE (JSON or YAML) when nothing can be asked");
    StoryboardFile f;
    const bool bulk = args.has("input-mode")
                          ? args.str("input-mode") == "bulk"
                          : host.select("Storyboard input", {"bulk", "one-by-one"},
                                        {"paste every scene at once", "type scene by scene"}, 0, "--input-mode") == 0;
    if (bulk) {
        const BulkPaste paste = parse_bulk_paste(read_pasted_lines(host));
        f.characters = paste.characters;
        for (const auto& s : paste.scenes) f.scenes.push_back({s, std::nullopt, std::nullopt});
        for (const auto& c : paste.characters)
            host.info("Character " + c.name + ": " + preview(c.description, 80) + "\n");
    } else {
        f.scenes = ask_scenes_one_by_one(host);
    }
    if (f.scenes.empty()) throw usage_error("the storyboard has no scenes");
    return f;
}

std::optional<Anchor> choose_anchor(const Args& args, const StoryboardFile& f) {
    std::optional<Anchor> anchor = f.anchor;
    if (args.has("anchor-prompt")) {
        const std::string text = args.str("anchor-prompt");
        if (text.find_first_not_of(" \t\r\n") == std::string::npos) return std::nullopt;  // turned off
        anchor = Anchor{text, anchor ? anchor->strength : 0.5};
    }
    if (args.has("anchor-strength")) {
        if (!anchor) throw usage_error("--anchor-strength goes with --anchor-prompt (or an anchor in the file)");
        anchor->strength = parse_strength(args.str("anchor-strength"));
    }
    if (anchor) anchor->prompt = substitute_characters(anchor->prompt, f.characters);
    return anchor;
}

void review_storyboard(const Host& host, const Pipeline& p, const launch::Compute& compute, const ClipSettings& s,
                       const std::vector<Scene>& scenes, const std::optional<Anchor>& anchor, int max_parallel,
                       const std::string& run_id) {
    std::vector<std::vector<Json>> rows;
    for (const auto& sc : scenes)
        rows.push_back(
            {sc.number, sc.frames, seconds_text(sc.frames), static_cast<long long>(sc.seed), preview(sc.prompt, 60)});
    host.table({"#", "Frames", "Seconds", "Seed", "Prompt"}, rows, "Storyboard");
    char minutes[32];
    std::snprintf(minutes, sizeof minutes, "~%.0f", estimated_gpu_minutes(p, scenes, anchor.has_value()));
    host.table({"Setting", "Value"},
               {{"Pipeline", p.name + " (" + p.note + ")"},
                {"Compute", compute.label},
                {"Checkpoint", p.checkpoint},
                {"Resolution", s.resolution.text()},
                {"Scenes", std::to_string(scenes.size()) + ", " + seconds_text(total_frames(scenes)) + " s in all"},
                {"FP8", s.fp8 ? "yes" : "no"},
                {"Seeds", "scene i uses " + std::to_string(s.seed) +
                              "+i-1 unless it sets its own (scene 1: " + std::to_string(s.seed) + ")"},
                {"Anchor", anchor ? preview(anchor->prompt, 60) + " (strength " + Json(anchor->strength).dump() + ")"
                                  : std::string("off")},
                {"Parallel", "at most " + std::to_string(max_parallel) + " containers at once"},
                {"Estimate", std::string(minutes) + " GPU-minutes (plus the first model download)"},
                {"Run", run_id + " (files under " + run_id + "/ in " + kOutputVolume + ")"}},
               "Ready to render");
}

int storyboard(Host& host, const Args& args) {
    check_flags(args);
    const std::string run_id = new_run_id();
    const StoryboardFile f = storyboard_input(host, args);
    const Pipeline& p = choose_pipeline(host, args, f.pipeline);
    const launch::Compute compute = choose_compute(host, args);
    ClipSettings s;
    s.pipeline = p.name;
    s.resolution = choose_resolution(host, args, f.resolution);
    s.frames = choose_frames(host, args, f.frames, 3, "Frames of each scene (25 fps)");
    s.fp8 = args.has("fp8") ? args.flag("fp8") : f.fp8.value_or(true);
    const int max_parallel =
        args.has("max-parallel") ? check_max_parallel(args.integer("max-parallel")) : f.max_parallel.value_or(4);
    const std::optional<Anchor> anchor = choose_anchor(args, f);
    const std::optional<std::string> token = hf_token(host, args);
    s.seed = choose_seed(host, args, f.seed);
    const std::vector<Scene> scenes = resolve_scenes(f.scenes, f.characters, s);
    RenderCommon c = common_settings(host, args, compute, run_id, token.has_value());
    c.settings = s;
    review_storyboard(host, p, compute, s, scenes, anchor, max_parallel, run_id);
    const std::string script = host.render("video/storyboard.py", storyboard_context(c, scenes, anchor, max_parallel));
    mgpux::RunRequest req = video_request(
        kStoryboardApp,
        "LTX-2.3 storyboard (" + std::to_string(scenes.size()) + " scenes, " + p.name + ") on " + compute.label,
        compute, c, script, token);
    const Json result = mgpux::Runner(host).run(req.to_json());
    return report(host, args, result, run_id, "storyboard");
}

// ------------------------------------------------------------------ download / list

// A path inside the output volume: relative, no "..".
std::string volume_path(const std::string& run, const std::string& file) {
    std::string path = run.empty() ? file : file.empty() ? run : run + "/" + file;
    while (!path.empty() && path.front() == '/') path.erase(0, 1);
    std::stringstream parts(path);
    for (std::string part; std::getline(parts, part, '/');)
        if (part == "..")
            throw usage_error("a file of the output volume has no '..' in its path: " + Json(path).dump());
    return path;
}

void print_modal_output(const Host& host, const Json& r) {
    const std::string out = r.string_or("stdout");
    if (!out.empty()) host.text(out.back() == '\n' ? out : out + "\n");
}

int list_files(Host& host, const Args& args, const std::string& path) {
    std::vector<std::string> argv{"volume", "ls", kOutputVolume};
    if (!path.empty()) argv.push_back(path);
    const bool json = args.global_flag("json");
    if (json) argv.push_back("--json");
    const Json r = mgpux::Modal(host).call(argv, mgpux::Profiles(host).resolve());
    if (json) {
        Json doc = Json::object();
        doc.set("volume", kOutputVolume);
        doc.set("path", path);
        doc.set("entries", r.find("json") ? *r.find("json") : Json());
        host.json(doc);
    } else {
        print_modal_output(host, r);
    }
    return MGPUX_OK;
}

int list(Host& host, const Args& args) { return list_files(host, args, volume_path(args.str("run"), "")); }

int download(Host& host, const Args& args) {
    const std::string path = volume_path(args.str("run"), args.str("filename"));
    if (path.empty()) {
        list_files(host, args, "");
        host.info("Pass a file name (and --run RUN) to download it: m-gpux video download FILE --run RUN\n");
        return MGPUX_OK;
    }
    const std::string dir = args.str("output", ".");
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw usage_error("--output " + Json(dir).dump() + " is not a folder");
    const std::vector<std::string> argv{"volume", "get", kOutputVolume, path, dir};
    if (args.global_flag("dry_run")) {
        host.info("dry run: would run modal volume get " + std::string(kOutputVolume) + " " + path + " " + dir + "\n");
    } else {
        mgpux::Modal(host).call(argv, mgpux::Profiles(host).resolve(), 0, !args.global_flag("json"));
        host.success("Downloaded " + path + " into " + dir + "\n");
    }
    if (args.global_flag("json")) {
        Json doc = Json::object();
        doc.set("volume", kOutputVolume);
        doc.set("path", path);
        doc.set("output", dir);
        doc.set("dry_run", args.global_flag("dry_run"));
        host.json(doc);
    }
    return MGPUX_OK;
}

// Every launching command checks the Modal account before any question.
mgpux::Handler launching(int (*handler)(Host&, const Args&)) {
    return [handler](Host& host, const Args& args) {
        launch::require_modal_account(host, args);
        return handler(host, args);
    };
}

constexpr uint32_t kFlags = MGPUX_CMDF_JSON | MGPUX_CMDF_INTERACTIVE;

const mgpux::Commands kCommands{
    mgpux::command("video", "Text-to-video with Lightricks LTX-2.3 on Modal GPUs",
                   "Renders clips from text prompts with the LTX-2.3 22B model: one clip (generate), or\n"
                   "a storyboard of scenes joined into one video. The weights are cached in the volume\n"
                   "m-gpux-ltx-cache; every run writes under its own run id in m-gpux-video-output.\n\n"
                   "Example:\n"
                   "  m-gpux video generate --prompt \"a red fox in the snow, slow pan\" --gpu H100\n"
                   "  m-gpux video storyboard --file story.yaml --hf-token-env HF_TOKEN\n"
                   "  m-gpux video download video_42.mp4 --run 20260101-120000-a1b2c3"),
    mgpux::command("video generate", "Render one clip from a text prompt", kGenerateOptions, launching(generate))
        .help("Asks (or takes from flags) the pipeline, compute (H100 or A100-80GB recommended), prompt,\n"
              "resolution, frames, FP8 and seed, shows a review, then runs it attached (`modal run`).\n"
              "The weights download on a CPU container first. The Gemma text encoder is gated on Hugging\n"
              "Face: --hf-token-env VAR passes your token as an ephemeral Modal Secret. m-gpux exits 1 unless\n"
              "the clip was saved. --json prints {kind, status, run_id, video, files, volume, profile}.\n\n"
              "Example:\n"
              "  m-gpux video generate --prompt \"waves at dusk, drone shot\" --gpu H100 --frames 121\n"
              "  HF_TOKEN=hf_... m-gpux --yes video generate --prompt-file p.txt --pipeline ti2vid_two_stages \\\n"
              "      --resolution 1024x576 --seed 7 --hf-token-env HF_TOKEN")
        .flags(kFlags),
    mgpux::command("video storyboard", "Render scenes in parallel and join them into one video", kStoryboardOptions,
                   launching(storyboard))
        .help("Scenes come from --file (JSON or YAML: pipeline, resolution, frames, seed, fp8,\n"
              "characters {Name: description}, anchor {prompt, strength}, max_parallel, scenes [{prompt,\n"
              "frames, seed}]; a scene's settings win over the file's, flags win over both), or are\n"
              "pasted (ending at a line END) or typed one by one. A character's name, as a whole word,\n"
              "is followed by its description in every prompt. Scene i uses seed base+i-1. The scenes\n"
              "render on at most --max-parallel containers at once; the clips and the final video are\n"
              "kept under the run id in m-gpux-video-output.\n\n"
              "Example:\n"
              "  m-gpux video storyboard --file story.yaml --gpu H100 --max-parallel 2\n"
              "  m-gpux video storyboard --input-mode bulk --anchor-prompt \"Ann, portrait\" --anchor-strength 0.5")
        .flags(kFlags),
    mgpux::command("video download", "Download a video (or a whole run) from the output volume", kDownloadOptions,
                   download)
        .help("`modal volume get m-gpux-video-output <RUN>/<FILENAME> <DIR>` with the profile pinned.\n"
              "--run alone fetches the whole run; no argument lists the volume.\n\n"
              "Example:\n"
              "  m-gpux video download video_42.mp4 --run 20260101-120000-a1b2c3 --output clips/\n"
              "  m-gpux video download --run 20260101-120000-a1b2c3")
        .flags(MGPUX_CMDF_JSON),
    mgpux::command("video list", "List the runs (or one run's files) in the output volume", kListOptions, list)
        .help("`modal volume ls m-gpux-video-output [RUN]` with the profile pinned.\n\n"
              "Example:\n"
              "  m-gpux video list\n"
              "  m-gpux video list --run 20260101-120000-a1b2c3")
        .flags(MGPUX_CMDF_JSON),
};

}  // namespace
}  // namespace video

MGPUX_CPP_PLUGIN_COMMANDS("video", "0.1.0", "Text-to-video with LTX-2.3 (generate, storyboard, download)",
                          "Compute Engine", video::kCommands)
