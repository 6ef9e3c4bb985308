// SPDX-License-Identifier: MIT
// Pure logic of `m-gpux video` (no host calls, so all of it is unit-tested):
// the LTX-2.3 presets, validation of resolutions, frame counts and seeds, the
// storyboard file and bulk-paste formats, character substitution, seed
// numbering, run ids and the template contexts.
#pragma once

#include <mgpux/plugin.hpp>

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace video {

using mgpux::Json;

// The LTX code is cloned at this commit unless --ltx-ref names another.
inline constexpr const char* kDefaultLtxCommit = "5bfc33f69e2b7abcfafd8daf7769f2d74905d34b";
inline constexpr const char* kOutputVolume = "m-gpux-video-output";
inline constexpr const char* kGenerateApp = "m-gpux-video-gen";
inline constexpr const char* kStoryboardApp = "m-gpux-video-storyboard";
inline constexpr int kFrameRate = 25;
inline constexpr uint32_t kMaxSeed = 4294967295u;

struct Pipeline {
    std::string name;        // the LTX module (ltx_pipelines.<name>) and the --pipeline value
    std::string checkpoint;  // file in the Hugging Face repository
    bool needs_lora = false;
    int gpu_minutes_per_clip = 0;  // rough, for estimates
    std::string note;
};

const std::vector<Pipeline>& pipelines();
// The pipeline called `name`; usage error naming --pipeline otherwise.
const Pipeline& pipeline_named(const std::string& name);

struct Resolution {
    int width = 0;
    int height = 0;
    std::string text() const { return std::to_string(width) + "x" + std::to_string(height); }
};

struct ResolutionPreset {
    Resolution size;
    std::string note;
};
const std::vector<ResolutionPreset>& resolution_presets();

// "WxH": a preset, or any width and height that are multiples of 32 between
// 64 and 4096. Usage error naming `field` otherwise.
Resolution parse_resolution(const std::string& text, const std::string& field = "--resolution");

struct FramePreset {
    int frames;
    std::string note;
};
const std::vector<FramePreset>& frame_presets();

// 8k+1 frames, 9 to 1025. Usage error naming `field` otherwise.
int check_frames(long long frames, const std::string& field = "--frames");
// The same from text ("97").
int parse_frames(const std::string& text, const std::string& field = "--frames");

// A non-negative whole number up to 2^32-1, digits only; usage error naming `field`.
uint32_t parse_seed(const std::string& text, const std::string& field = "--seed");

// A strength: any number, clamped to [0, 1]; usage error naming `field` for a non-number.
double parse_strength(const std::string& text, const std::string& field = "--anchor-strength");

// 1..16 containers at once.
int check_max_parallel(long long n, const std::string& field = "--max-parallel");

// A commit (7-40 hex digits) or a tag/branch name: letters, digits, ".", "_", "-", "/",
// not starting with "-". Usage error naming --ltx-ref otherwise.
std::string check_ltx_ref(const std::string& ref);

// An environment variable name ([A-Za-z_][A-Za-z0-9_]*); usage error naming --hf-token-env.
void check_env_name(const std::string& name);

// "<YYYYmmdd-HHMMSS>-<hex>" (UTC); `hex` is 6 random hex digits.
std::string make_run_id(std::time_t now, const std::string& hex);

// Seconds of `frames` at 25 fps, as text: "3.9".
std::string seconds_text(int frames);

// The first `max_chars` characters (UTF-8 aware), with "..." when cut; newlines become spaces.
std::string preview(const std::string& text, std::size_t max_chars);

// ---------------------------------------------------------------- storyboard

struct Character {
    std::string name;
    std::string description;
};

// Replaces each whole-word occurrence of a character's name in `prompt` by
// "Name (description)". A name inside another word, and text that came from a
// description, are left alone; the longest name wins where names overlap.
std::string substitute_characters(const std::string& prompt, const std::vector<Character>& characters);

struct SceneInput {
    std::string prompt;
    std::optional<int> frames;
    std::optional<uint32_t> seed;
};

struct Anchor {
    std::string prompt;
    double strength = 0.5;
};

// A storyboard file's content: every global is optional.
struct StoryboardFile {
    std::optional<std::string> pipeline;
    std::optional<Resolution> resolution;
    std::optional<int> frames;
    std::optional<uint32_t> seed;
    std::optional<bool> fp8;
    std::optional<int> max_parallel;
    std::vector<Character> characters;
    std::optional<Anchor> anchor;
    std::vector<SceneInput> scenes;
};

// JSON or YAML text. Errors (a usage error) name `origin` and the field: "scenes[2].frames".
StoryboardFile parse_storyboard(const std::string& text, const std::string& origin);

// The bulk-paste format: blocks separated by lines "---"; an optional first
// block starting with "CHARACTERS" holds "Name: description" lines; every
// other block is one scene (its lines trimmed and joined by spaces; blank
// lines inside do not end it). A line "END" ends the input.
struct BulkPaste {
    std::vector<Character> characters;
    std::vector<std::string> scenes;
};
BulkPaste parse_bulk_paste(const std::vector<std::string>& lines);

// True for the line that ends a bulk paste.
bool is_end_line(const std::string& line);

// Scene i (1-based) uses base + i - 1 (wrapping past 2^32-1) unless it names its own.
uint32_t scene_seed(uint32_t base, std::size_t scene_number);

// The settings shared by every clip.
struct ClipSettings {
    std::string pipeline = "distilled";
    Resolution resolution{768, 512};
    int frames = 97;
    uint32_t seed = 0;
    bool fp8 = true;
};

struct Scene {
    int number = 0;  // 1-based
    std::string prompt;
    int frames = 0;
    uint32_t seed = 0;
};

// Numbered scenes with their frames and seeds resolved and characters substituted.
std::vector<Scene> resolve_scenes(const std::vector<SceneInput>& scenes, const std::vector<Character>& characters,
                                  const ClipSettings& settings);

int total_frames(const std::vector<Scene>& scenes);
// GPU-minutes, rough: per clip by pipeline, scaled by frames/121, plus the anchor clip.
double estimated_gpu_minutes(const Pipeline& p, const std::vector<Scene>& scenes, bool anchor);

// ---------------------------------------------------------------- templates

struct Compute {
    std::optional<std::string> gpu;  // "H100", "H100:2"
    std::optional<int> cores;
    std::optional<int> memory_mb;
};

struct RenderCommon {
    std::string mgpux_version;
    std::string run_id;
    std::string ltx_commit;
    ClipSettings settings;
    Compute compute;
    long long timeout_s = 86400;
    bool hf_token = false;                  // the run reads HF_TOKEN (an ephemeral secret)
    std::optional<std::string> base_image;  // --image: a published image instead of the CUDA one
};

Json generate_context(const RenderCommon& c, const std::string& prompt);
Json storyboard_context(const RenderCommon& c, const std::vector<Scene>& scenes, const std::optional<Anchor>& anchor,
                        int max_parallel);

// The script's RESULT document {kind, run_id, files[], video} of this `kind` with a
// video; one naming another run id does not count. nullopt when there is none.
std::optional<Json> find_result(const std::vector<Json>& results, const std::string& run_id, const std::string& kind);

}  // namespace video
