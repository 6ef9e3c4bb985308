// SPDX-License-Identifier: MIT
// `m-gpux vision`: image classification on Modal. sample-data draws a small
// local dataset; train, predict, evaluate and export render a script for
// Modal and read back its RESULT; runs lists the artifact volume.
#include "launch_args.hpp"
#include "sample_data.hpp"
#include "vision_logic.hpp"
#include "vision_steps.hpp"

#include <mgpux/plugin.hpp>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <system_error>

namespace fs = std::filesystem;

namespace vision {
namespace {

using mgpux::Json;
namespace launch = mgpux::launch;

const char* const kOptimizers[] = {"adamw", "sgd", "rmsprop", nullptr};
const char* const kSchedulers[] = {"cosine", "onecycle", "step", "none", nullptr};
const char* const kAugmentations[] = {"none", "light", "medium", "strong", nullptr};
const char* const kPrecisions[] = {"fp16", "bf16", "fp32", nullptr};
const char* const kStoppingMetrics[] = {"accuracy", "loss", nullptr};
const char* const kSplits[] = {"auto", "train", "val", "test", nullptr};
const char* const kFormats[] = {"onnx", "torchscript", "all", nullptr};

// ---------------------------------------------------------------- options

constexpr mgpux::OptionBuilder kDataset =
    mgpux::option("dataset")
        .alias('d')
        .kind(MGPUX_OPT_PATH)
        .metavar("DIR")
        .help("local dataset folder (asks; default ./data when it exists, else .)");
constexpr mgpux::OptionBuilder kGpu =
    mgpux::option("gpu")
        .alias('g')
        .metavar("GPU[:N]|cpu[:CORES[:MB]]")
        .exclusive_group("compute")
        .help("GPU type and count (L4, A100-80GB:2) or a CPU container (cpu:8:4096); asks, default L4");
constexpr mgpux::OptionBuilder kCpu = mgpux::option("cpu")
                                          .kind(MGPUX_OPT_INT)
                                          .metavar("CORES")
                                          .exclusive_group("compute")
                                          .help("run on a CPU container with this many cores (as --gpu cpu:CORES)");
constexpr mgpux::OptionBuilder kMemory =
    mgpux::option("memory").kind(MGPUX_OPT_INT).metavar("MB").help("memory in MB with --cpu (default 512 per core)");
constexpr mgpux::OptionBuilder kPython =
    mgpux::option("python").metavar("VERSION").help("Python version in the container (default 3.12)");
constexpr mgpux::OptionBuilder kImage = mgpux::option("image").metavar("NAME").help(
    "start from this published image (`m-gpux image build`) instead of debian_slim; it needs Python and pip "
    "(torch and torchvision are installed on top)");
constexpr mgpux::OptionBuilder kVolume =
    mgpux::option("artifact-volume")
        .metavar("NAME")
        .help("Modal volume for checkpoints and reports (default m-gpux-vision-artifacts)");
constexpr mgpux::OptionBuilder kOverwrite =
    mgpux::option("overwrite").flag().help("replace existing results of the same name on the volume");
constexpr mgpux::OptionBuilder kDownload =
    mgpux::option("download")
        .kind(MGPUX_OPT_PATH)
        .metavar("DIR")
        .help("after the run, fetch its result files into DIR (keeping the volume's layout)");
constexpr mgpux::OptionBuilder kMixed =
    mgpux::option("mixed-precision")
        .negatable()
        .help("float16 autocast on CUDA (default on; --no-mixed-precision for full precision)");
constexpr mgpux::OptionBuilder kRunName =
    mgpux::option("run-name").metavar("NAME").help("the training run (experiment) to use; asks, default imgclf-run");
constexpr mgpux::OptionBuilder kCheckpoint =
    mgpux::option("checkpoint-path")
        .metavar("PATH")
        .help("a checkpoint inside the volume instead of <run>/checkpoints/best_model.pt");
constexpr mgpux::OptionBuilder kTopK =
    mgpux::option("top-k").kind(MGPUX_OPT_INT).metavar("K").help("how many classes to rank (>= 1)");
constexpr mgpux::OptionBuilder kBatch =
    mgpux::option("batch-size").kind(MGPUX_OPT_INT).metavar("N").help("images per batch (>= 1)");
constexpr mgpux::OptionBuilder kWorkers =
    mgpux::option("workers").kind(MGPUX_OPT_INT).metavar("N").help("data loader worker processes (>= 0)");
constexpr mgpux::OptionBuilder kTimeout =
    mgpux::option("timeout").kind(MGPUX_OPT_FLOAT).metavar("HOURS").help("function timeout in hours (up to 24)");
constexpr mgpux::OptionBuilder kOutputJson =
    mgpux::option("output-json")
        .metavar("PATH")
        .help("the report's path inside the volume (default under the run's folder)");
constexpr mgpux::OptionBuilder kValidationSplit =
    mgpux::option("validation-split").kind(MGPUX_OPT_FLOAT).metavar("FRACTION");
constexpr mgpux::OptionBuilder kIgnore =
    mgpux::option("ignore")
        .metavar("PATTERNS")
        .help("comma list of dataset upload ignore patterns (default __pycache__,.DS_Store,Thumbs.db)");

const mgpux_option kSampleOptions[] = {
    mgpux::option("output")
        .alias('o')
        .kind(MGPUX_OPT_PATH)
        .metavar("DIR")
        .help("where to write it (default data/m-gpux-vision-sample)"),
    mgpux::option("layout")
        .metavar("split|single-root")
        .help("split: train/ val/ test/ folders; single-root: class folders only (default split)"),
    mgpux::option("image-size").kind(MGPUX_OPT_INT).metavar("PX").help("image width and height, >= 32 (default 128)"),
    mgpux::option("images-per-class")
        .kind(MGPUX_OPT_INT)
        .metavar("N")
        .help("single-root: images per class (default 24)"),
    mgpux::option("train-per-class")
        .kind(MGPUX_OPT_INT)
        .metavar("N")
        .help("split: train images per class (default 12)"),
    mgpux::option("val-per-class")
        .kind(MGPUX_OPT_INT)
        .metavar("N")
        .help("split: validation images per class (default 4)"),
    mgpux::option("test-per-class")
        .kind(MGPUX_OPT_INT)
        .metavar("N")
        .help("split: test images per class, 0 for no test split (default 4)"),
    mgpux::option("seed").kind(MGPUX_OPT_INT).metavar("N").help("the same seed draws the same images (default 42)"),
    mgpux::option("force").flag().help("reuse a non-empty folder: replaces its train/ val/ test/ and class folders"),
};

const mgpux_option kTrainOptions[] = {
    kDataset,
    mgpux::option("model").alias('m').metavar("NAME").help(
        "a catalog model (resnet18, convnext_tiny, vit_b_16, ...) or any torchvision builder name; asks"),
    kGpu,
    kCpu,
    kMemory,
    mgpux::option("epochs").kind(MGPUX_OPT_INT).metavar("N").help("training epochs, >= 1 (asks; default 10)"),
    kBatch.help("images per batch, >= 1 (asks; default: the model's)"),
    mgpux::option("image-size").kind(MGPUX_OPT_INT).metavar("PX").help("input size, >= 1 (asks; default: the model's)"),
    mgpux::option("learning-rate")
        .kind(MGPUX_OPT_FLOAT)
        .metavar("LR")
        .exclusive_group("lr")
        .help("learning rate, > 0 (asks; default 0.0003); also --lr"),
    mgpux::option("lr").kind(MGPUX_OPT_FLOAT).metavar("LR").exclusive_group("lr").hidden().help("--learning-rate"),
    kValidationSplit.help(
        "fraction held out for validation when the dataset has no val/ folder, 0.05 to below 0.5 (asks; default 0.2)"),
    mgpux::option("pretrained").negatable().help("start from ImageNet weights (default; --no-pretrained from scratch)"),
    kMixed,
    mgpux::option("precision")
        .choices(kPrecisions)
        .metavar("fp16|bf16|fp32")
        .help("autocast type on CUDA: bf16 needs no grad scaler (default fp16; fp32 with --no-mixed-precision)"),
    kVolume,
    mgpux::option("optimizer").choices(kOptimizers).metavar("adamw|sgd|rmsprop").help("asks; default adamw"),
    mgpux::option("scheduler").choices(kSchedulers).metavar("cosine|onecycle|step|none").help("asks; default cosine"),
    mgpux::option("augmentation")
        .choices(kAugmentations)
        .metavar("none|light|medium|strong")
        .help("training augmentation (asks; default medium)"),
    mgpux::option("weight-decay").kind(MGPUX_OPT_FLOAT).metavar("X").help(">= 0 (asks; default 0.0001)"),
    mgpux::option("momentum").kind(MGPUX_OPT_FLOAT).metavar("X").help("SGD and RMSprop, >= 0 (asks; default 0.9)"),
    mgpux::option("label-smoothing").kind(MGPUX_OPT_FLOAT).metavar("X").help("0 to below 1 (asks; default 0)"),
    mgpux::option("dropout")
        .kind(MGPUX_OPT_FLOAT)
        .metavar("P")
        .help("dropout before the new head, 0 to below 1 (asks; default 0)"),
    mgpux::option("grad-accumulation")
        .kind(MGPUX_OPT_INT)
        .metavar("STEPS")
        .help("batches per optimizer step, >= 1 (asks; default 1)"),
    kWorkers.help("data loader worker processes, >= 0 (asks; default 4)"),
    mgpux::option("seed").kind(MGPUX_OPT_INT).metavar("N").help("random seed (asks; default 42)"),
    kTimeout.help("function timeout in hours, up to 24 (asks; default 8; at least 1 hour is given)"),
    mgpux::option("early-stopping-patience")
        .kind(MGPUX_OPT_INT)
        .metavar("EPOCHS")
        .help("stop after this many epochs without a better validation figure, 0 = never (asks; default 5)"),
    mgpux::option("early-stopping-metric")
        .choices(kStoppingMetrics)
        .metavar("accuracy|loss")
        .help("the validation figure that picks the best checkpoint and counts patience: higher accuracy or "
              "lower loss (default accuracy)"),
    mgpux::option("freeze-backbone").negatable().help("train only the new head (asks; default no)"),
    mgpux::option("experiment-name")
        .metavar("NAME")
        .help("the run's folder on the volume (asks; default imgclf-<model>-<time>; made a slug)"),
    kIgnore,
    kOverwrite.help("replace an existing run of the same name (otherwise the run refuses)"),
    mgpux::option("resume").flag().help(
        "continue the run named by --experiment-name from its last checkpoint; --epochs is the total"),
    kPython,
    kImage,
    kDownload,
};

const mgpux_option kPredictOptions[] = {
    mgpux::option("input")
        .alias('i')
        .kind(MGPUX_OPT_PATH)
        .metavar("PATH")
        .help("an image file or a folder of images (asks; default ./samples when it exists, else .)"),
    kRunName,
    kCheckpoint,
    kGpu,
    kCpu,
    kMemory,
    kTopK.help("classes ranked per image, >= 1 (asks; default 3)"),
    kBatch.help("images per batch, >= 1 (asks; default 16)"),
    mgpux::option("max-images").kind(MGPUX_OPT_INT).metavar("N").help("predict at most N images of a folder (>= 1)"),
    kWorkers.help("data loader worker processes, >= 0 (asks; default 2)"),
    kTimeout.help("function timeout in hours, up to 24 (asks; default 2; at least 30 minutes is given)"),
    kOutputJson.help("predictions file inside the volume (asks; default <run>/predictions/predictions-<time>.json)"),
    kMixed,
    kVolume,
    kOverwrite.help("replace an existing predictions file of the same path"),
    kPython,
    kImage,
    kDownload,
};

const mgpux_option kEvaluateOptions[] = {
    kDataset,
    kRunName,
    kCheckpoint,
    kGpu,
    kCpu,
    kMemory,
    mgpux::option("split")
        .choices(kSplits)
        .metavar("auto|train|val|test")
        .help("which images to score (asks; default auto: test, else val; test only with a test split)"),
    kTopK.help("top-k accuracy, >= 1 (asks; default 5)"),
    kBatch.help("images per batch, >= 1 (asks; default 32)"),
    kValidationSplit.help(
        "without a val/ folder: the fraction training held out, 0.05 to below 0.5 (default: the run's own split)"),
    kWorkers.help("data loader worker processes, >= 0 (asks; default 2)"),
    kTimeout.help("function timeout in hours, up to 24 (asks; default 2; at least 30 minutes is given)"),
    kIgnore,
    kOutputJson.help("report file inside the volume (asks; default <run>/evaluations/eval-<split>-<time>.json)"),
    kMixed,
    kVolume,
    kOverwrite.help("replace an existing report of the same path"),
    kPython,
    kImage,
    kDownload,
};

const mgpux_option kExportOptions[] = {
    kRunName,
    kCheckpoint,
    mgpux::option("format").choices(kFormats).metavar("onnx|torchscript|all").help("asks; default all"),
    mgpux::option("output-dir")
        .metavar("PATH")
        .help("folder inside the volume (asks; default <run>/exports/export-<time>)"),
    kTimeout.help("function timeout in hours, up to 24 (asks; default 1; at least 15 minutes is given)"),
    kVolume,
    kOverwrite.help("write into a non-empty output folder"),
    kPython,
    kImage,
    kDownload,
};

const mgpux_option kRunsOptions[] = {kVolume};

constexpr uint32_t kLaunchFlags = MGPUX_CMDF_JSON | MGPUX_CMDF_INTERACTIVE;

int sample_data(mgpux::Host& host, const mgpux::Args& args);
int train(mgpux::Host& host, const mgpux::Args& args);
int predict(mgpux::Host& host, const mgpux::Args& args);
int evaluate(mgpux::Host& host, const mgpux::Args& args);
int export_model(mgpux::Host& host, const mgpux::Args& args);
int runs(mgpux::Host& host, const mgpux::Args& args);

const mgpux::Commands kCommands{
    mgpux::command("vision", "Image classification: sample data, train, predict, evaluate, export",
                   "Trains torchvision image classifiers on Modal from a local folder of images, then\n"
                   "predicts, evaluates and exports with the saved checkpoint. Runs keep their files on\n"
                   "a Modal volume (m-gpux-vision-artifacts) in a folder named after the experiment.\n"
                   "A dataset is train/ and val/ (optional test/) folders of class folders, or class\n"
                   "folders directly (a validation subset is then held out).\n\n"
                   "Example:\n"
                   "  m-gpux vision sample-data\n"
                   "  m-gpux vision train --dataset data/m-gpux-vision-sample --model resnet18 --gpu T4"),
    mgpux::command("vision sample-data", "Write a small shapes dataset (circle, square, triangle) locally",
                   kSampleOptions, sample_data)
        .help("Draws PNG images of three classes with jittered colours, positions, sizes and noise,\n"
              "the same files for the same seed, then checks the folder as train would and\n"
              "suggests the train command. Needs no Modal account or network.\n"
              "--json prints {path, layout, files, removed, dataset, next}.\n\n"
              "Example:\n"
              "  m-gpux vision sample-data --output data/shapes --layout single-root --seed 7")
        .flags(MGPUX_CMDF_JSON),
    mgpux::command("vision train", "Train an image classifier on a local dataset", kTrainOptions, train)
        .help("Checks the dataset locally, asks for what no flag gave (only on a terminal; --yes or\n"
              "--no-input take the defaults), shows the plan and runs it with `modal run`. The\n"
              "dataset is uploaded when the container starts; the run writes checkpoints, history,\n"
              "summary and (with a test split) test metrics to <volume>/<experiment>/.\n"
              "--json prints the run's result {kind, experiment_name, best_epoch, best_val_accuracy,\n"
              "test_accuracy, files, ...}.\n\n"
              "Example:\n"
              "  m-gpux vision train -d data/m-gpux-vision-sample -m resnet18 -g T4 --epochs 5 --yes\n"
              "  m-gpux vision train -d photos -m convnext_tiny -g A100-80GB:2 --optimizer sgd --lr 0.01")
        .flags(kLaunchFlags),
    mgpux::command("vision predict", "Classify an image or a folder of images with a trained run", kPredictOptions,
                   predict)
        .help("Uploads the image (or the folder's images), loads the run's checkpoint and writes the\n"
              "top-k classes per image to a JSON file on the volume. The checkpoint must exist.\n\n"
              "Example:\n"
              "  m-gpux vision predict -i photos/cat.jpg --run-name my-run --gpu T4 --yes")
        .flags(kLaunchFlags),
    mgpux::command("vision evaluate", "Score a trained run on a dataset split", kEvaluateOptions, evaluate)
        .help("Accuracy, top-k accuracy, confusion matrix, per-class precision/recall/F1 and\n"
              "macro-F1, written to a JSON report on the volume and shown as tables. Without a val/\n"
              "folder the validation subset is the one training held out.\n\n"
              "Example:\n"
              "  m-gpux vision evaluate -d data/m-gpux-vision-sample --run-name my-run --split test --yes")
        .flags(kLaunchFlags),
    mgpux::command("vision export", "Export a trained run to ONNX and TorchScript", kExportOptions, export_model)
        .help("Writes model.onnx and/or model.ts with labels.json and export_summary.json into a\n"
              "folder on the volume; runs on a CPU container.\n\n"
              "Example:\n"
              "  m-gpux vision export --run-name my-run --format onnx --download exports --yes")
        .flags(kLaunchFlags),
    mgpux::command("vision runs", "List the training runs on the artifact volume", kRunsOptions, runs)
        .help("One row per run folder of the volume. --json prints {volume, exists, runs: [{name, modified}]}.\n\n"
              "Example:\n"
              "  m-gpux vision runs --artifact-volume team-vision")
        .flags(MGPUX_CMDF_JSON),
};

std::string version(const mgpux::Host& host) { return host.raw()->host_version; }

std::string now_stamp() { return timestamp(std::time(nullptr)); }

// A path as a shell word: as is when plain, else single-quoted.
std::string shell_word(const std::string& s) {
    const bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '/' || c == '.' || c == '_' || c == '-' || c == '~';
    });
    if (plain) return s;
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// ---------------------------------------------------------------- sample-data

SampleOptions sample_options(const mgpux::Args& args) {
    SampleOptions o;
    o.output = launch::absolute_dir(expand_home(args.str("output", kDefaultSampleDir)), fs::current_path());
    o.layout = normalise_layout(args.str("layout", "split"));
    auto in = [&](const char* flag, int fallback) {
        const long long v = args.integer(flag, fallback);
        if (v < -1000000 || v > 1000000)
            throw mgpux::usage_error(std::string("--") + flag + ": " + std::to_string(v) + " is out of range");
        return static_cast<int>(v);
    };
    o.image_size = in("image-size", 128);
    o.images_per_class = in("images-per-class", 24);
    o.train_per_class = in("train-per-class", 12);
    o.val_per_class = in("val-per-class", 4);
    o.test_per_class = in("test-per-class", 4);
    o.seed = args.integer("seed", 42);
    o.force = args.flag("force");
    o.dry_run = args.global_flag("dry_run");
    check_sample_options(o);
    return o;
}

int sample_data(mgpux::Host& host, const mgpux::Args& args) {
    const SampleOptions o = sample_options(args);
    const std::vector<fs::path> removed = prepare_output(o);
    if (o.dry_run) {
        for (const auto& r : removed) host.info("dry run: would delete " + r.string() + "\n");
        host.info("dry run: would write " + std::to_string(sample_image_count(o)) + " images into " +
                  o.output.string() + "\n");
        return MGPUX_OK;
    }
    for (const auto& r : removed) host.info("deleted " + r.string() + "\n");
    const std::vector<fs::path> files = generate_samples(o);
    const Dataset d = validate_dataset(o.output);
    const std::string next = "m-gpux vision train --dataset " + shell_word(args.str("output", kDefaultSampleDir)) +
                             " --model resnet18 --gpu T4";
    if (args.global_flag("json")) {
        Json doc = Json::object();
        doc.set("path", o.output.generic_string());
        doc.set("layout", o.layout);
        doc.set("files", static_cast<long long>(files.size()));
        Json gone = Json::array();
        for (const auto& r : removed) gone.push(r.generic_string());
        doc.set("removed", gone);
        Json ds = Json::object();
        ds.set("mode", d.mode);
        ds.set("classes", Json::array_of(d.classes));
        ds.set("train_images", d.train_images);
        ds.set("val_images", d.val_images);
        ds.set("test_images", d.test_images);
        doc.set("dataset", ds);
        doc.set("next", next);
        host.json(doc);
        return MGPUX_OK;
    }
    host.success("Wrote " + std::to_string(files.size()) + " images to " + o.output.string() + "\n");
    show_rows(host, dataset_rows(d), "Dataset Summary");
    host.text("Next: " + next + "\n");
    return MGPUX_OK;
}

// ---------------------------------------------------------------- train

Model choose_model(const mgpux::Host& host, const mgpux::Args& args) {
    if (args.has("model")) return model_for(args.str("model"));
    const auto& catalog = model_catalog();
    if (!launch::asks_questions(args)) return catalog.front();
    std::vector<std::string> labels, notes;
    for (const auto& m : catalog) {
        labels.push_back(m.name);
        notes.push_back(m.custom ? m.description
                                 : m.description + " (" + std::to_string(m.image_size) + " px, batch " +
                                       std::to_string(m.batch_size) + ")");
    }
    const Model& picked = catalog.at(static_cast<std::size_t>(host.select("Model", labels, notes, 0, "--model")));
    if (!picked.custom) return picked;
    for (;;) {
        const std::string name = host.ask("torchvision model builder name", "resnet50", "--model");
        try {
            return model_for(name);
        } catch (const mgpux::Error& e) {
            host.warn(std::string(e.what()) + "\n");
        }
    }
}

double learning_rate(const mgpux::Host& host, const mgpux::Args& args) {
    if (args.has("lr")) {
        const double v = args.number("lr");
        check_range(rules::kLearningRate, v);
        return v;
    }
    return number_or_ask(host, args, rules::kLearningRate, "Learning rate", 3e-4);
}

const NumberRule kSeed{"seed", true, std::nullopt, false, std::nullopt, false};  // any whole number

void ask_training_settings(const mgpux::Host& host, const mgpux::Args& args, TrainPlan& p) {
    if (p.dataset.mode == "pre_split") {
        p.validation_split = 0;
        if (args.has("validation-split"))
            host.warn("--validation-split is not used: the dataset has its own val/ folder\n");
    } else {
        p.validation_split = number_or_ask(host, args, rules::kValidationSplit, "Validation split", 0.2);
    }
    p.epochs = int_or_ask(host, args, rules::kEpochs, "Epochs", 10);
    p.batch_size = int_or_ask(host, args, rules::kBatchSize, "Batch size", p.model.batch_size);
    p.image_size = int_or_ask(host, args, rules::kImageSize, "Image size (pixels)", p.model.image_size);
    p.learning_rate = learning_rate(host, args);
    p.optimizer = choice_or_ask(host, args, "optimizer", "Optimizer", {"adamw", "sgd", "rmsprop"},
                                {"AdamW, a safe default", "SGD with Nesterov momentum", "RMSprop"}, "adamw");
    p.scheduler = choice_or_ask(
        host, args, "scheduler", "Learning-rate schedule", {"cosine", "onecycle", "step", "none"},
        {"cosine annealing per epoch", "one-cycle per step", "x0.1 every third of the run", "constant"}, "cosine");
    p.augmentation =
        choice_or_ask(host, args, "augmentation", "Augmentation", {"none", "light", "medium", "strong"},
                      {"crop only", "crop and flip", "plus colour jitter", "plus rotation and perspective"}, "medium");
    p.weight_decay = number_or_ask(host, args, rules::kWeightDecay, "Weight decay", 1e-4);
    p.momentum = number_or_ask(host, args, rules::kMomentum, "Momentum (SGD and RMSprop)", 0.9);
    p.label_smoothing = number_or_ask(host, args, rules::kLabelSmoothing, "Label smoothing", 0);
    p.dropout = number_or_ask(host, args, rules::kDropout, "Head dropout", 0);
    p.grad_accumulation = int_or_ask(host, args, rules::kGradAccumulation, "Gradient accumulation steps", 1);
    p.workers = int_or_ask(host, args, rules::kWorkers, "Data loader workers", 4);
    p.seed = int_or_ask(host, args, kSeed, "Random seed", 42);
    p.common.timeout_hours = number_or_ask(host, args, rules::kTimeoutHours, "Timeout in hours", 8);
    p.patience = int_or_ask(host, args, rules::kPatience, "Early-stopping patience in epochs (0 = off)", 5);
    p.freeze_backbone =
        flag_or_confirm(host, args, "freeze-backbone", "Freeze the backbone and train only the head?", false);
}

// The volume paths a flag names, checked before any question or call.
void check_volume_flags(const mgpux::Args& args) {
    for (const char* flag : {"output-json", "output-dir", "checkpoint-path"})
        if (args.has(flag)) volume_path(std::string("--") + flag, args.str(flag));
}

int train(mgpux::Host& host, const mgpux::Args& args) {
    check_given(
        args, {&rules::kEpochs, &rules::kBatchSize, &rules::kImageSize, &rules::kLearningRate, &rules::kValidationSplit,
               &rules::kWeightDecay, &rules::kMomentum, &rules::kLabelSmoothing, &rules::kDropout,
               &rules::kGradAccumulation, &rules::kWorkers, &rules::kTimeoutHours, &rules::kPatience});
    if (args.has("lr")) check_range(rules::kLearningRate, args.number("lr"));
    if (args.has("model")) model_for(args.str("model"));
    check_resume_flags(args.flag("resume"), args.flag("overwrite"), args.has("experiment-name"));
    const std::string precision =
        train_precision(args.has("precision") ? std::optional<std::string>(args.str("precision")) : std::nullopt,
                        args.optional_flag("mixed-precision"));
    TrainPlan p;
    p.common = common_settings(host, args);
    launch::require_modal_account(host, args);
    p.dataset = choose_dataset(host, args);
    p.compute = choose_compute(host, args);
    p.model = choose_model(host, args);
    ask_training_settings(host, args, p);
    p.pretrained = args.optional_flag("pretrained").value_or(true);
    p.precision = precision;
    p.mixed_precision = precision != "fp32";
    p.early_stopping_metric = args.has("early-stopping-metric") ? args.str("early-stopping-metric") : "accuracy";
    p.experiment_name = run_slug(text_or_ask(host, args, "experiment-name", "Experiment name",
                                             default_experiment_name(p.model.name, now_stamp())));
    p.resume = args.flag("resume");
    if (p.resume) require_checkpoint(host, args, p.common, last_checkpoint_ref(p.experiment_name));
    p.ignore = choose_ignore(host, args);
    p.overwrite = args.flag("overwrite");
    const std::string script = host.render("vision/train.py", train_context(p, version(host)));
    const std::string upload = launch::upload_summary(p.dataset.path, launch::upload_stats(p.dataset.path, p.ignore));
    return run_and_report(host, args, "Training Plan", train_plan_rows(p), train_request(p, script, upload), "train",
                          p.common, &p.dataset);
}

// ---------------------------------------------------------------- predict

void choose_input(const mgpux::Host& host, const mgpux::Args& args, PredictPlan& p) {
    const fs::path cwd = fs::current_path();
    std::error_code ec;
    const std::string fallback = fs::is_directory(cwd / "samples", ec) ? "samples" : ".";
    const std::string typed = expand_home(text_or_ask(host, args, "input", "Image file or folder", fallback));
    p.input_path = launch::absolute_dir(typed.empty() ? "." : typed, cwd);
    const fs::path input(p.input_path);
    if (fs::is_regular_file(input, ec)) {
        if (!is_image_name(input.filename().string()))
            throw mgpux::usage_error("--input " + input.string() +
                                     ": not an image file (.jpg .jpeg .png .bmp .gif .webp .tif .tiff)");
        p.single = true;
        p.images = 1;
        return;
    }
    if (!fs::is_directory(input, ec))
        throw mgpux::usage_error("--input " + Json(typed).dump() + ": no such file or folder");
    p.images = static_cast<long long>(collect_images(input).size());
    if (p.images == 0)
        throw mgpux::usage_error("--input " + input.string() +
                                 ": no images in this folder (.jpg .jpeg .png .bmp .gif .webp .tif .tiff)");
}

std::string input_upload(const PredictPlan& p) {
    if (!p.single) return launch::upload_summary(p.input_path, launch::upload_stats(p.input_path, p.ignore));
    launch::UploadStats s;
    s.files = 1;
    std::error_code ec;
    s.bytes = fs::file_size(p.input_path, ec);
    return launch::upload_summary(p.input_path, s);
}

int predict(mgpux::Host& host, const mgpux::Args& args) {
    check_volume_flags(args);
    check_given(args, {&rules::kTopK, &rules::kBatchSize, &rules::kMaxImages, &rules::kWorkers, &rules::kTimeoutHours});
    PredictPlan p;
    p.common = common_settings(host, args);
    launch::require_modal_account(host, args);
    choose_input(host, args, p);
    p.checkpoint = choose_checkpoint(host, args);
    require_checkpoint(host, args, p.common, p.checkpoint);
    p.compute = choose_compute(host, args);
    p.top_k = int_or_ask(host, args, rules::kTopK, "Top-k predictions per image", 3);
    p.batch_size = int_or_ask(host, args, rules::kBatchSize, "Batch size", 16);
    if (args.has("max-images")) p.max_images = args.integer("max-images");
    p.workers = int_or_ask(host, args, rules::kWorkers, "Data loader workers", 2);
    p.common.timeout_hours = number_or_ask(host, args, rules::kTimeoutHours, "Timeout in hours", 2);
    p.mixed_precision = args.optional_flag("mixed-precision").value_or(true);
    p.output_json = volume_path("--output-json",
                                text_or_ask(host, args, "output-json", "Output JSON (inside the volume)",
                                            p.checkpoint.run + "/predictions/predictions-" + now_stamp() + ".json"));
    p.ignore = upload_ignore(default_ignore_patterns());
    p.overwrite = args.flag("overwrite");
    const std::string script = host.render("vision/predict.py", predict_context(p, version(host)));
    return run_and_report(host, args, "Prediction Plan", predict_plan_rows(p),
                          predict_request(p, script, input_upload(p)), "predict", p.common);
}

// ---------------------------------------------------------------- evaluate

std::string choose_split(const mgpux::Host& host, const mgpux::Args& args, const Dataset& d) {
    const std::vector<std::string> allowed = evaluation_splits(d);
    if (args.has("split")) {
        const std::string s = args.str("split");
        if (std::find(allowed.begin(), allowed.end(), s) == allowed.end()) {
            std::string list;
            for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
            throw mgpux::usage_error("--split " + s + ": this " + d.mode + " dataset has no " + s +
                                     " images to evaluate (choose " + list + ")");
        }
        return s;
    }
    std::vector<std::string> notes = {
        d.mode == "pre_split" ? "test if present, else val" : "the held-out validation subset", "the training images",
        "the validation images"};
    if (allowed.size() > 3) notes.push_back("the test images");
    return choice_or_ask(host, args, "split", "Evaluation split", allowed, notes, "auto");
}

int evaluate(mgpux::Host& host, const mgpux::Args& args) {
    check_volume_flags(args);
    check_given(args,
                {&rules::kTopK, &rules::kBatchSize, &rules::kValidationSplit, &rules::kWorkers, &rules::kTimeoutHours});
    EvaluatePlan p;
    p.common = common_settings(host, args);
    launch::require_modal_account(host, args);
    p.dataset = choose_dataset(host, args);
    p.split = choose_split(host, args, p.dataset);
    p.checkpoint = choose_checkpoint(host, args);
    require_checkpoint(host, args, p.common, p.checkpoint);
    p.compute = choose_compute(host, args);
    if (args.has("validation-split")) {
        if (p.dataset.mode == "pre_split")
            host.warn("--validation-split is not used: the dataset has its own val/ folder\n");
        else p.validation_split = args.number("validation-split");
    }
    p.top_k = int_or_ask(host, args, rules::kTopK, "Top-k", 5);
    p.batch_size = int_or_ask(host, args, rules::kBatchSize, "Batch size", 32);
    p.workers = int_or_ask(host, args, rules::kWorkers, "Data loader workers", 2);
    p.common.timeout_hours = number_or_ask(host, args, rules::kTimeoutHours, "Timeout in hours", 2);
    p.ignore = choose_ignore(host, args);
    p.mixed_precision = args.optional_flag("mixed-precision").value_or(true);
    p.output_json = volume_path(
        "--output-json", text_or_ask(host, args, "output-json", "Output JSON (inside the volume)",
                                     p.checkpoint.run + "/evaluations/eval-" + p.split + "-" + now_stamp() + ".json"));
    p.overwrite = args.flag("overwrite");
    const std::string script = host.render("vision/evaluate.py", evaluate_context(p, version(host)));
    const std::string upload = launch::upload_summary(p.dataset.path, launch::upload_stats(p.dataset.path, p.ignore));
    return run_and_report(host, args, "Evaluation Plan", evaluate_plan_rows(p), evaluate_request(p, script, upload),
                          "evaluate", p.common, &p.dataset);
}

// ---------------------------------------------------------------- export

int export_model(mgpux::Host& host, const mgpux::Args& args) {
    check_volume_flags(args);
    check_given(args, {&rules::kTimeoutHours});
    ExportPlan p;
    p.common = common_settings(host, args);
    launch::require_modal_account(host, args);
    p.checkpoint = choose_checkpoint(host, args);
    require_checkpoint(host, args, p.common, p.checkpoint);
    p.formats = export_formats(choice_or_ask(host, args, "format", "Export format", {"all", "onnx", "torchscript"},
                                             {"ONNX and TorchScript", "ONNX (opset 18)", "traced TorchScript"}, "all"));
    p.common.timeout_hours = number_or_ask(host, args, rules::kTimeoutHours, "Timeout in hours", 1);
    p.output_dir =
        volume_path("--output-dir", text_or_ask(host, args, "output-dir", "Output folder (inside the volume)",
                                                p.checkpoint.run + "/exports/export-" + now_stamp()));
    p.overwrite = args.flag("overwrite");
    const std::string script = host.render("vision/export.py", export_context(p, version(host)));
    return run_and_report(host, args, "Export Plan", export_plan_rows(p), export_request(p, script), "export",
                          p.common);
}

// ---------------------------------------------------------------- runs

int runs(mgpux::Host& host, const mgpux::Args& args) {
    const std::string volume = args.str("artifact-volume", kDefaultVolume);
    check_volume_name(volume);
    const std::string profile = mgpux::Profiles(host).resolve();
    launch::require_modal_account(host, args);
    const Json r = mgpux::Modal(host).try_call({"volume", "ls", volume, "--json"}, profile, 60);
    const bool ok = r.bool_or("ok");
    const std::string error = r.string_or("error");
    if (!ok && !is_missing_on_volume(error))
        throw mgpux::Error(MGPUX_E_FAILED, "could not list volume " + volume + ": " + error);
    std::vector<VolumeEntry> found;
    if (ok)
        for (const auto& e : volume_entries(r.find("json") ? *r.find("json") : Json()))
            if (e.type == "dir") found.push_back(e);
    if (args.global_flag("json")) {
        Json list = Json::array();
        for (const auto& e : found) {
            Json one = Json::object();
            one.set("name", e.path);
            one.set("modified", e.modified);
            list.push(one);
        }
        Json doc = Json::object();
        doc.set("volume", volume);
        doc.set("exists", ok);
        doc.set("runs", list);
        host.json(doc);
        return MGPUX_OK;
    }
    if (found.empty()) {
        host.info(std::string(ok ? "No runs in volume " : "Volume ") + volume + (ok ? " yet" : " does not exist yet") +
                  "; train one with `m-gpux vision train`.\n");
        return MGPUX_OK;
    }
    std::vector<std::vector<Json>> rows;
    for (const auto& e : found) rows.push_back({Json(e.path), Json(e.modified)});
    host.table({"Run", "Modified"}, rows, "Runs in " + volume);
    host.info("Use one with --run-name NAME on predict, evaluate or export.\n");
    return MGPUX_OK;
}

}  // namespace
}  // namespace vision

MGPUX_CPP_PLUGIN_COMMANDS("vision", "0.1.0", "Image classification on Modal", "Compute Engine", vision::kCommands)
