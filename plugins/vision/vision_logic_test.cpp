// SPDX-License-Identifier: MIT
#include "vision_logic.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace fs = std::filesystem;
using namespace vision;
using mgpux::Json;

namespace {

// A folder under the temporary directory, removed with everything in it.
struct TempTree {
    fs::path root = fs::temp_directory_path() / ("mgpux-vision-" + mgpux::launch::random_hex(6));
    TempTree() { fs::create_directories(root); }
    ~TempTree() {
        std::error_code ec;
        fs::remove_all(root, ec);
    }
    fs::path file(const std::string& rel, const std::string& text = "x") const {
        const fs::path p = root / rel;
        fs::create_directories(p.parent_path());
        std::ofstream(p) << text;
        return p;
    }
    void dir(const std::string& rel) const { fs::create_directories(root / rel); }
};

// The message of the usage error `f` throws ("" when it throws none).
template <class F>
std::string usage_message(F f) {
    try {
        f();
    } catch (const mgpux::Error& e) {
        EXPECT_EQ(e.code(), MGPUX_E_USAGE) << e.what();
        return e.what();
    }
    return "";
}

Compute gpu(const std::string& spec, const std::string& label) {
    Compute c;
    c.gpu = spec;
    c.gpu_name = spec.substr(0, spec.find(':'));
    c.label = label;
    return c;
}

Compute cpu(int cores, int memory) {
    Compute c;
    c.cores = cores;
    c.memory_mb = memory;
    c.label = "CPU (" + std::to_string(cores) + " cores, " + std::to_string(memory) + " MB)";
    return c;
}

std::vector<std::string> keys(const Json& o) {
    std::vector<std::string> out;
    for (const auto& kv : o.as_object()) out.push_back(kv.first);
    return out;
}

}  // namespace

// ---------------------------------------------------------------- dataset

TEST(VisionDataset, ImageNamesAndSkippedNames) {
    for (const char* n : {"a.jpg", "a.JPEG", "b.png", "c.bmp", "d.GIF", "e.webp", "f.tif", "g.TIFF"})
        EXPECT_TRUE(is_image_name(n)) << n;
    for (const char* n : {"a.txt", "png", ".png", "a.png.bak", "a.svg"}) EXPECT_FALSE(is_image_name(n)) << n;
    for (const char* n : {".hidden", ".DS_Store", "__pycache__", "Thumbs.db", ".ipynb_checkpoints"})
        EXPECT_TRUE(is_skipped_name(n)) << n;
    EXPECT_FALSE(is_skipped_name("cats"));
}

TEST(VisionDataset, PreSplitWithTestCountsImagesAndSkipsHiddenAndEmpty) {
    TempTree t;
    for (const char* split : {"train", "val", "test"}) {
        t.file(std::string(split) + "/cat/1.jpg");
        t.file(std::string(split) + "/dog/sub/2.GIF");  // nested, upper-case .gif
    }
    t.file("train/cat/more.png");
    t.file("train/cat/.hidden.png");           // a dot-file is not an image of the dataset
    t.file("train/cat/__pycache__/x.png");     // nor is anything under __pycache__
    t.file("train/.ipynb_checkpoints/a.png");  // a hidden folder is no class
    t.dir("train/empty");                      // a folder without images is no class
    t.file("train/notes/readme.txt");          // nor is one holding only text
    const Dataset d = validate_dataset(t.root);
    EXPECT_EQ(d.mode, "pre_split");
    EXPECT_EQ(d.classes, (std::vector<std::string>{"cat", "dog"}));
    EXPECT_EQ(d.train_images, 3);
    EXPECT_EQ(d.val_images, 2);
    EXPECT_EQ(d.test_images, 2);
    EXPECT_EQ(evaluation_splits(d), (std::vector<std::string>{"auto", "train", "val", "test"}));
    EXPECT_EQ(d.path, t.root.generic_string());
}

