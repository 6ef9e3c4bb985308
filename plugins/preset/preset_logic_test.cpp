// SPDX-License-Identifier: MIT
#include "preset_logic.hpp"

#include <gtest/gtest.h>

namespace preset {
namespace {

using mgpux::Json;

Compute gpu(const std::string& name, int count = 1) {
    Compute c;
    c.gpu = name;
    c.gpu_count = count;
    return c;
}

Compute cpu(int cores, int memory) {
    Compute c;
    c.cpu = cores;
    c.memory_mb = memory;
    return c;
}

TEST(PresetName, AcceptsPlainNames) {
    EXPECT_FALSE(name_problem("rl-a100"));
    EXPECT_FALSE(name_problem("nb_2.v3"));
    EXPECT_FALSE(name_problem(std::string(64, 'a')));
}

TEST(PresetName, RefusesAwkwardNames) {
    EXPECT_TRUE(name_problem(""));
    EXPECT_TRUE(name_problem(std::string(65, 'a')));
    EXPECT_TRUE(name_problem("-leading-dash"));
    EXPECT_TRUE(name_problem(".hidden"));
    EXPECT_TRUE(name_problem("bash-cpu-(8-cores,-4096-mb)"));  // the original's default name
    EXPECT_TRUE(name_problem("with space"));
    EXPECT_TRUE(name_problem("a/b"));
    EXPECT_TRUE(name_problem("caf\xc3\xa9"));
}

TEST(PresetName, DefaultNamesAreValidNames) {
    EXPECT_EQ(default_name("jupyter", gpu("L4")), "jupyter-l4");
    EXPECT_EQ(default_name("bash", gpu("H100", 4)), "bash-h100x4");
    EXPECT_EQ(default_name("dev", gpu("H100!")), "dev-h100");
    EXPECT_EQ(default_name("bash", gpu("A100-80GB")), "bash-a100-80gb");
    EXPECT_EQ(default_name("bash", cpu(8, 4096)), "bash-cpu8");
    for (const auto& n : {default_name("interactive", gpu("B200+", 8)), default_name("bash", cpu(64, 32768))})
        EXPECT_FALSE(name_problem(n)) << n;
}

TEST(PresetPaths, InsideTheFolderIsRelative) {
    EXPECT_EQ(stored_path("/home/u/proj", "requirements.txt"), "requirements.txt");
    EXPECT_EQ(stored_path("/home/u/proj", "./sub/../req/dev.txt"), "req/dev.txt");
    EXPECT_EQ(stored_path("/home/u/proj", "/home/u/proj/req.txt"), "req.txt");
    EXPECT_EQ(stored_path("/home/u/proj/", "/home/u/proj/a/req.txt"), "a/req.txt");
}

TEST(PresetPaths, OutsideTheFolderIsAbsolute) {
    EXPECT_EQ(stored_path("/home/u/proj", "../other/req.txt"), "/home/u/other/req.txt");
    EXPECT_EQ(stored_path("/home/u/proj", "/etc/req.txt"), "/etc/req.txt");
    // A sibling whose name starts with the folder's name is not inside it.
    EXPECT_EQ(stored_path("/home/u/proj", "/home/u/project2/req.txt"), "/home/u/project2/req.txt");
}

TEST(PresetPaths, ProjectFilesMustBeInside) {
    EXPECT_EQ(project_path("/home/u/proj", "train.py"), "train.py");
    EXPECT_EQ(project_path("/home/u/proj", "/home/u/proj/src/train.py"), "src/train.py");
    EXPECT_FALSE(project_path("/home/u/proj", "../train.py"));
    EXPECT_FALSE(project_path("/home/u/proj", "/tmp/train.py"));
    EXPECT_FALSE(project_path("/home/u/proj", "."));
}

TEST(PresetLists, SplitOnCommasAndTrim) {
    EXPECT_EQ(split_list(" torch, numpy ,,pandas "), (std::vector<std::string>{"torch", "numpy", "pandas"}));
    EXPECT_TRUE(split_list("").empty());
    EXPECT_TRUE(split_list(" , ").empty());
}

TEST(PresetFields, GpuPresetNamesEveryMember) {
    Choice c;
    c.action = "dev";
    c.compute = gpu("H100", 2);
    c.python = "3.11";
    c.packages = {"torch"};
    c.excludes = {".git"};
    c.profile = "work";
    const Json f = fields(c).to_json();
    EXPECT_EQ(f.dump(), R"j({"action":"dev","profile":"work","gpu":"H100","python_version":"3.11","gpu_count":2,)j"
                        R"j("pip_packages":["torch"],"exclude_patterns":[".git"],"cpu":null,"memory_mb":null,)j"
                        R"j("requirements":null,"script":null,"image":null})j");
}

TEST(PresetFields, CpuPresetWithRequirementsAndNoProfile) {
    Choice c;
    c.action = "interactive";
    c.compute = cpu(4, 2048);
    c.python = "3.12";
    c.requirements = "req.txt";
    c.script = "src/run.py";
    const Json f = fields(c).to_json();
    EXPECT_TRUE(f.find("gpu")->is_null());
    EXPECT_EQ(f.find("gpu_count")->as_int(), 1);
    EXPECT_EQ(f.find("cpu")->as_int(), 4);
    EXPECT_EQ(f.find("memory_mb")->as_int(), 2048);
    EXPECT_EQ(f.find("requirements")->as_string(), "req.txt");
    EXPECT_TRUE(f.find("pip_packages")->as_array().empty());
    EXPECT_EQ(f.find("script")->as_string(), "src/run.py");
    EXPECT_TRUE(f.find("profile")->is_null());
}

Json sample_presets() {
    return Json::parse(R"j({
      "zeta": {"name": "zeta", "action": "jupyter", "compute_label": "A100", "python_version": null,
               "profile": "", "updated_at": "2026-05-07T09:40:00+00:00"},
      "alpha": {"name": "alpha", "action": "bash", "compute_label": "CPU (8 cores, 4096 MB)",
                "python_version": "3.12", "profile": "work", "updated_at": "2026-05-08T10:11:12.345+00:00"},
      "broken": {"compute_spec": "gpu=os.system('x')", "error": "compute_spec \"gpu=...\": bad"}
    })j");
}

TEST(PresetListing, RowsAreSortedAndReadable) {
    const auto rows = list_rows(sample_presets());
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(Json(rows[0]).dump(), R"j(["alpha","bash","CPU (8 cores, 4096 MB)","3.12","work","2026-05-08 10:11"])j");
    EXPECT_EQ(Json(rows[1]).dump(), R"j(["broken","-","(unreadable)","-","-","-"])j");
    EXPECT_EQ(Json(rows[2]).dump(), R"j(["zeta","jupyter","A100","-","-","2026-05-07 09:40"])j");
    EXPECT_EQ(list_columns().size(), rows[0].size());
}

TEST(PresetListing, BrokenPresetsAreNamed) {
    const auto broken = broken_presets(sample_presets());
    ASSERT_EQ(broken.size(), 1u);
    EXPECT_EQ(broken[0].first, "broken");
    EXPECT_NE(broken[0].second.find("bad"), std::string::npos);
}

TEST(PresetListing, JsonDocumentHoldsASortedArrayWithNames) {
    const Json doc = list_document(sample_presets());
    ASSERT_TRUE(doc.is_object());
    const Json* presets = doc.find("presets");
    ASSERT_TRUE(presets && presets->is_array());
    ASSERT_EQ(presets->as_array().size(), 3u);
    EXPECT_EQ(presets->as_array()[1].find("name")->as_string(), "broken");
    EXPECT_EQ(presets->as_array()[2].find("name")->as_string(), "zeta");
    EXPECT_EQ(list_document(Json::object()).dump(), R"({"presets":[]})");
}

TEST(PresetShow, RowsSortedByKeyWithReadableValues) {
    const auto rows = show_rows(Json::parse(R"j({"name":"x","exclude_patterns":[".git","venv"],"cpu":null,"gpu_count":2,
                                               "flag":true,"pip_packages":[]})j"));
    ASSERT_EQ(rows.size(), 6u);
    EXPECT_EQ(rows[0], (std::pair<std::string, std::string>{"cpu", "-"}));
    EXPECT_EQ(rows[1], (std::pair<std::string, std::string>{"exclude_patterns", ".git, venv"}));
    EXPECT_EQ(rows[2], (std::pair<std::string, std::string>{"flag", "true"}));
    EXPECT_EQ(rows[3], (std::pair<std::string, std::string>{"gpu_count", "2"}));
    EXPECT_EQ(rows[4], (std::pair<std::string, std::string>{"name", "x"}));
    EXPECT_EQ(rows[5], (std::pair<std::string, std::string>{"pip_packages", "-"}));
}

TEST(PresetShow, TimesAreShortenedOnlyWhenTheyLookLikeIso) {
    EXPECT_EQ(short_time("2026-05-07T09:40:00+00:00"), "2026-05-07 09:40");
    EXPECT_EQ(short_time("yesterday"), "yesterday");
    EXPECT_EQ(short_time(""), "");
}

}  // namespace
}  // namespace preset
