// SPDX-License-Identifier: MIT
// Pure logic of the vision plugin: the dataset rules (shared with the
// remote loader of the templates), the model catalog, compute strings,
// option ranges, names and volume paths, the CONFIG documents and render
// contexts of the four templates, and how RESULT documents are shown and
// downloaded. No host calls here, so all of it is unit-tested
// (vision_logic_test.cpp).
#pragma once

#include "launch_logic.hpp"

#include <mgpux/plugin.hpp>

#include <cstdint>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace vision {

using mgpux::Json;
using Compute = mgpux::launch::Compute;
using Rows = std::vector<std::pair<std::string, std::string>>;

inline constexpr const char* kDefaultVolume = "m-gpux-vision-artifacts";
inline constexpr const char* kTrainApp = "m-gpux-vision-classification";
inline constexpr const char* kPredictApp = "m-gpux-vision-predict";
inline constexpr const char* kEvaluateApp = "m-gpux-vision-evaluate";
inline constexpr const char* kExportApp = "m-gpux-vision-export";
inline constexpr int kFallbackImageSize = 224;
inline constexpr double kDefaultValidationSplit = 0.2;
inline constexpr long long kFallbackSeed = 42;

// ---------------------------------------------------------------- dataset

// .jpg .jpeg .png .bmp .gif .webp .tif .tiff, any case.
bool is_image_name(const std::string& name);

// Names skipped at every depth: a leading ".", __pycache__, .DS_Store, Thumbs.db.
bool is_skipped_name(const std::string& name);

// Case-insensitive order, ties broken by the exact name ("A" < "a" < "b").
bool class_less(const std::string& a, const std::string& b);

// The image files below `dir` (recursively, skipping as above), sorted by path.
std::vector<std::filesystem::path> collect_images(const std::filesystem::path& dir);

// The class folders directly below `dir` (sorted) and the images in them.
struct SplitScan {
    std::vector<std::string> classes;
    long long images = 0;
};
SplitScan scan_classes(const std::filesystem::path& dir);

struct Dataset {
    std::string path;  // absolute, POSIX
    std::string mode;  // pre_split | train_only | single_root
    std::vector<std::string> classes;
    long long train_images = 0;
    long long val_images = 0;
    long long test_images = 0;
};

// The layout rules; a bad dataset throws usage_error naming the folder.
Dataset validate_dataset(const std::filesystem::path& root);

// The "Dataset Summary" rows.
Rows dataset_rows(const Dataset& d);

// The same as a JSON object: path, mode, classes, train_images, val_images, test_images.
mgpux::Json dataset_json(const Dataset& d);

// The splits evaluate may use on this dataset: auto, train, val (+ test for
// a pre-split dataset with test images).
std::vector<std::string> evaluation_splits(const Dataset& d);

// ---------------------------------------------------------------- models

struct Model {
    std::string name;
    int image_size = 224;
    int batch_size = 32;
    std::string description;
    bool custom = false;  // a torchvision builder outside the catalog
};

// The catalog in menu order; the last row is "custom".
const std::vector<Model>& model_catalog();

// A catalog row by name, else a custom builder (224/32); a name that is not
// a Python identifier, or "custom" itself, is a usage error naming --model.
Model model_for(const std::string& name);

// ---------------------------------------------------------------- compute

struct CpuRequest {
    int cores = 8;
    int memory_mb = 0;  // 0 = cores x 512
};

// --gpu cpu[:CORES[:MEM]] (any case): the cores and memory asked for;
// nullopt when the value names a GPU. Non-integers are a usage error.
std::optional<CpuRequest> parse_cpu_flag(const std::string& value);

// CONFIG's compute string: "L4", "A100-80GB:2" or "cpu:8:4096".
std::string compute_string(const Compute& c);

// The compute names of a template: gpu (string|null), cpu (true|null),
// cores, memory_mb (null on a GPU).
void add_compute_context(Json& ctx, const Compute& c);

// ---------------------------------------------------------------- ranges

// A number option's allowed range, checked the same for a flag and a typed answer.
struct NumberRule {
    const char* flag;  // "epochs" (without dashes)
    bool integer = false;
    std::optional<double> min;
    bool min_open = false;  // min itself not allowed
    std::optional<double> max;
    bool max_open = false;
};