TEST(VisionDataset, TrainOnlyAndSingleRoot) {
    TempTree a;
    a.file("train/x/1.png");
    a.file("train/y/1.png");
    a.dir("test");  // a test folder without classes is allowed and empty
    const Dataset d = validate_dataset(a.root);
    EXPECT_EQ(d.mode, "train_only");
    EXPECT_EQ(d.test_images, 0);
    EXPECT_EQ(evaluation_splits(d), (std::vector<std::string>{"auto", "train", "val"}));

    TempTree b;
    b.file("b/1.webp");
    b.file("A/1.jpg");
    b.file("a/1.jpeg");
    b.file("readme.md");
    const Dataset s = validate_dataset(b.root);
    EXPECT_EQ(s.mode, "single_root");
    EXPECT_EQ(s.classes, (std::vector<std::string>{"A", "a", "b"}));  // case-insensitive, ties by exact name
    EXPECT_EQ(s.train_images, 3);
}

TEST(VisionDataset, BadTreesAreUsageErrorsNamingTheFolder) {
    {
        TempTree t;
        t.file("train/cat/1.jpg");
        t.file("train/dog/1.jpg");
        t.file("val/cat/1.jpg");
        t.file("val/bird/1.jpg");
        const std::string m = usage_message([&] { validate_dataset(t.root); });
        EXPECT_NE(m.find((t.root / "val").generic_string()), std::string::npos) << m;
        EXPECT_NE(m.find("missing dog"), std::string::npos) << m;
        EXPECT_NE(m.find("extra bird"), std::string::npos) << m;
    }
    {
        TempTree t;
        t.file("train/cat/1.jpg");
        t.file("train/dog/1.jpg");
        t.file("val/cat/1.jpg");
        t.file("val/dog/1.jpg");
        t.file("test/cat/1.jpg");
        const std::string m = usage_message([&] { validate_dataset(t.root); });
        EXPECT_NE(m.find((t.root / "test").generic_string()), std::string::npos) << m;
        EXPECT_NE(m.find("missing dog"), std::string::npos) << m;
    }
    {
        TempTree t;  // class folders with a top-level val beside them
        t.file("cat/1.jpg");
        t.file("dog/1.jpg");
        t.file("val/cat/1.jpg");
        const std::string m = usage_message([&] { validate_dataset(t.root); });
        EXPECT_NE(m.find("val"), std::string::npos) << m;
        EXPECT_NE(m.find(t.root.generic_string()), std::string::npos) << m;
    }
    {
        TempTree t;  // one class only
        t.file("train/cat/1.jpg");
        t.file("train/dog/readme.txt");
        const std::string m = usage_message([&] { validate_dataset(t.root); });
        EXPECT_NE(m.find((t.root / "train").generic_string()), std::string::npos) << m;
        EXPECT_NE(m.find("at least 2"), std::string::npos) << m;
    }
    {
        TempTree t;  // nothing at all
        EXPECT_NE(usage_message([&] { validate_dataset(t.root); }).find("at least 2"), std::string::npos);
        EXPECT_NE(usage_message([&] { validate_dataset(t.root / "missing"); }).find("not a directory"),
                  std::string::npos);
    }
}

TEST(VisionDataset, CollectImagesIsSortedAndSkips) {
    TempTree t;
    t.file("b/2.png");
    t.file("a/1.jpg");
    t.file("a/.x/3.png");
    t.file("note.txt");
    const auto found = collect_images(t.root);
    ASSERT_EQ(found.size(), 2u);
    EXPECT_EQ(found[0].filename(), "1.jpg");
    EXPECT_EQ(found[1].filename(), "2.png");
}

// ---------------------------------------------------------------- models

TEST(VisionModels, CatalogLookupsAndCustomBuilders) {
    const auto& cat = model_catalog();
    ASSERT_EQ(cat.size(), 31u);
    EXPECT_EQ(cat.front().name, "resnet18");
    EXPECT_EQ(cat.back().name, "custom");
    for (const auto& m : cat) EXPECT_FALSE(m.description.empty()) << m.name;
    const Model b2 = model_for("efficientnet_b2");
    EXPECT_EQ(b2.image_size, 260);
    EXPECT_EQ(b2.batch_size, 32);
    EXPECT_EQ(model_for("Inception_V3").image_size, 299);
    EXPECT_EQ(model_for("vit_l_16").batch_size, 8);
    const Model c = model_for("regnet_y_16gf");
    EXPECT_TRUE(c.custom);
    EXPECT_EQ(c.name, "regnet_y_16gf");
    EXPECT_EQ(c.image_size, 224);
    EXPECT_EQ(c.batch_size, 32);
    EXPECT_NE(usage_message([] { model_for("custom"); }).find("--model"), std::string::npos);
    EXPECT_NE(usage_message([] { model_for("resnet50; import os"); }).find("--model"), std::string::npos);
    EXPECT_NE(usage_message([] { model_for("1net"); }).find("--model"), std::string::npos);
}

