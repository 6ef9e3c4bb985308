// SPDX-License-Identifier: MIT
#include "video_logic.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace video {
namespace {

using mgpux::usage_error;

std::string trim(const std::string& s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return std::string();
    const auto last = s.find_last_not_of(" \t\r\n");
    return s.substr(first, last - first + 1);
}

bool all_digits(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// A letter, digit or underscore; any byte of a multi-byte UTF-8 sequence counts
// as a letter, so "Zoë" is one word.
bool is_word_byte(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x80 || std::isalnum(u) != 0 || c == '_';
}

}  // namespace

const std::vector<Pipeline>& pipelines() {
    static const std::vector<Pipeline> list{
        {"distilled", "ltx-2.3-22b-distilled-1.1.safetensors", false, 2, "fastest: 8 steps, ~2 min a clip"},
        {"ti2vid_two_stages", "ltx-2.3-22b-dev.safetensors", true, 10, "best quality: 40 steps, ~10 min a clip"},
    };
    return list;
}

const Pipeline& pipeline_named(const std::string& name) {
    for (const auto& p : pipelines())
        if (p.name == name) return p;
    throw usage_error("--pipeline must be distilled or ti2vid_two_stages, not " + Json(name).dump());
}

const std::vector<ResolutionPreset>& resolution_presets() {
    static const std::vector<ResolutionPreset> list{
        {{768, 512}, "landscape"},   {{512, 768}, "portrait"}, {{512, 512}, "square"},
        {{1024, 576}, "widescreen"}, {{576, 1024}, "tall"},
    };
    return list;
}

Resolution parse_resolution(const std::string& text, const std::string& field) {
    const std::string t = lower(trim(text));
    const auto x = t.find('x');
    const std::string help = field + " takes WIDTHxHEIGHT (e.g. 768x512), each a multiple of 32 from 64 to 4096";
    if (x == std::string::npos) throw usage_error(help + "; got " + Json(text).dump());
    const std::string w = t.substr(0, x), h = t.substr(x + 1);
    if (!all_digits(w) || !all_digits(h) || w.size() > 5 || h.size() > 5)
        throw usage_error(help + "; got " + Json(text).dump());
    const Resolution r{std::stoi(w), std::stoi(h)};
    for (int v : {r.width, r.height})
        if (v < 64 || v > 4096 || v % 32 != 0) throw usage_error(help + "; got " + Json(text).dump());
    return r;
}

const std::vector<FramePreset>& frame_presets() {
    static const std::vector<FramePreset> list{{25, "1 s"}, {49, "2 s"}, {97, "~4 s"}, {121, "~5 s"}};
    return list;
}

int check_frames(long long frames, const std::string& field) {
    if (frames < 9 || frames > 1025 || (frames - 1) % 8 != 0)
        throw usage_error(field + " must be 8k+1 frames between 9 and 1025 (25, 49, 97, 121, ...), not " +
                          std::to_string(frames));
    return static_cast<int>(frames);
}

int parse_frames(const std::string& text, const std::string& field) {
    const std::string t = trim(text);
    if (!all_digits(t) || t.size() > 6)
        throw usage_error(field + " must be a whole number of frames (8k+1, e.g. 97), not " + Json(text).dump());
    return check_frames(std::stoll(t), field);
}

uint32_t parse_seed(const std::string& text, const std::string& field) {
    const std::string t = trim(text);
    const std::string help = field + " must be a whole number from 0 to 4294967295, not " + Json(text).dump();
    if (!all_digits(t) || t.size() > 10) throw usage_error(help);
    const unsigned long long v = std::stoull(t);
    if (v > kMaxSeed) throw usage_error(help);
    return static_cast<uint32_t>(v);
}

double parse_strength(const std::string& text, const std::string& field) {
    const std::string t = trim(text);
    char* end = nullptr;
    const double v = t.empty() ? NAN : std::strtod(t.c_str(), &end);
    if (t.empty() || end != t.c_str() + t.size() || !std::isfinite(v))
        throw usage_error(field + " must be a number from 0 to 1 (0.3 light, 0.5 balanced, 0.7 strong), not " +
                          Json(text).dump());
    return std::clamp(v, 0.0, 1.0);
}

int check_max_parallel(long long n, const std::string& field) {
    if (n < 1 || n > 16) throw usage_error(field + " must be between 1 and 16, not " + std::to_string(n));
    return static_cast<int>(n);
}

std::string check_ltx_ref(const std::string& ref) {
    const bool ok = !ref.empty() && ref.size() <= 100 && ref.front() != '-' && ref.find("..") == std::string::npos &&
                    std::all_of(ref.begin(), ref.end(), [](unsigned char c) {
                        return std::isalnum(c) != 0 || c == '.' || c == '_' || c == '-' || c == '/';
                    });
    if (!ok)
        throw usage_error(
            "--ltx-ref must be a commit or a tag of the LTX-2 repository (letters, digits, . _ - /), not " +
            Json(ref).dump());
    return ref;
}

void check_env_name(const std::string& name) {
    const bool ok =
        !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_') &&
        std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isalnum(c) != 0 || c == '_'; });
    if (!ok)
        throw usage_error("--hf-token-env takes the NAME of an environment variable (e.g. HF_TOKEN), not " +
                          Json(name).dump());
}

