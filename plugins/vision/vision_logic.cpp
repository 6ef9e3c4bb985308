// SPDX-License-Identifier: MIT
#include "vision_logic.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <system_error>

namespace fs = std::filesystem;

namespace vision {
namespace {

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return "";
    const auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
    return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
        if (c == sep) {
            out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    out.push_back(cur);
    return out;
}

std::string posix(const fs::path& p) { return p.generic_string(); }

bool is_dir(const fs::path& p) {
    std::error_code ec;
    return fs::is_directory(p, ec);
}

bool path_exists(const fs::path& p) {
    std::error_code ec;
    return fs::exists(p, ec);
}

// A number as people write it ("0.05", "3", "0.0003").
std::string shortest(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.12g", v);
    return buf;
}

// "missing: a, b; extra: c" between two class lists.
std::string class_difference(const std::vector<std::string>& want, const std::vector<std::string>& got) {
    std::vector<std::string> missing, extra;
    for (const auto& c : want)
        if (std::find(got.begin(), got.end(), c) == got.end()) missing.push_back(c);
    for (const auto& c : got)
        if (std::find(want.begin(), want.end(), c) == want.end()) extra.push_back(c);
    std::string out;
    if (!missing.empty()) out += "missing " + join(missing, ", ");
    if (!extra.empty()) out += std::string(out.empty() ? "" : "; ") + "extra " + join(extra, ", ");
    return out;
}

[[noreturn]] void bad_dataset(const fs::path& folder, const std::string& problem) {
    throw mgpux::usage_error("dataset " + posix(folder) + ": " + problem +
                             " (expected train/ and val/ folders of class folders, or class folders directly)");
}

// A split needs 2 class folders or more.
SplitScan require_classes(const fs::path& dir, const std::string& what) {
    SplitScan s = scan_classes(dir);
    if (s.classes.size() < 2)
        bad_dataset(dir, what + " must contain at least 2 class folders with images (found " +
                             std::to_string(s.classes.size()) +
                             (s.classes.empty() ? std::string() : ": " + join(s.classes, ", ")) + ")");
    return s;
}

void require_same_classes(const fs::path& dir, const SplitScan& train, const SplitScan& other,
                          const std::string& what) {
    if (other.classes != train.classes)
        bad_dataset(dir, "the " + what + " classes differ from train's (" +
                             class_difference(train.classes, other.classes) + ")");
}

Json number_json(double v) { return Json(v); }

const Json* member(const Json& o, const char* key) {
    const Json* v = o.find(key);
    return v && !v->is_null() ? v : nullptr;
}

std::string text_of(const Json& o, const char* key, const std::string& fallback = "n/a") {
    const Json* v = member(o, key);
    if (!v) return fallback;
    if (v->is_string()) return v->as_string();
    if (v->is_number()) return number_text(v);
    if (v->is_bool()) return v->as_bool() ? "yes" : "no";
    return v->dump();
}

std::string percent_text(const Json& o, const char* key) {
    const Json* v = member(o, key);
    if (!v || !v->is_number()) return "n/a";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f %%", v->as_float() * 100.0);
    return buf;
}

Json context_base(const char* tmpl, const char* app, const Common& c, long long timeout_s, const std::string& version) {
    Json ctx = Json::object();
    ctx.set("mgpux_version", version);
    ctx.set("template", tmpl);
    ctx.set("app_name", app);
    ctx.set("artifact_volume", c.volume);
    ctx.set("timeout_s", timeout_s);
    ctx.set("python_version", c.python);
    ctx.set("base_image", c.base_image ? Json(*c.base_image) : Json());
    return ctx;
}

mgpux::RunRequest attached_run(const char* app, const std::string& script, const std::string& description,
                               const std::string& compute, long long timeout_s) {
    mgpux::RunRequest req;
    req.script = script;
    req.app_name = app;
    req.mode = "run";
    req.description = description;
    req.compute = compute;
    req.timeout_s = static_cast<double>(timeout_s);
    return req;
}

const std::vector<std::string> kTorchDeps = {"torch>=2.4.0", "torchvision>=0.19.0", "pillow>=10.0.0"};

}  // namespace

// ---------------------------------------------------------------- dataset

bool is_image_name(const std::string& name) {
    static const char* const kExt[] = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"};
    const auto dot = name.rfind('.');
    if (dot == std::string::npos || dot == 0) return false;
    const std::string ext = lower(name.substr(dot));
    return std::any_of(std::begin(kExt), std::end(kExt), [&](const char* e) { return ext == e; });
}

bool is_skipped_name(const std::string& name) {
    return name.empty() || name[0] == '.' || name == "__pycache__" || name == "Thumbs.db";
}

bool class_less(const std::string& a, const std::string& b) {
    const std::string la = lower(a), lb = lower(b);
    return la != lb ? la < lb : a < b;
}

std::vector<fs::path> collect_images(const fs::path& dir) {
    std::vector<fs::path> out;
    std::error_code ec;
    fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        std::error_code tec;
        const bool directory = it->is_directory(tec);
        if (is_skipped_name(name)) {
            if (directory) it.disable_recursion_pending();
            continue;
        }
        if (!directory && it->is_regular_file(tec) && is_image_name(name)) out.push_back(it->path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

SplitScan scan_classes(const fs::path& dir) {
    SplitScan s;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (is_skipped_name(name) || !is_dir(it->path())) continue;
        const auto images = static_cast<long long>(collect_images(it->path()).size());
        if (images == 0) continue;
        s.classes.push_back(name);
        s.images += images;
    }
    std::sort(s.classes.begin(), s.classes.end(), class_less);
    return s;
}

Dataset validate_dataset(const fs::path& root) {
    if (!is_dir(root)) throw mgpux::usage_error("dataset " + posix(root) + ": not a directory");
    Dataset d;
    d.path = posix(root);
    const fs::path train = root / "train", val = root / "val", test = root / "test";
    if (is_dir(train)) {
        const SplitScan t = require_classes(train, "the train split");
        d.classes = t.classes;
        d.train_images = t.images;
        d.mode = is_dir(val) ? "pre_split" : "train_only";
        if (is_dir(val)) {
            const SplitScan v = scan_classes(val);
            require_same_classes(val, t, v, "validation");
            d.val_images = v.images;
        }
        if (is_dir(test)) {
            const SplitScan s = scan_classes(test);
            if (!s.classes.empty()) require_same_classes(test, t, s, "test");
            d.test_images = s.images;
        }
        return d;
    }
    if (path_exists(val) || path_exists(test))
        bad_dataset(root, "has a top-level " + std::string(path_exists(val) ? "val" : "test") +
                              " folder but no train folder; a dataset of class folders has no val/test beside them");
    const SplitScan s = require_classes(root, "a dataset without train/");
    d.mode = "single_root";
    d.classes = s.classes;
    d.train_images = s.images;
    return d;
}

Rows dataset_rows(const Dataset& d) {
    return {{"Path", d.path},
            {"Layout", d.mode},
            {"Classes", join(d.classes, ", ")},
            {"Train images", std::to_string(d.train_images)},
            {"Val images", std::to_string(d.val_images)},
            {"Test images", std::to_string(d.test_images)}};
}

mgpux::Json dataset_json(const Dataset& d) {
    mgpux::Json j = mgpux::Json::object();
    j.set("path", d.path);
    j.set("mode", d.mode);
    j.set("classes", mgpux::Json::array_of(d.classes));
    j.set("train_images", d.train_images);
    j.set("val_images", d.val_images);
    j.set("test_images", d.test_images);
    return j;
}

std::vector<std::string> evaluation_splits(const Dataset& d) {
    std::vector<std::string> s = {"auto", "train", "val"};
    if (d.mode == "pre_split" && d.test_images > 0) s.push_back("test");
    return s;
}

// ---------------------------------------------------------------- models

const std::vector<Model>& model_catalog() {
    static const std::vector<Model> kModels = {
        {"resnet18", 224, 64, "fast baseline, small GPUs", false},
        {"resnet34", 224, 48, "deeper ResNet, still quick", false},
        {"resnet50", 224, 32, "the classic production backbone", false},
        {"resnet101", 224, 24, "large ResNet for harder data", false},
        {"wide_resnet50_2", 224, 24, "wider ResNet-50, more capacity", false},
        {"resnext50_32x4d", 224, 24, "grouped-convolution ResNet", false},
        {"convnext_tiny", 224, 32, "modern CNN, strong accuracy per FLOP", false},
        {"convnext_small", 224, 24, "larger ConvNeXt", false},
        {"convnext_base", 224, 16, "ConvNeXt base, big GPUs", false},
        {"efficientnet_b0", 224, 48, "efficient and light", false},
        {"efficientnet_b1", 240, 40, "EfficientNet at 240 px", false},
        {"efficientnet_b2", 260, 32, "EfficientNet at 260 px", false},
        {"efficientnet_b3", 300, 24, "EfficientNet at 300 px", false},
        {"efficientnet_v2_s", 300, 24, "EfficientNetV2 small, fast training", false},
        {"efficientnet_v2_m", 384, 12, "EfficientNetV2 medium, high resolution", false},
        {"mobilenet_v2", 224, 64, "mobile and edge deployment", false},
        {"mobilenet_v3_small", 224, 64, "smallest and fastest", false},
        {"mobilenet_v3_large", 224, 56, "mobile model with better accuracy", false},
        {"densenet121", 224, 32, "dense connections, good on small data", false},
        {"densenet169", 224, 24, "larger DenseNet", false},
        {"regnet_y_8gf", 224, 24, "RegNet, a well-scaled CNN", false},
        {"shufflenet_v2_x1_0", 224, 64, "very light CNN", false},
        {"vit_b_16", 224, 16, "Vision Transformer base, 16 px patches", false},
        {"vit_b_32", 224, 20, "Vision Transformer base, 32 px patches", false},
        {"vit_l_16", 224, 8, "Vision Transformer large, big GPUs", false},
        {"swin_t", 224, 16, "Swin Transformer tiny", false},
        {"swin_s", 224, 12, "Swin Transformer small", false},
        {"swin_b", 224, 8, "Swin Transformer base", false},
        {"maxvit_t", 224, 12, "MaxViT tiny, hybrid attention", false},
        {"inception_v3", 299, 20, "Inception v3 at 299 px", false},
        {"custom", 224, 32, "any other torchvision model builder name", true},
    };
    return kModels;
}

Model model_for(const std::string& name) {
    const std::string key = lower(trim(name));
    if (key == "custom")
        throw mgpux::usage_error("--model custom: name the torchvision builder instead, e.g. --model regnet_y_16gf");
    for (const auto& m : model_catalog())
        if (m.name == key) return m;
    const std::string builder = trim(name);
    const bool identifier =
        !builder.empty() && !std::isdigit(static_cast<unsigned char>(builder[0])) &&
        std::all_of(builder.begin(), builder.end(), [](unsigned char c) { return std::isalnum(c) || c == '_'; });
    if (!identifier)
        throw mgpux::usage_error("--model: " + Json(name).dump() +
                                 " is not a torchvision builder name (letters, digits and _, e.g. resnet50)");
    Model m = model_catalog().back();
    m.name = builder;
    return m;
}

// ---------------------------------------------------------------- compute

std::optional<CpuRequest> parse_cpu_flag(const std::string& value) {
    const std::string v = lower(trim(value));
    if (v.rfind("cpu", 0) != 0 || (v.size() > 3 && v[3] != ':')) return std::nullopt;
    const std::vector<std::string> fields = split(v, ':');
    if (fields.size() > 3)
        throw mgpux::usage_error("--gpu " + value + ": use cpu, cpu:CORES or cpu:CORES:MEMORY_MB (e.g. cpu:8:4096)");
    auto integer = [&](const std::string& text, const char* what) {
        int n = 0;
        const auto r = std::from_chars(text.data(), text.data() + text.size(), n);
        if (text.empty() || r.ec != std::errc() || r.ptr != text.data() + text.size() || n < 1)
            throw mgpux::usage_error("--gpu " + value + ": " + what + " must be a positive whole number, not " +
                                     Json(text).dump() + " (e.g. cpu:8:4096)");
        return n;
    };
    CpuRequest r;
    if (fields.size() > 1) r.cores = integer(fields[1], "the CPU cores");
    if (fields.size() > 2) r.memory_mb = integer(fields[2], "the memory in MB");
    return r;
}

std::string compute_string(const Compute& c) {
    if (c.gpu) return *c.gpu;
    return "cpu:" + std::to_string(c.cores.value_or(1)) + ":" + std::to_string(c.memory_mb.value_or(512));
}

void add_compute_context(Json& ctx, const Compute& c) {
    ctx.set("gpu", c.gpu ? Json(*c.gpu) : Json());
    ctx.set("cpu", c.gpu ? Json() : Json(true));
    ctx.set("cores", c.gpu ? Json() : Json(c.cores.value_or(1)));
    ctx.set("memory_mb", c.gpu ? Json() : Json(c.memory_mb.value_or(512)));
}

// ---------------------------------------------------------------- ranges

std::string range_error(const NumberRule& rule, double v) {
    const bool low = rule.min && (rule.min_open ? v <= *rule.min : v < *rule.min);
    const bool high = rule.max && (rule.max_open ? v >= *rule.max : v > *rule.max);
    if (!low && !high && std::isfinite(v)) return "";
    std::string want;
    if (rule.min) want += std::string(rule.min_open ? "above " : "at least ") + shortest(*rule.min);
    if (rule.max)
        want +=
            std::string(want.empty() ? "" : " and ") + (rule.max_open ? "below " : "at most ") + shortest(*rule.max);
    return std::string("--") + rule.flag + " must be " + want + " (got " + shortest(v) + ")";
}

void check_range(const NumberRule& rule, double v) {
    const std::string e = range_error(rule, v);
    if (!e.empty()) throw mgpux::usage_error(e);
}

namespace rules {
namespace {
constexpr auto kNone = std::nullopt;
}
const NumberRule kEpochs{"epochs", true, 1, false, kNone, false};
const NumberRule kBatchSize{"batch-size", true, 1, false, kNone, false};
const NumberRule kImageSize{"image-size", true, 1, false, kNone, false};
const NumberRule kLearningRate{"learning-rate", false, 0, true, kNone, false};
const NumberRule kValidationSplit{"validation-split", false, 0.05, false, 0.5, true};
const NumberRule kWeightDecay{"weight-decay", false, 0, false, kNone, false};
const NumberRule kMomentum{"momentum", false, 0, false, kNone, false};
const NumberRule kLabelSmoothing{"label-smoothing", false, 0, false, 1, true};
const NumberRule kDropout{"dropout", false, 0, false, 1, true};
const NumberRule kGradAccumulation{"grad-accumulation", true, 1, false, kNone, false};
const NumberRule kWorkers{"workers", true, 0, false, kNone, false};
// Modal's longest function timeout is 24 hours.
const NumberRule kTimeoutHours{"timeout", false, 0, true, 24, false};
const NumberRule kPatience{"early-stopping-patience", true, 0, false, kNone, false};
const NumberRule kTopK{"top-k", true, 1, false, kNone, false};
const NumberRule kMaxImages{"max-images", true, 1, false, kNone, false};
}  // namespace rules

// ---------------------------------------------------------------- names

std::string run_slug(const std::string& text) {
    std::string out;
    for (unsigned char c : text) {
        const char l = static_cast<char>(std::tolower(c));
        if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9')) out += l;
        else if (!out.empty() && out.back() != '-') out += '-';
    }
    while (!out.empty() && out.back() == '-') out.pop_back();
    return out.empty() ? "run" : out;
}

std::string volume_path(const std::string& flag, const std::string& text) {
    std::string s = trim(text);
    std::replace(s.begin(), s.end(), '\\', '/');
    std::vector<std::string> kept;
    for (const auto& seg : split(s, '/')) {
        if (seg.empty() || seg == ".") continue;
        if (seg == "..") throw mgpux::usage_error(flag + ": " + Json(text).dump() + " may not contain '..'");
        kept.push_back(seg);
    }
    if (kept.empty())
        throw mgpux::usage_error(flag + ": a path inside the artifact volume is needed, not " + Json(text).dump());
    return join(kept, "/");
}

void check_volume_name(const std::string& name) {
    const bool ok = !name.empty() && name.size() <= 64 && name != "." && name != ".." &&
                    std::all_of(name.begin(), name.end(),
                                [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_' || c == '.'; });
    if (!ok)
        throw mgpux::usage_error("--artifact-volume: " + Json(name).dump() +
                                 " is not a Modal volume name (1-64 letters, digits, '.', '-' or '_')");
}

std::string expand_home(const std::string& path) {
    if (path == "~" || path.rfind("~/", 0) == 0) {
        const char* home = std::getenv("HOME");
        if (home && *home) return std::string(home) + path.substr(1);
    }
    return path;
}

std::string timestamp(std::time_t t) {
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
    return buf;
}

std::string default_experiment_name(const std::string& model, const std::string& stamp) {
    return "imgclf-" + run_slug(model) + "-" + stamp;
}

CheckpointRef checkpoint_ref(const std::optional<std::string>& checkpoint_path, const std::string& run_name) {
    CheckpointRef r;
    if (checkpoint_path) {
        r.path = volume_path("--checkpoint-path", *checkpoint_path);
        r.run = r.path.substr(0, r.path.find('/'));
        return r;
    }
    r.run = run_slug(run_name);
    r.path = r.run + "/checkpoints/best_model.pt";
    return r;
}

std::string parent_path(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? "" : path.substr(0, slash);
}

long long timeout_seconds(double hours, long long floor_s) {
    return std::max(floor_s, static_cast<long long>(hours * 3600.0));
}

const std::vector<std::string>& default_ignore_patterns() {
    static const std::vector<std::string> v = {"__pycache__", ".DS_Store", "Thumbs.db"};
    return v;
}

std::vector<std::string> upload_ignore(const std::vector<std::string>& patterns) {
    std::vector<std::string> extra = patterns;
    extra.push_back(".*");  // dot-names: the remote loader skips them, so they need not travel
    return mgpux::launch::resolve_excludes({}, extra, true);
}

// ---------------------------------------------------------------- templates

std::vector<std::string> export_formats(const std::string& choice) {
    const std::string c = lower(trim(choice));
    if (c == "all") return {"onnx", "torchscript"};
    if (c == "onnx" || c == "torchscript") return {c};
    throw mgpux::usage_error("--format must be onnx, torchscript or all, not " + Json(choice).dump());
}

Json train_config(const TrainPlan& p) {
    Json c = Json::object();
    c.set("experiment_name", p.experiment_name);
    c.set("model_name", p.model.name);
    c.set("gpu", compute_string(p.compute));
    c.set("dataset_mode", p.dataset.mode);
    c.set("pretrained", p.pretrained);
    c.set("validation_split", number_json(p.validation_split));
    c.set("epochs", p.epochs);
    c.set("batch_size", p.batch_size);
    c.set("image_size", p.image_size);
    c.set("learning_rate", number_json(p.learning_rate));
    c.set("optimizer", p.optimizer);
    c.set("scheduler", p.scheduler);
    c.set("weight_decay", number_json(p.weight_decay));
    c.set("momentum", number_json(p.momentum));
    c.set("label_smoothing", number_json(p.label_smoothing));
    c.set("dropout", number_json(p.dropout));
    c.set("augmentation", p.augmentation);
    c.set("mixed_precision", p.mixed_precision);
    c.set("num_workers", p.workers);
    c.set("seed", p.seed);
    c.set("early_stopping_patience", p.patience);
    c.set("freeze_backbone", p.freeze_backbone);
    c.set("grad_accumulation_steps", p.grad_accumulation);
    c.set("class_names", Json::array_of(p.dataset.classes));
    c.set("overwrite", p.overwrite);
    c.set("resume", p.resume);
    c.set("precision", p.precision);
    c.set("early_stopping_metric", p.early_stopping_metric);
    return c;
}

std::string train_precision(const std::optional<std::string>& precision, const std::optional<bool>& mixed_precision) {
    const bool mixed = mixed_precision.value_or(true);
    if (!precision) return mixed ? "fp16" : "fp32";
    if (!mixed && *precision != "fp32")
        throw mgpux::usage_error("--precision " + *precision +
                                 " needs mixed precision; drop --no-mixed-precision (or use --precision fp32)");
    return *precision;
}

void check_resume_flags(bool resume, bool overwrite, bool named) {
    if (resume && overwrite)
        throw mgpux::usage_error(
            "--resume continues an existing run and --overwrite replaces it; pass only one of them");
    if (resume && !named)
        throw mgpux::usage_error(
            "--resume needs --experiment-name RUN, the run to continue (`m-gpux vision runs` "
            "lists them)");
}

CheckpointRef last_checkpoint_ref(const std::string& run) { return {run, run + "/checkpoints/last_model.pt"}; }

Json predict_config(const PredictPlan& p) {
    Json c = Json::object();
    c.set("gpu", compute_string(p.compute));
    c.set("batch_size", p.batch_size);
    c.set("num_workers", p.workers);
    c.set("mixed_precision", p.mixed_precision);
    c.set("fallback_image_size", kFallbackImageSize);
    c.set("checkpoint_path", p.checkpoint.path);
    c.set("output_json", p.output_json);
    c.set("top_k", p.top_k);
    c.set("max_images", p.max_images ? Json(*p.max_images) : Json());
    c.set("local_input", p.input_path);
    c.set("overwrite", p.overwrite);
    return c;
}

Json evaluate_config(const EvaluatePlan& p) {
    Json c = Json::object();
    c.set("gpu", compute_string(p.compute));
    c.set("batch_size", p.batch_size);
    c.set("num_workers", p.workers);
    c.set("mixed_precision", p.mixed_precision);
    c.set("fallback_image_size", kFallbackImageSize);
    c.set("dataset_mode", p.dataset.mode);
    c.set("split", p.split);
    c.set("override_validation_split", p.validation_split ? number_json(*p.validation_split) : Json());
    c.set("default_validation_split", number_json(kDefaultValidationSplit));
    c.set("fallback_seed", kFallbackSeed);
    c.set("checkpoint_path", p.checkpoint.path);
    c.set("output_json", p.output_json);
    c.set("top_k", p.top_k);
    c.set("overwrite", p.overwrite);
    return c;
}

Json export_config(const ExportPlan& p) {
    Json c = Json::object();
    c.set("formats", Json::array_of(p.formats));
    c.set("fallback_image_size", kFallbackImageSize);
    c.set("checkpoint_path", p.checkpoint.path);
    c.set("output_dir", p.output_dir);
    c.set("overwrite", p.overwrite);
    return c;
}

long long train_timeout_s(const TrainPlan& p) { return timeout_seconds(p.common.timeout_hours, 3600); }
long long predict_timeout_s(const PredictPlan& p) { return timeout_seconds(p.common.timeout_hours, 1800); }
long long evaluate_timeout_s(const EvaluatePlan& p) { return timeout_seconds(p.common.timeout_hours, 1800); }
long long export_timeout_s(const ExportPlan& p) { return timeout_seconds(p.common.timeout_hours, 900); }

Json train_context(const TrainPlan& p, const std::string& version) {
    Json ctx = context_base("vision/train.py", kTrainApp, p.common, train_timeout_s(p), version);
    add_compute_context(ctx, p.compute);
    ctx.set("config", train_config(p));
    ctx.set("dataset_dir", p.dataset.path);
    ctx.set("ignore", Json::array_of(p.ignore));
    return ctx;
}

Json predict_context(const PredictPlan& p, const std::string& version) {
    Json ctx = context_base("vision/predict.py", kPredictApp, p.common, predict_timeout_s(p), version);
    add_compute_context(ctx, p.compute);
    ctx.set("config", predict_config(p));
    ctx.set("input_mode", p.single ? "single" : "directory");
    ctx.set("input_path", p.input_path);
    ctx.set("input_name", p.single ? fs::path(p.input_path).filename().string() : std::string());
    ctx.set("ignore", Json::array_of(p.ignore));
    return ctx;
}

Json evaluate_context(const EvaluatePlan& p, const std::string& version) {
    Json ctx = context_base("vision/evaluate.py", kEvaluateApp, p.common, evaluate_timeout_s(p), version);
    add_compute_context(ctx, p.compute);
    ctx.set("config", evaluate_config(p));
    ctx.set("dataset_dir", p.dataset.path);
    ctx.set("ignore", Json::array_of(p.ignore));
    return ctx;
}

Json export_context(const ExportPlan& p, const std::string& version) {
    Json ctx = context_base("vision/export.py", kExportApp, p.common, export_timeout_s(p), version);
    ctx.set("config", export_config(p));
    return ctx;
}

Rows train_plan_rows(const TrainPlan& p) {
    Rows r = {{"Profile", p.common.profile.empty() ? "(Modal's default)" : p.common.profile},
              {"Compute", p.compute.label},
              {"Model", p.model.name + (p.pretrained ? " (pretrained)" : " (from scratch)")},
              {"Dataset", p.dataset.path},
              {"Dataset mode", p.dataset.mode},
              {"Classes", join(p.dataset.classes, ", ")},
              {"Experiment", p.experiment_name},
              {"Epochs", std::to_string(p.epochs)},
              {"Batch size", std::to_string(p.batch_size)},
              {"Image size", std::to_string(p.image_size)},
              {"Optimizer", p.optimizer},
              {"Scheduler", p.scheduler},
              {"Learning rate", shortest(p.learning_rate)},
              {"Augmentation", p.augmentation},
              {"Precision", p.precision},
              {"Early stopping", "on validation " + p.early_stopping_metric},
              {"Timeout", std::to_string(train_timeout_s(p)) + " s"},
              {"Artifact volume", p.common.volume}};
    if (p.dataset.mode != "pre_split") r.insert(r.begin() + 7, {"Validation split", shortest(p.validation_split)});
    if (p.overwrite) r.emplace_back("Overwrite", "yes: replaces an existing run of this name");
    if (p.resume) r.emplace_back("Resume", "yes: continues from " + last_checkpoint_ref(p.experiment_name).path);
    return r;
}

Rows predict_plan_rows(const PredictPlan& p) {
    const long long shown = p.max_images ? std::min(p.images, *p.max_images) : p.images;
    return {{"Profile", p.common.profile.empty() ? "(Modal's default)" : p.common.profile},
            {"Compute", p.compute.label},
            {"Input", p.input_path},
            {"Images", std::to_string(shown) + (shown < p.images ? " of " + std::to_string(p.images) : "")},
            {"Checkpoint", p.checkpoint.path},
            {"Artifact volume", p.common.volume},
            {"Top-k", std::to_string(p.top_k)},
            {"Batch size", std::to_string(p.batch_size)},
            {"Output JSON", p.output_json},
            {"Timeout", std::to_string(predict_timeout_s(p)) + " s"}};
}

Rows evaluate_plan_rows(const EvaluatePlan& p) {
    Rows r = {{"Profile", p.common.profile.empty() ? "(Modal's default)" : p.common.profile},
              {"Compute", p.compute.label},
              {"Dataset", p.dataset.path},
              {"Dataset mode", p.dataset.mode},
              {"Split", p.split},
              {"Checkpoint", p.checkpoint.path},
              {"Artifact volume", p.common.volume},
              {"Top-k", std::to_string(p.top_k)},
              {"Batch size", std::to_string(p.batch_size)},
              {"Output JSON", p.output_json},
              {"Timeout", std::to_string(evaluate_timeout_s(p)) + " s"}};
    if (p.validation_split) r.insert(r.begin() + 5, {"Validation split", shortest(*p.validation_split)});
    return r;
}

Rows export_plan_rows(const ExportPlan& p) {
    return {{"Profile", p.common.profile.empty() ? "(Modal's default)" : p.common.profile},
            {"Checkpoint", p.checkpoint.path},
            {"Formats", join(p.formats, ", ")},
            {"Output folder", p.output_dir},
            {"Artifact volume", p.common.volume},
            {"Timeout", std::to_string(export_timeout_s(p)) + " s"}};
}

mgpux::RunRequest train_request(const TrainPlan& p, const std::string& script, const std::string& upload) {
    mgpux::RunRequest req =
        attached_run(kTrainApp, script, "image classification training (" + p.model.name + ") on " + p.compute.label,
                     p.compute.label, train_timeout_s(p));
    req.deps = kTorchDeps;
    req.uploads = {upload};
    return req;
}

mgpux::RunRequest predict_request(const PredictPlan& p, const std::string& script, const std::string& upload) {
    mgpux::RunRequest req = attached_run(
        kPredictApp, script, "image classification prediction (" + p.checkpoint.run + ") on " + p.compute.label,
        p.compute.label, predict_timeout_s(p));
    req.deps = kTorchDeps;
    req.uploads = {upload};
    return req;
}

mgpux::RunRequest evaluate_request(const EvaluatePlan& p, const std::string& script, const std::string& upload) {
    mgpux::RunRequest req = attached_run(
        kEvaluateApp, script,
        "image classification evaluation (" + p.checkpoint.run + ", " + p.split + ") on " + p.compute.label,
        p.compute.label, evaluate_timeout_s(p));
    req.deps = kTorchDeps;
    req.uploads = {upload};
    return req;
}

mgpux::RunRequest export_request(const ExportPlan& p, const std::string& script) {
    mgpux::RunRequest req =
        attached_run(kExportApp, script, "model export (" + p.checkpoint.run + ") to " + join(p.formats, ", "),
                     "CPU (Modal's default container)", export_timeout_s(p));
    req.deps = {"torch>=2.4.0", "torchvision>=0.19.0", "onnx>=1.16.0", "onnxscript>=0.1.0"};
    return req;
}

// ---------------------------------------------------------------- results

const Json* find_result(const std::vector<Json>& results, const std::string& kind) {
    for (auto it = results.rbegin(); it != results.rend(); ++it)
        if (it->is_object() && it->string_or("kind") == kind) return &*it;
    return nullptr;
}

std::string number_text(const Json* v, int decimals) {
    if (!v || !v->is_number()) return "n/a";
    if (v->is_int()) return std::to_string(v->as_int());
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v->as_float());
    return buf;
}

Rows result_rows(const Json& r) {
    const std::string kind = r.string_or("kind");
    const Json* files = member(r, "files");
    const std::string file_count = files && files->is_array() ? std::to_string(files->as_array().size()) : "0";
    if (kind == "train") {
        return {
            {"Experiment", text_of(r, "experiment_name")},
            {"Model", text_of(r, "model_name")},
            {"Best epoch", text_of(r, "best_epoch")},
            {"Best val accuracy", percent_text(r, "best_val_accuracy")},
            {"Epochs completed", text_of(r, "epochs_completed")},
            {"Training time", number_text(member(r, "training_seconds"), 1) + " s"},
            {"Test accuracy", member(r, "test_accuracy") ? percent_text(r, "test_accuracy") : "n/a (no test split)"},
            {"Test macro-F1", member(r, "test_macro_f1") ? text_of(r, "test_macro_f1") : "n/a (no test split)"},
            {"Artifacts",
             text_of(r, "artifact_volume") + ":/" + text_of(r, "artifact_path") + "/ (" + file_count + " files)"}};
    }
    if (kind == "evaluate") {
        return {{"Split", text_of(r, "split")},
                {"Samples", text_of(r, "num_samples")},
                {"Loss", text_of(r, "loss")},
                {"Accuracy", percent_text(r, "accuracy")},
                {"Top-" + text_of(r, "top_k", "k") + " accuracy", percent_text(r, "topk_accuracy")},
                {"Macro-F1", text_of(r, "macro_f1")},
                {"Report", text_of(r, "output_json_path")}};
    }
    if (kind == "predict") {
        return {{"Images", text_of(r, "num_images")},
                {"Top-k", text_of(r, "top_k")},
                {"Predictions", text_of(r, "output_json_path")}};
    }
    if (kind == "export") {
        Rows rows = {{"Output folder", text_of(r, "output_dir")}};
        if (const Json* f = member(r, "formats"); f && f->is_array()) {
            std::vector<std::string> names;
            for (const auto& x : f->as_array())
                if (x.is_string()) names.push_back(x.as_string());
            rows.emplace_back("Formats", join(names, ", "));
        }
        if (const Json* e = member(r, "exported_files"); e && e->is_object())
            for (const auto& [format, path] : e->as_object())
                rows.emplace_back(format, path.is_string() ? path.as_string() : path.dump());
        return rows;
    }
    return {{"Result", r.dump()}};
}

std::vector<std::vector<Json>> per_class_rows(const Json& r) {
    std::vector<std::vector<Json>> rows;
    const Json* pc = member(r, "per_class");
    if (!pc || !pc->is_object()) return rows;
    for (const auto& [name, m] : pc->as_object())
        rows.push_back({Json(name), Json(number_text(m.find("precision"))), Json(number_text(m.find("recall"))),
                        Json(number_text(m.find("f1"))), Json(number_text(m.find("support")))});
    return rows;
}

std::vector<std::vector<Json>> prediction_rows(const Json& r) {
    std::vector<std::vector<Json>> rows;
    const Json* first = member(r, "first_predictions");
    if (!first || !first->is_array()) return rows;
    for (const auto& p : first->as_array())
        rows.push_back(
            {Json(text_of(p, "image")), Json(text_of(p, "top_prediction")), Json(number_text(p.find("top_score")))});
    return rows;
}

// ---------------------------------------------------------------- volume listings

std::vector<VolumeEntry> volume_entries(const Json& listing) {
    std::vector<VolumeEntry> out;
    if (!listing.is_array()) return out;
    auto pick = [](const Json& row, const char* a, const char* b) {
        const std::string v = row.string_or(a);
        return v.empty() ? row.string_or(b) : v;
    };
    for (const auto& row : listing.as_array()) {
        if (!row.is_object()) continue;
        VolumeEntry e;
        e.path = pick(row, "filename", "Filename");
        e.type = lower(pick(row, "type", "Type"));
        e.modified = pick(row, "created_modified", "Created/Modified");
        while (!e.path.empty() && e.path.front() == '/') e.path.erase(0, 1);
        if (!e.path.empty()) out.push_back(e);
    }
    return out;
}

bool is_missing_on_volume(const std::string& error) {
    const std::string e = lower(error);
    for (const char* needle : {"no such file", "not found", "notfound", "does not exist"})
        if (e.find(needle) != std::string::npos) return true;
    return false;
}

bool listing_has_file(const Json& listing, const std::string& path) {
    for (const auto& e : volume_entries(listing))
        if (e.path == path && e.type != "dir") return true;
    return false;
}

std::vector<Download> download_plan(const Json& result, const fs::path& dir) {
    auto safe = [](const std::string& p) {
        try {
            return volume_path("RESULT", p);
        } catch (const mgpux::Error&) {
            throw mgpux::Error(MGPUX_E_FAILED, "the run's RESULT names a path outside its volume: " + Json(p).dump());
        }
    };
    std::vector<std::string> files;
    if (const Json* f = member(result, "files"); f && f->is_array())
        for (const auto& x : f->as_array())
            if (x.is_string()) files.push_back(safe(x.as_string()));
    std::vector<Download> plan;
    if (result.string_or("kind") == "train") {
        std::string run = result.string_or("artifact_path");
        if (run.empty()) run = result.string_or("experiment_name");
        Download d{safe(run), dir, {}};
        for (const auto& f : files) d.files.push_back(dir / f);
        plan.push_back(d);
        return plan;
    }
    for (const auto& f : files) {
        const std::string parent = parent_path(f);
        plan.push_back({f, parent.empty() ? dir : dir / parent, {dir / f}});
    }
    return plan;
}

}  // namespace vision