// ---------------------------------------------------------------- compute

TEST(VisionCompute, CpuFlagParsing) {
    EXPECT_FALSE(parse_cpu_flag("L4"));
    EXPECT_FALSE(parse_cpu_flag("a100-80gb:2"));
    EXPECT_FALSE(parse_cpu_flag("cpux"));  // a GPU name for the catalog to refuse
    const auto plain = parse_cpu_flag("cpu");
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->cores, 8);
    EXPECT_EQ(plain->memory_mb, 0);  // the catalog's 512 per core
    const auto four = parse_cpu_flag("CPU:4");
    ASSERT_TRUE(four);
    EXPECT_EQ(four->cores, 4);
    const auto sized = parse_cpu_flag("cpu:4:2048");
    ASSERT_TRUE(sized);
    EXPECT_EQ(sized->cores, 4);
    EXPECT_EQ(sized->memory_mb, 2048);
    for (const char* bad : {"cpu:x", "cpu:4:lots", "cpu:", "cpu:0", "cpu:2.5", "cpu:4:2048:1", "cpu:-1"})
        EXPECT_NE(usage_message([&] { parse_cpu_flag(bad); }).find("--gpu"), std::string::npos) << bad;
}

TEST(VisionCompute, ComputeStringAndContext) {
    EXPECT_EQ(compute_string(gpu("L4", "L4")), "L4");
    EXPECT_EQ(compute_string(gpu("A100-80GB:2", "A100-80GB x2")), "A100-80GB:2");
    EXPECT_EQ(compute_string(cpu(8, 4096)), "cpu:8:4096");
    Json g = Json::object();
    add_compute_context(g, gpu("H100:2", "H100 x2"));
    EXPECT_EQ(g.dump(), R"({"gpu":"H100:2","cpu":null,"cores":null,"memory_mb":null})");
    Json c = Json::object();
    add_compute_context(c, cpu(4, 2048));
    EXPECT_EQ(c.dump(), R"({"gpu":null,"cpu":true,"cores":4,"memory_mb":2048})");
}

// ---------------------------------------------------------------- ranges

TEST(VisionRanges, EveryRuleAndItsMessage) {
    using namespace rules;
    EXPECT_EQ(range_error(kEpochs, 1), "");
    EXPECT_EQ(range_error(kEpochs, 0), "--epochs must be at least 1 (got 0)");
    EXPECT_EQ(range_error(kLearningRate, 0), "--learning-rate must be above 0 (got 0)");
    EXPECT_EQ(range_error(kLearningRate, 1e-6), "");
    EXPECT_EQ(range_error(kValidationSplit, 0.05), "");
    EXPECT_EQ(range_error(kValidationSplit, 0.49), "");
    EXPECT_EQ(range_error(kValidationSplit, 0.5), "--validation-split must be at least 0.05 and below 0.5 (got 0.5)");
    EXPECT_NE(range_error(kValidationSplit, 0.04), "");
    EXPECT_EQ(range_error(kLabelSmoothing, 0), "");
    EXPECT_NE(range_error(kLabelSmoothing, 1), "");
    EXPECT_NE(range_error(kDropout, 1), "");
    EXPECT_NE(range_error(kDropout, -0.1), "");
    EXPECT_EQ(range_error(kWeightDecay, 0), "");
    EXPECT_NE(range_error(kWeightDecay, -1e-4), "");
    EXPECT_NE(range_error(kMomentum, -0.5), "");
    EXPECT_EQ(range_error(kWorkers, 0), "");
    EXPECT_NE(range_error(kWorkers, -1), "");
    EXPECT_EQ(range_error(kPatience, 0), "");
    EXPECT_NE(range_error(kGradAccumulation, 0), "");
    EXPECT_NE(range_error(kBatchSize, 0), "");
    EXPECT_NE(range_error(kImageSize, 0), "");
    EXPECT_NE(range_error(kTopK, 0), "");
    EXPECT_NE(range_error(kMaxImages, 0), "");
    EXPECT_NE(range_error(kTimeoutHours, 0), "");
    EXPECT_EQ(range_error(kTimeoutHours, 24), "");
    EXPECT_EQ(range_error(kTimeoutHours, 25), "--timeout must be above 0 and at most 24 (got 25)");
    EXPECT_NE(usage_message([] { check_range(rules::kEpochs, -3); }).find("--epochs"), std::string::npos);
}