// "" when `v` is allowed, else "--flag must be ... (got v)".
std::string range_error(const NumberRule& rule, double v);

// Throws usage_error when `v` is outside the rule.
void check_range(const NumberRule& rule, double v);

namespace rules {
extern const NumberRule kEpochs, kBatchSize, kImageSize, kLearningRate, kValidationSplit, kWeightDecay, kMomentum,
    kLabelSmoothing, kDropout, kGradAccumulation, kWorkers, kTimeoutHours, kPatience, kTopK, kMaxImages;
}

// ---------------------------------------------------------------- names

// Lowercase; every run of characters outside [a-z0-9] becomes one "-";
// "-" trimmed at both ends; "" becomes "run".
std::string run_slug(const std::string& text);

// A path inside the volume: trimmed, "\" made "/", leading "/" dropped,
// repeated "/" and "." segments removed. Empty or with ".." is a usage
// error naming `flag`.
std::string volume_path(const std::string& flag, const std::string& text);

// Modal's volume names: 1-64 of [A-Za-z0-9._-]. Usage error naming --artifact-volume.
void check_volume_name(const std::string& name);

// "~" or "~/x" with $HOME put in front; anything else as is.
std::string expand_home(const std::string& path);

// "YYYYmmdd-HHMMSS" in local time.
std::string timestamp(std::time_t t);

// imgclf-<slug(model)>-<timestamp>.
std::string default_experiment_name(const std::string& model, const std::string& stamp);

// Which checkpoint predict, evaluate and export read.
struct CheckpointRef {
    std::string run;   // the first path segment
    std::string path;  // inside the volume
};
// --checkpoint-path (normalised; the run is its first segment) when given,
// else <slug(run)>/checkpoints/best_model.pt.
CheckpointRef checkpoint_ref(const std::optional<std::string>& checkpoint_path, const std::string& run_name);

// The folder `volume ls` lists to find the checkpoint ("" = the root).
std::string parent_path(const std::string& volume_path);

// max(floor_s, hours x 3600).
long long timeout_seconds(double hours, long long floor_s);

// The dataset upload's ignore list: the patterns (default
// __pycache__, .DS_Store, Thumbs.db) made to match at any depth, every
// dot-name (the loader skips them), then the credential patterns.
std::vector<std::string> upload_ignore(const std::vector<std::string>& patterns);
const std::vector<std::string>& default_ignore_patterns();

// ---------------------------------------------------------------- templates

struct Common {
    std::string volume = kDefaultVolume;
    std::string python = "3.12";
    double timeout_hours = 1;
    std::string profile;                    // shown in the plan
    std::optional<std::string> base_image;  // --image: a published image instead of debian_slim
};

struct TrainPlan {
    Common common;
    Dataset dataset;
    Compute compute;
    Model model;
    std::string experiment_name;
    bool pretrained = true;
    double validation_split = 0.2;  // 0 for a pre-split dataset
    long long epochs = 10;
    long long batch_size = 32;
    long long image_size = 224;
    double learning_rate = 3e-4;
    std::string optimizer = "adamw";
    std::string scheduler = "cosine";
    double weight_decay = 1e-4;
    double momentum = 0.9;
    double label_smoothing = 0;
    double dropout = 0;
    std::string augmentation = "medium";
    bool mixed_precision = true;
    long long workers = 4;
    long long seed = 42;
    long long patience = 5;
    bool freeze_backbone = false;
    long long grad_accumulation = 1;
    std::vector<std::string> ignore;  // resolved (upload_ignore)
    bool overwrite = false;
    bool resume = false;                             // continue <run>/checkpoints/last_model.pt
    std::string precision = "fp16";                  // fp16 | bf16 | fp32
    std::string early_stopping_metric = "accuracy";  // accuracy | loss
};

// --precision and --[no-]mixed-precision together: the precision to train
// in (fp16 by default, fp32 with --no-mixed-precision). Asking for fp16 or
// bf16 with --no-mixed-precision is a usage error.
std::string train_precision(const std::optional<std::string>& precision, const std::optional<bool>& mixed_precision);

// --resume continues a run, --overwrite replaces it: both at once is a usage
// error, and so is --resume without --experiment-name naming the run.
void check_resume_flags(bool resume, bool overwrite, bool named = true);

// The checkpoint a resumed run continues from.
CheckpointRef last_checkpoint_ref(const std::string& run);