std::string make_run_id(std::time_t now, const std::string& hex) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
    return std::string(buf) + "-" + hex;
}

std::string seconds_text(int frames) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(frames) / kFrameRate);
    return buf;
}

std::string preview(const std::string& text, std::size_t max_chars) {
    std::string out;
    std::size_t chars = 0, i = 0;
    while (i < text.size() && chars < max_chars) {
        std::size_t len = 1;
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0xF0) len = 4;
        else if (c >= 0xE0) len = 3;
        else if (c >= 0xC0) len = 2;
        std::string piece = text.substr(i, len);
        if (piece == "\n" || piece == "\r" || piece == "\t") piece = " ";
        out += piece;
        i += len;
        ++chars;
    }
    if (i < text.size()) out += "...";
    return out;
}

// ---------------------------------------------------------------- characters

std::string substitute_characters(const std::string& prompt, const std::vector<Character>& characters) {
    std::vector<const Character*> by_length;
    for (const auto& c : characters)
        if (!c.name.empty()) by_length.push_back(&c);
    std::stable_sort(by_length.begin(), by_length.end(),
                     [](const Character* a, const Character* b) { return a->name.size() > b->name.size(); });
    std::string out;
    std::size_t i = 0;
    while (i < prompt.size()) {
        const bool starts_word = i == 0 || !is_word_byte(prompt[i - 1]);
        const Character* hit = nullptr;
        if (starts_word)
            for (const Character* c : by_length) {
                const std::size_t end = i + c->name.size();
                if (prompt.compare(i, c->name.size(), c->name) == 0 &&
                    (end == prompt.size() || !is_word_byte(prompt[end]))) {
                    hit = c;
                    break;
                }
            }
        if (hit) {
            // Written once and never scanned again: a description naming another
            // character stays as written.
            out += hit->name + " (" + hit->description + ")";
            i += hit->name.size();
        } else {
            out += prompt[i++];
        }
    }
    return out;
}

// ---------------------------------------------------------------- storyboard file

namespace {

class FileReader {
public:
    explicit FileReader(std::string origin) : origin_(std::move(origin)) {}

    [[noreturn]] void fail(const std::string& field, const std::string& problem) const {
        throw usage_error(origin_ + ": " + (field.empty() ? problem : field + " " + problem));
    }

    std::string scalar(const YAML::Node& n, const std::string& field) const {
        if (!n.IsScalar()) fail(field, "must be a single value");
        return n.Scalar();
    }

    std::string text(const YAML::Node& n, const std::string& field) const {
        const std::string s = trim(scalar(n, field));
        if (s.empty()) fail(field, "must not be empty");
        return s;
    }