// ---------------------------------------------------------------- names

TEST(VisionNames, SlugsVolumePathsAndVolumeNames) {
    EXPECT_EQ(run_slug("My Run #1"), "my-run-1");
    EXPECT_EQ(run_slug("--A__b--"), "a-b");
    EXPECT_EQ(run_slug("Ünïcode ok"), "n-code-ok");
    EXPECT_EQ(run_slug("!!!"), "run");
    EXPECT_EQ(run_slug(""), "run");
    EXPECT_EQ(default_experiment_name("efficientnet_v2_s", "20260102-030405"),
              "imgclf-efficientnet-v2-s-20260102-030405");
    EXPECT_EQ(volume_path("--x", "  /run/checkpoints/best.pt "), "run/checkpoints/best.pt");
    EXPECT_EQ(volume_path("--x", "\\run\\a\\\\b.json"), "run/a/b.json");
    EXPECT_EQ(volume_path("--x", "./run//./x"), "run/x");
    EXPECT_NE(usage_message([] { volume_path("--output-json", "../escape.json"); }).find("--output-json"),
              std::string::npos);
    EXPECT_NE(usage_message([] { volume_path("--output-dir", " / "); }).find("--output-dir"), std::string::npos);
    check_volume_name("m-gpux-vision-artifacts");
    check_volume_name("team.vision_2");
    EXPECT_NE(usage_message([] { check_volume_name("bad name"); }).find("--artifact-volume"), std::string::npos);
    EXPECT_NE(usage_message([] { check_volume_name(std::string(65, 'a')); }), "");
    EXPECT_NE(usage_message([] { check_volume_name(""); }), "");
}

TEST(VisionNames, CheckpointReferencesAndTimeouts) {
    const CheckpointRef byrun = checkpoint_ref(std::nullopt, "My Run");
    EXPECT_EQ(byrun.run, "my-run");
    EXPECT_EQ(byrun.path, "my-run/checkpoints/best_model.pt");
    const CheckpointRef bypath = checkpoint_ref(std::string("/exp-7/checkpoints/last_model.pt"), "ignored");
    EXPECT_EQ(bypath.run, "exp-7");
    EXPECT_EQ(bypath.path, "exp-7/checkpoints/last_model.pt");
    EXPECT_EQ(parent_path("exp-7/checkpoints/last_model.pt"), "exp-7/checkpoints");
    EXPECT_EQ(parent_path("model.pt"), "");
    EXPECT_EQ(timeout_seconds(0.5, 3600), 3600);
    EXPECT_EQ(timeout_seconds(8, 3600), 28800);
    EXPECT_EQ(timeout_seconds(0.25, 900), 900);
    EXPECT_EQ(timeout_seconds(1.5, 1800), 5400);
    EXPECT_EQ(timestamp(0).size(), 15u);
}

TEST(VisionNames, UploadIgnoreMatchesAtAnyDepthAndKeepsCredentialsOut) {
    const auto ignore = upload_ignore(default_ignore_patterns());
    EXPECT_EQ(ignore.front(), "**/__pycache__");
    EXPECT_NE(std::find(ignore.begin(), ignore.end(), "**/.*"), ignore.end());
    EXPECT_EQ(ignore.back(), mgpux::launch::credential_excludes().back());
    EXPECT_TRUE(mgpux::launch::is_excluded(ignore, "cat/.ipynb_checkpoints/x.png"));
    EXPECT_TRUE(mgpux::launch::is_excluded(ignore, "train/cat/__pycache__/a.pyc"));
    EXPECT_FALSE(mgpux::launch::is_excluded(ignore, "train/cat/1.png"));
}

// ---------------------------------------------------------------- templates