struct PredictPlan {
    Common common;
    Compute compute;
    std::string input_path;  // absolute, POSIX
    bool single = false;     // one file, not a folder
    long long images = 0;    // found locally
    CheckpointRef checkpoint;
    std::string output_json;
    long long top_k = 3;
    long long batch_size = 16;
    std::optional<long long> max_images;
    long long workers = 2;
    bool mixed_precision = true;
    std::vector<std::string> ignore;
    bool overwrite = false;
};

struct EvaluatePlan {
    Common common;
    Dataset dataset;
    Compute compute;
    std::string split = "auto";
    CheckpointRef checkpoint;
    std::string output_json;
    std::optional<double> validation_split;
    long long top_k = 5;
    long long batch_size = 32;
    long long workers = 2;
    bool mixed_precision = true;
    std::vector<std::string> ignore;
    bool overwrite = false;
};

struct ExportPlan {
    Common common;
    CheckpointRef checkpoint;
    std::vector<std::string> formats;  // sorted
    std::string output_dir;
    bool overwrite = false;
};

// The formats of --format onnx|torchscript|all, sorted.
std::vector<std::string> export_formats(const std::string& choice);

// CONFIG documents, keys in the contract's order.
Json train_config(const TrainPlan& p);
Json predict_config(const PredictPlan& p);
Json evaluate_config(const EvaluatePlan& p);
Json export_config(const ExportPlan& p);

// Render contexts (header names, app, volume, timeout, python, compute, config, extras).
Json train_context(const TrainPlan& p, const std::string& mgpux_version);
Json predict_context(const PredictPlan& p, const std::string& mgpux_version);
Json evaluate_context(const EvaluatePlan& p, const std::string& mgpux_version);
Json export_context(const ExportPlan& p, const std::string& mgpux_version);

long long train_timeout_s(const TrainPlan& p);
long long predict_timeout_s(const PredictPlan& p);
long long evaluate_timeout_s(const EvaluatePlan& p);
long long export_timeout_s(const ExportPlan& p);

// The plan tables.
Rows train_plan_rows(const TrainPlan& p);
Rows predict_plan_rows(const PredictPlan& p);
Rows evaluate_plan_rows(const EvaluatePlan& p);
Rows export_plan_rows(const ExportPlan& p);

// Runner requests: an attached `modal run`.
mgpux::RunRequest train_request(const TrainPlan& p, const std::string& script, const std::string& upload);
mgpux::RunRequest predict_request(const PredictPlan& p, const std::string& script, const std::string& upload);
mgpux::RunRequest evaluate_request(const EvaluatePlan& p, const std::string& script, const std::string& upload);
mgpux::RunRequest export_request(const ExportPlan& p, const std::string& script);

// ---------------------------------------------------------------- results

// The last RESULT document of this kind, or nullptr.
const Json* find_result(const std::vector<Json>& results, const std::string& kind);

// The summary rows of a RESULT document (by its kind).
Rows result_rows(const Json& result);

// evaluate: class, precision, recall, F1, support.
std::vector<std::vector<Json>> per_class_rows(const Json& result);

// predict: image, top prediction, score.
std::vector<std::vector<Json>> prediction_rows(const Json& result);

// A number for a table: integers as is, others with `decimals` places.
std::string number_text(const Json* v, int decimals = 4);

// ---------------------------------------------------------------- volume listings

// The rows of `modal volume ls --json` (snake_case or titled keys).
struct VolumeEntry {
    std::string path;  // from the volume root
    std::string type;  // file | dir | ...
    std::string modified;
};
std::vector<VolumeEntry> volume_entries(const Json& listing);

// Whether a failed `modal volume ls/get` says the volume or the path does
// not exist (rather than, say, a login or network failure).
bool is_missing_on_volume(const std::string& error);

// Whether a listing holds the file `path`.
bool listing_has_file(const Json& listing, const std::string& path);

// What one `modal volume get <volume> <remote> <local_dir>` fetches.
struct Download {
    std::string remote;
    std::filesystem::path local_dir;
    std::vector<std::filesystem::path> files;  // where the named files land
};
// train: the run folder in one call; the others: each file of "files".
// A path that would leave `dir` is a failure (mgpux::Error).
std::vector<Download> download_plan(const Json& result, const std::filesystem::path& dir);

}  // namespace vision