    long long integer(const YAML::Node& n, const std::string& field) const {
        const std::string s = trim(scalar(n, field));
        if (!all_digits(s) || s.size() > 10) fail(field, "must be a whole number, not " + Json(s).dump());
        return std::stoll(s);
    }

    bool boolean(const YAML::Node& n, const std::string& field) const {
        const std::string s = lower(trim(scalar(n, field)));
        if (s == "true" || s == "yes" || s == "on") return true;
        if (s == "false" || s == "no" || s == "off") return false;
        fail(field, "must be true or false, not " + Json(s).dump());
    }

    // The library's own checks, with the file and field in front.
    template <typename F>
    auto checked(const std::string& field, F&& f) const -> decltype(f(field)) {
        try {
            return f(field);
        } catch (const mgpux::Error& e) {
            throw usage_error(origin_ + ": " + e.what());
        }
    }

    SceneInput scene(const YAML::Node& n, const std::string& field) const {
        SceneInput s;
        if (n.IsScalar()) {
            s.prompt = text(n, field);
            return s;
        }
        if (!n.IsMap()) fail(field, "must be an object with a prompt");
        if (!n["prompt"]) fail(field + ".prompt", "is required");
        s.prompt = text(n["prompt"], field + ".prompt");
        if (n["frames"]) {
            const long long f = integer(n["frames"], field + ".frames");
            s.frames = checked(field + ".frames", [&](const std::string& name) { return check_frames(f, name); });
        }
        if (n["seed"]) {
            const std::string v = scalar(n["seed"], field + ".seed");
            s.seed = checked(field + ".seed", [&](const std::string& name) { return parse_seed(v, name); });
        }
        for (const auto& kv : n) {
            const std::string key = kv.first.Scalar();
            if (key != "prompt" && key != "frames" && key != "seed")
                fail(field + "." + key, "is not a scene setting (prompt, frames, seed)");
        }
        return s;
    }

private:
    std::string origin_;
};

const char* const kTopKeys[] = {"pipeline",   "resolution", "frames",       "seed",  "fp8",
                                "characters", "anchor",     "max_parallel", "scenes"};

void read_globals(const FileReader& r, const YAML::Node& root, StoryboardFile& f) {
    if (root["pipeline"]) {
        const std::string p = r.text(root["pipeline"], "pipeline");
        f.pipeline = r.checked("pipeline", [&](const std::string&) { return pipeline_named(p).name; });
    }
    if (root["resolution"]) {
        const std::string v = r.text(root["resolution"], "resolution");
        f.resolution = r.checked("resolution", [&](const std::string& n) { return parse_resolution(v, n); });
    }
    if (root["frames"]) {
        const long long v = r.integer(root["frames"], "frames");
        f.frames = r.checked("frames", [&](const std::string& n) { return check_frames(v, n); });
    }
    if (root["seed"]) {
        const std::string v = r.scalar(root["seed"], "seed");
        f.seed = r.checked("seed", [&](const std::string& n) { return parse_seed(v, n); });
    }
    if (root["fp8"]) f.fp8 = r.boolean(root["fp8"], "fp8");
    if (root["max_parallel"]) {
        const long long v = r.integer(root["max_parallel"], "max_parallel");
        f.max_parallel = r.checked("max_parallel", [&](const std::string& n) { return check_max_parallel(v, n); });
    }
}

void read_characters(const FileReader& r, const YAML::Node& node, StoryboardFile& f) {
    if (!node) return;
    if (!node.IsMap()) r.fail("characters", "must be an object of Name: description");
    for (const auto& kv : node) {
        const std::string name = trim(kv.first.Scalar());
        if (name.empty()) r.fail("characters", "has an empty name");
        f.characters.push_back({name, r.text(kv.second, "characters." + name)});
    }
}

void read_anchor(const FileReader& r, const YAML::Node& node, StoryboardFile& f) {
    if (!node) return;
    if (!node.IsMap() || !node["prompt"]) r.fail("anchor", "must be an object with a prompt (and a strength)");
    Anchor a;
    a.prompt = r.text(node["prompt"], "anchor.prompt");
    if (node["strength"]) {
        const std::string v = r.scalar(node["strength"], "anchor.strength");
        a.strength = r.checked("anchor.strength", [&](const std::string& n) { return parse_strength(v, n); });
    }
    f.anchor = a;
}

}  // namespace