TEST(VisionTemplates, TrainConfigKeysInContractOrder) {
    TrainPlan p;
    p.dataset.mode = "single_root";
    p.dataset.path = "/data/shapes";
    p.dataset.classes = {"circle", "square"};
    p.compute = cpu(8, 4096);
    p.model = model_for("resnet18");
    p.experiment_name = "exp";
    p.common.timeout_hours = 0.5;
    const Json c = train_config(p);
    EXPECT_EQ(keys(c), (std::vector<std::string>{"experiment_name",
                                                 "model_name",
                                                 "gpu",
                                                 "dataset_mode",
                                                 "pretrained",
                                                 "validation_split",
                                                 "epochs",
                                                 "batch_size",
                                                 "image_size",
                                                 "learning_rate",
                                                 "optimizer",
                                                 "scheduler",
                                                 "weight_decay",
                                                 "momentum",
                                                 "label_smoothing",
                                                 "dropout",
                                                 "augmentation",
                                                 "mixed_precision",
                                                 "num_workers",
                                                 "seed",
                                                 "early_stopping_patience",
                                                 "freeze_backbone",
                                                 "grad_accumulation_steps",
                                                 "class_names",
                                                 "overwrite",
                                                 "resume",
                                                 "precision",
                                                 "early_stopping_metric"}));
    EXPECT_EQ(c.find("gpu")->as_string(), "cpu:8:4096");
    EXPECT_EQ(c.find("class_names")->dump(), R"(["circle","square"])");
    const Json ctx = train_context(p, "9.9.9");
    EXPECT_EQ(ctx.find("template")->as_string(), "vision/train.py");
    EXPECT_EQ(ctx.find("app_name")->as_string(), "m-gpux-vision-classification");
    EXPECT_EQ(ctx.find("timeout_s")->as_int(), 3600);  // at least an hour
    EXPECT_EQ(ctx.find("dataset_dir")->as_string(), "/data/shapes");
    EXPECT_TRUE(ctx.find("cpu")->as_bool());
    const auto req = train_request(p, "script", "upload line");
    EXPECT_EQ(req.description, "image classification training (resnet18) on CPU (8 cores, 4096 MB)");
    EXPECT_EQ(req.timeout_s, 3600);
    EXPECT_FALSE(req.detach);
    EXPECT_EQ(req.mode, "run");
}

TEST(VisionTemplates, PredictEvaluateExportConfigs) {
    PredictPlan pr;
    pr.compute = gpu("L4", "L4");
    pr.checkpoint = checkpoint_ref(std::nullopt, "r");
    pr.output_json = "r/predictions/p.json";
    pr.input_path = "/in/cat.png";
    pr.single = true;
    EXPECT_EQ(keys(predict_config(pr)),
              (std::vector<std::string>{"gpu", "batch_size", "num_workers", "mixed_precision", "fallback_image_size",
                                        "checkpoint_path", "output_json", "top_k", "max_images", "local_input",
                                        "overwrite"}));
    EXPECT_TRUE(predict_config(pr).find("max_images")->is_null());
    const Json pctx = predict_context(pr, "1");
    EXPECT_EQ(pctx.find("input_mode")->as_string(), "single");
    EXPECT_EQ(pctx.find("input_name")->as_string(), "cat.png");
    EXPECT_EQ(pctx.find("timeout_s")->as_int(), 3600);  // 1 hour default of Common

    EvaluatePlan ev;
    ev.compute = gpu("T4", "T4");
    ev.dataset.mode = "train_only";
    ev.validation_split = 0.25;
    EXPECT_EQ(
        keys(evaluate_config(ev)),
        (std::vector<std::string>{"gpu", "batch_size", "num_workers", "mixed_precision", "fallback_image_size",
                                  "dataset_mode", "split", "override_validation_split", "default_validation_split",
                                  "fallback_seed", "checkpoint_path", "output_json", "top_k", "overwrite"}));
    EXPECT_EQ(evaluate_config(ev).find("override_validation_split")->as_float(), 0.25);

    ExportPlan ex;
    ex.formats = export_formats("all");
    EXPECT_EQ(ex.formats, (std::vector<std::string>{"onnx", "torchscript"}));
    EXPECT_EQ(export_formats("ONNX"), (std::vector<std::string>{"onnx"}));
    EXPECT_NE(usage_message([] { export_formats("tflite"); }).find("--format"), std::string::npos);
    EXPECT_EQ(keys(export_config(ex)), (std::vector<std::string>{"formats", "fallback_image_size", "checkpoint_path",
                                                                 "output_dir", "overwrite"}));
    ex.common.timeout_hours = 0.1;
    const Json xctx = export_context(ex, "1");
    EXPECT_EQ(xctx.find("timeout_s")->as_int(), 900);
    EXPECT_EQ(xctx.find("gpu"), nullptr);  // export runs on Modal's default CPU container
}

// ---------------------------------------------------------------- results

TEST(VisionResults, RowsTablesAndFinding) {
    const Json train = Json::parse(
        R"({"kind":"train","experiment_name":"e","model_name":"resnet18","best_epoch":3,"best_val_accuracy":0.875,)"
        R"("epochs_completed":4,"training_seconds":12.5,"artifact_volume":"v","artifact_path":"e","test_accuracy":null,)"
        R"("test_macro_f1":null,"files":["e/checkpoints/best_model.pt","e/summary.json"]})");
    const Json other = Json::parse(R"({"kind":"evaluate","split":"val"})");
    const std::vector<Json> results = {train, other};
    EXPECT_EQ(find_result(results, "train"), &results[0]);
    EXPECT_EQ(find_result(results, "evaluate"), &results[1]);
    EXPECT_EQ(find_result(results, "export"), nullptr);
    const Rows rows = result_rows(train);
    auto value = [&](const Rows& rs, const std::string& k) {
        for (const auto& [a, b] : rs)
            if (a == k) return b;
        return std::string("<missing>");
    };
    EXPECT_EQ(value(rows, "Best epoch"), "3");
    EXPECT_EQ(value(rows, "Best val accuracy"), "87.50 %");
    EXPECT_EQ(value(rows, "Test accuracy"), "n/a (no test split)");
    EXPECT_EQ(value(rows, "Artifacts"), "v:/e/ (2 files)");

    const Json eval = Json::parse(
        R"({"kind":"evaluate","split":"test","num_samples":12,"loss":0.5,"accuracy":0.75,"topk_accuracy":1.0,"top_k":2,)"
        R"("macro_f1":0.7,"per_class":{"circle":{"precision":1.0,"recall":0.5,"f1":0.666667,"support":4}},)"
        R"("output_json_path":"e/evaluations/x.json","files":["e/evaluations/x.json"]})");
    EXPECT_EQ(value(result_rows(eval), "Top-2 accuracy"), "100.00 %");
    const auto pc = per_class_rows(eval);
    ASSERT_EQ(pc.size(), 1u);
    EXPECT_EQ(pc[0][0].as_string(), "circle");
    EXPECT_EQ(pc[0][3].as_string(), "0.6667");
    EXPECT_EQ(pc[0][4].as_string(), "4");

    const Json pred =
        Json::parse(R"({"kind":"predict","num_images":2,"top_k":1,"output_json_path":"r/p.json",)"
                    R"("first_predictions":[{"image":"/home/u/a.png","top_prediction":"circle","top_score":0.91}]})");
    const auto pr = prediction_rows(pred);
    ASSERT_EQ(pr.size(), 1u);
    EXPECT_EQ(pr[0][0].as_string(), "/home/u/a.png");
    EXPECT_EQ(pr[0][2].as_string(), "0.9100");

    const Json ex = Json::parse(R"({"kind":"export","output_dir":"r/exports/x","formats":["onnx"],)"
                                R"("exported_files":{"onnx":"r/exports/x/model.onnx"}})");
    EXPECT_EQ(value(result_rows(ex), "onnx"), "r/exports/x/model.onnx");
}

TEST(VisionResults, VolumeListingsBothKeySpellings) {
    const Json snake = Json::parse(R"([{"filename":"run-a","type":"dir","created_modified":"2026-01-01 10:00 UTC"},)"
                                   R"({"filename":"run-a/checkpoints/best_model.pt","type":"file"}])");
    const auto e = volume_entries(snake);
    ASSERT_EQ(e.size(), 2u);
    EXPECT_EQ(e[0].path, "run-a");
    EXPECT_EQ(e[0].type, "dir");
    EXPECT_EQ(e[0].modified, "2026-01-01 10:00 UTC");
    EXPECT_TRUE(listing_has_file(snake, "run-a/checkpoints/best_model.pt"));
    EXPECT_FALSE(listing_has_file(snake, "run-a"));  // a folder is not a checkpoint
    const Json titled = Json::parse(R"([{"Filename":"/r/checkpoints/best_model.pt","Type":"File"}])");
    EXPECT_TRUE(listing_has_file(titled, "r/checkpoints/best_model.pt"));
    EXPECT_TRUE(volume_entries(Json::parse("{}")).empty());
}