StoryboardFile parse_storyboard(const std::string& text, const std::string& origin) {
    const FileReader r(origin);
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        r.fail("", "is neither JSON nor YAML: " + std::string(e.what()));
    }
    if (!root.IsMap()) r.fail("", "must be an object with a list of scenes");
    for (const auto& kv : root) {
        const std::string key = kv.first.Scalar();
        if (std::find(std::begin(kTopKeys), std::end(kTopKeys), key) == std::end(kTopKeys))
            r.fail(key, "is not a storyboard setting");
    }
    StoryboardFile f;
    read_globals(r, root, f);
    read_characters(r, root["characters"], f);
    read_anchor(r, root["anchor"], f);
    const YAML::Node scenes = root["scenes"];
    if (!scenes || !scenes.IsSequence() || scenes.size() == 0) r.fail("scenes", "must be a list of at least one scene");
    for (std::size_t i = 0; i < scenes.size(); ++i)
        f.scenes.push_back(r.scene(scenes[i], "scenes[" + std::to_string(i + 1) + "]"));
    return f;
}

// ---------------------------------------------------------------- bulk paste

bool is_end_line(const std::string& line) { return trim(line) == "END"; }

namespace {

bool starts_with_characters(const std::string& line) { return lower(trim(line)).rfind("characters", 0) == 0; }

void add_character_line(const std::string& line, std::vector<Character>& out) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) return;
    const std::string name = trim(line.substr(0, colon)), desc = trim(line.substr(colon + 1));
    if (!name.empty() && !desc.empty()) out.push_back({name, desc});
}

std::vector<Character> character_block(const std::vector<std::string>& block) {
    std::vector<Character> out;
    bool first = true;
    for (const auto& raw : block) {
        const std::string line = trim(raw);
        if (line.empty()) continue;
        if (first) {
            first = false;
            // "CHARACTERS" alone, or "CHARACTERS: Name: description".
            const auto colon = line.find(':');
            if (colon != std::string::npos) add_character_line(line.substr(colon + 1), out);
            continue;
        }
        add_character_line(line, out);
    }
    return out;
}

std::string scene_text(const std::vector<std::string>& block) {
    std::string out;
    for (const auto& raw : block) {
        const std::string line = trim(raw);
        if (line.empty()) continue;
        out += (out.empty() ? "" : " ") + line;
    }
    return out;
}

}  // namespace

BulkPaste parse_bulk_paste(const std::vector<std::string>& lines) {
    std::vector<std::vector<std::string>> blocks(1);
    for (const auto& line : lines) {
        if (is_end_line(line)) break;
        if (trim(line) == "---") blocks.emplace_back();
        else blocks.back().push_back(line);
    }
    BulkPaste out;
    for (std::size_t b = 0; b < blocks.size(); ++b) {
        const auto& block = blocks[b];
        const auto first =
            std::find_if(block.begin(), block.end(), [](const std::string& l) { return !trim(l).empty(); });
        if (first == block.end()) continue;
        if (out.scenes.empty() && out.characters.empty() && starts_with_characters(*first)) {
            out.characters = character_block(block);
            continue;
        }
        out.scenes.push_back(scene_text(block));
    }
    return out;
}

// ---------------------------------------------------------------- scenes

uint32_t scene_seed(uint32_t base, std::size_t scene_number) {
    return static_cast<uint32_t>(base + static_cast<uint32_t>(scene_number - 1));
}