TEST(VisionResults, MissingOnVolumeMessages) {
    EXPECT_TRUE(is_missing_on_volume("Volume 'm-gpux-vision-artifacts' not found in environment 'main'."));
    EXPECT_TRUE(is_missing_on_volume("No such file or directory: 'r/checkpoints' in Volume 'v'."));
    EXPECT_TRUE(is_missing_on_volume("modal.exception.NotFoundError: Volume not found"));
    EXPECT_FALSE(is_missing_on_volume("Token missing. Could not authenticate client."));
    EXPECT_FALSE(is_missing_on_volume("modal volume ls timed out after 60 s"));
}

TEST(VisionResults, DownloadPlans) {
    const fs::path dir = "/tmp/dl";
    const Json train = Json::parse(
        R"({"kind":"train","artifact_path":"exp","files":["exp/checkpoints/best_model.pt","exp/history.json"]})");
    const auto t = download_plan(train, dir);
    ASSERT_EQ(t.size(), 1u);
    EXPECT_EQ(t[0].remote, "exp");
    EXPECT_EQ(t[0].local_dir, dir);
    EXPECT_EQ(t[0].files, (std::vector<fs::path>{dir / "exp/checkpoints/best_model.pt", dir / "exp/history.json"}));

    const Json ex = Json::parse(R"({"kind":"export","files":["r/exports/x/model.onnx","r/exports/x/labels.json"]})");
    const auto e = download_plan(ex, dir);
    ASSERT_EQ(e.size(), 2u);
    EXPECT_EQ(e[0].remote, "r/exports/x/model.onnx");
    EXPECT_EQ(e[0].local_dir, dir / "r/exports/x");
    EXPECT_EQ(e[0].files, (std::vector<fs::path>{dir / "r/exports/x/model.onnx"}));

    const Json evil = Json::parse(R"({"kind":"predict","files":["../../etc/passwd"]})");
    try {
        download_plan(evil, dir);
        ADD_FAILURE() << "a path leaving the folder was accepted";
    } catch (const mgpux::Error& err) {
        EXPECT_EQ(err.code(), MGPUX_E_FAILED);
    }
}

TEST(VisionPrecision, DefaultsFollowMixedPrecisionAndConflictsAreUsageErrors) {
    EXPECT_EQ(train_precision(std::nullopt, std::nullopt), "fp16");
    EXPECT_EQ(train_precision(std::nullopt, true), "fp16");
    EXPECT_EQ(train_precision(std::nullopt, false), "fp32");
    EXPECT_EQ(train_precision(std::string("bf16"), std::nullopt), "bf16");
    EXPECT_EQ(train_precision(std::string("fp32"), true), "fp32");
    EXPECT_EQ(train_precision(std::string("fp32"), false), "fp32");
    EXPECT_THROW(train_precision(std::string("bf16"), false), mgpux::Error);
    EXPECT_THROW(train_precision(std::string("fp16"), false), mgpux::Error);
}

TEST(VisionResume, ResumeAndOverwriteExcludeEachOther) {
    EXPECT_NO_THROW(check_resume_flags(true, false));
    EXPECT_NO_THROW(check_resume_flags(false, true));
    EXPECT_NO_THROW(check_resume_flags(false, false));
    try {
        check_resume_flags(true, true);
        FAIL() << "no usage error";
    } catch (const mgpux::Error& e) {
        EXPECT_EQ(e.code(), MGPUX_E_USAGE);
        EXPECT_NE(std::string(e.what()).find("--resume"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("--overwrite"), std::string::npos);
    }
    try {
        check_resume_flags(true, false, false);
        FAIL() << "no usage error";
    } catch (const mgpux::Error& e) {
        EXPECT_EQ(e.code(), MGPUX_E_USAGE);
        EXPECT_NE(std::string(e.what()).find("--experiment-name"), std::string::npos);
    }
    EXPECT_EQ(last_checkpoint_ref("demo").path, "demo/checkpoints/last_model.pt");
    EXPECT_EQ(last_checkpoint_ref("demo").run, "demo");
}