std::vector<Scene> resolve_scenes(const std::vector<SceneInput>& scenes, const std::vector<Character>& characters,
                                  const ClipSettings& settings) {
    std::vector<Scene> out;
    for (std::size_t i = 0; i < scenes.size(); ++i) {
        Scene s;
        s.number = static_cast<int>(i + 1);
        s.prompt = substitute_characters(scenes[i].prompt, characters);
        s.frames = scenes[i].frames.value_or(settings.frames);
        s.seed = scenes[i].seed.value_or(scene_seed(settings.seed, i + 1));
        out.push_back(s);
    }
    return out;
}

int total_frames(const std::vector<Scene>& scenes) {
    int n = 0;
    for (const auto& s : scenes) n += s.frames;
    return n;
}

double estimated_gpu_minutes(const Pipeline& p, const std::vector<Scene>& scenes, bool anchor) {
    double minutes = 0;
    for (const auto& s : scenes) minutes += p.gpu_minutes_per_clip * std::max(1.0, s.frames / 121.0);
    if (anchor) minutes += p.gpu_minutes_per_clip;
    return minutes;
}

// ---------------------------------------------------------------- templates

namespace {

Json common_context(const RenderCommon& c, const std::string& template_name, const std::string& app) {
    const Pipeline& p = pipeline_named(c.settings.pipeline);
    Json ctx = Json::object();
    ctx.set("mgpux_version", c.mgpux_version);
    ctx.set("template", template_name);
    ctx.set("app_name", app);
    ctx.set("run_id", c.run_id);
    ctx.set("ltx_commit", c.ltx_commit);
    ctx.set("pipeline", p.name);
    ctx.set("checkpoint", p.checkpoint);
    ctx.set("needs_lora", p.needs_lora);
    ctx.set("fp8", c.settings.fp8);
    ctx.set("width", c.settings.resolution.width);
    ctx.set("height", c.settings.resolution.height);
    ctx.set("seed", static_cast<long long>(c.settings.seed));
    ctx.set("gpu", c.compute.gpu ? Json(*c.compute.gpu) : Json());
    if (c.compute.cores) {
        Json cpu = Json::object();
        cpu.set("cores", *c.compute.cores);
        cpu.set("memory_mb", c.compute.memory_mb.value_or(*c.compute.cores * 2048));
        ctx.set("cpu", cpu);
    } else {
        ctx.set("cpu", Json());
    }
    ctx.set("timeout_s", c.timeout_s);
    ctx.set("hf_token", c.hf_token);
    ctx.set("base_image", c.base_image ? Json(*c.base_image) : Json());
    return ctx;
}

}  // namespace

Json generate_context(const RenderCommon& c, const std::string& prompt) {
    Json ctx = common_context(c, "video/generate.py", kGenerateApp);
    ctx.set("prompt", prompt);
    ctx.set("frames", c.settings.frames);
    return ctx;
}

Json storyboard_context(const RenderCommon& c, const std::vector<Scene>& scenes, const std::optional<Anchor>& anchor,
                        int max_parallel) {
    Json ctx = common_context(c, "video/storyboard.py", kStoryboardApp);
    Json list = Json::array();
    for (const auto& s : scenes) {
        Json one = Json::object();
        one.set("number", s.number);
        one.set("prompt", s.prompt);
        one.set("frames", s.frames);
        one.set("seed", static_cast<long long>(s.seed));
        list.push(one);
    }
    ctx.set("scenes", list);
    ctx.set("frames", c.settings.frames);
    ctx.set("anchor_prompt", anchor ? Json(anchor->prompt) : Json());
    ctx.set("anchor_strength", anchor ? anchor->strength : 0.0);
    ctx.set("max_parallel", max_parallel);
    return ctx;
}

std::optional<Json> find_result(const std::vector<Json>& results, const std::string& run_id, const std::string& kind) {
    for (const auto& r : results) {
        if (!r.is_object() || r.string_or("kind") != kind) continue;
        if (r.find("run_id") && r.string_or("run_id") != run_id) continue;  // another run's
        const Json* files = r.find("files");
        if (!files || !files->is_array() || r.string_or("video").empty()) continue;
        return r;
    }
    return std::nullopt;
}

}  // namespace video
