// SPDX-License-Identifier: MIT
#include "launch_logic.hpp"
#include "sha1.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace mgpux::launch;
using mgpux::Json;

namespace {

// A scratch directory removed at the end of the test.
struct TempDir {
    fs::path path;
    TempDir() {
        path = fs::temp_directory_path() / ("mgpux-common-" + random_hex(6));
        fs::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    fs::path write(const std::string& rel, const std::string& content = "x") const {
        const fs::path p = path / rel;
        fs::create_directories(p.parent_path());
        std::ofstream(p) << content;
        return p;
    }
};

int code_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const mgpux::Error& e) {
        return e.code();
    }
    return 0;
}

}  // namespace

TEST(Sha1, KnownDigests) {
    EXPECT_EQ(sha1_hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    EXPECT_EQ(sha1_hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
    EXPECT_EQ(sha1_hex(std::string(1000, 'a')), "291e9a6c66994949b57ba5e650361e98fc36b1ba");
}

// The original's workspace volume names, which ours must match.
TEST(WorkspaceVolume, SpecVectors) {
    EXPECT_EQ(workspace_volume_name("/home/u/my_project"), "m-gpux-workspace-my-project-421a2c433a");
    EXPECT_EQ(workspace_volume_name("/home/u/My Project (v2)"), "m-gpux-workspace-my-project-v2-6bfd68fd0c");
    EXPECT_EQ(workspace_volume_name("/"), "m-gpux-workspace-workspace-42099b4af0");
    EXPECT_EQ(workspace_volume_name("/home/u/___"), "m-gpux-workspace-workspace-d43b115a0c");
    EXPECT_EQ(workspace_volume_name("/home/u/" + std::string(40, 'a')),
              "m-gpux-workspace-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-c877b820e3");
    EXPECT_LE(workspace_volume_name("/home/u/" + std::string(40, 'a')).size(), 60u);
}

// The ASCII slug rule (the spec's port note): non-ASCII letters become "-",
// so this folder gets another name than v2.4.0 gave it; the digest is the same.
TEST(WorkspaceVolume, NonAsciiUsesAsciiRule) {
    EXPECT_EQ(workspace_volume_name("/home/u/\xC4\x90\xE1\xBB\x93\xC3\x81n"), "m-gpux-workspace-n-a58897050f");
}

TEST(WorkspaceVolume, WindowsRootHashesExactString) {
    EXPECT_EQ(workspace_volume_name("C:\\Users\\me\\Proj"), "m-gpux-workspace-proj-021e19cf69");
}

TEST(WorkspaceVolume, TruncatedSlugMayEndWithDash) {
    // 31 letters, a space, more letters: the cut at 32 keeps the "-".
    const std::string name = workspace_volume_name("/x/" + std::string(31, 'b') + " cc");
    EXPECT_EQ(name.substr(0, 17 + 33), "m-gpux-workspace-" + std::string(31, 'b') + "--");
}

TEST(Slug, AsciiLettersDigitsDash) {
    EXPECT_EQ(slug("My App!"), "my-app");
    EXPECT_EQ(slug("  --Hello__World--  "), "hello-world");
    EXPECT_EQ(slug("caf\xC3\xA9 2"), "caf-2");
    EXPECT_EQ(slug("\xE6\x97\xA5\xE6\x9C\xAC"), "");
    EXPECT_EQ(slug("a\"b\\c\n{{d}}"), "a-b-c-d");
    EXPECT_EQ(slug(std::string(40, 'x')).size(), 32u);
    EXPECT_EQ(slug(std::string(31, 'x') + "-yy"), std::string(31, 'x'));  // no trailing dash after the cut
}

TEST(PresetName, DefaultAndValidation) {
    EXPECT_EQ(default_preset_name("jupyter", "L4"), "jupyter-l4");
    EXPECT_EQ(default_preset_name("bash", "CPU (8 cores, 4096 MB)"), "bash-cpu-8-cores-4096-mb");
    EXPECT_NO_THROW(validate_preset_name("rl-a100.v2_x"));
    EXPECT_EQ(code_of([] { validate_preset_name(""); }), MGPUX_E_USAGE);
    EXPECT_EQ(code_of([] { validate_preset_name("-x"); }), MGPUX_E_USAGE);
    EXPECT_EQ(code_of([] { validate_preset_name("a b"); }), MGPUX_E_USAGE);
    EXPECT_EQ(code_of([] { validate_preset_name(std::string(65, 'a')); }), MGPUX_E_USAGE);
}

TEST(Excludes, Normalise) {
    EXPECT_EQ(normalise_pattern("node_modules"), "**/node_modules");
    EXPECT_EQ(normalise_pattern("  *.egg-info "), "**/*.egg-info");
    EXPECT_EQ(normalise_pattern("build/"), "**/build");
    EXPECT_EQ(normalise_pattern("./data/raw"), "data/raw");
    EXPECT_EQ(normalise_pattern("/data/raw/"), "data/raw");
    EXPECT_EQ(normalise_pattern("**/x"), "**/x");
    EXPECT_EQ(normalise_pattern("!keep.txt"), "!**/keep.txt");
    EXPECT_EQ(normalise_pattern("   "), "");
    EXPECT_EQ(normalise_pattern("./"), "");
    EXPECT_EQ(normalise_pattern("/build"), "build");  // anchored at the root
    EXPECT_EQ(normalise_pattern("!/build/"), "!build");
    EXPECT_EQ(normalise_pattern("# comment"), "");
}

TEST(Excludes, DefaultsAddAndReplace) {
    const auto d = resolve_excludes(default_excludes(ExcludeDefaults::Workspace), {"*.ckpt", "node_modules"}, false);
    EXPECT_EQ(d.front(), "**/.venv");
    EXPECT_NE(std::find(d.begin(), d.end(), "**/dist"), d.end());
    EXPECT_NE(std::find(d.begin(), d.end(), "**/*.ckpt"), d.end());
    EXPECT_EQ(std::count(d.begin(), d.end(), "**/node_modules"), 1);
    const auto& creds = credential_excludes();
    ASSERT_GE(d.size(), creds.size());
    EXPECT_TRUE(std::equal(creds.begin(), creds.end(), d.end() - static_cast<long>(creds.size())));

    const auto r = resolve_excludes(default_excludes(ExcludeDefaults::Workspace), {"data/"}, true);
    std::vector<std::string> expected{"**/data"};
    expected.insert(expected.end(), creds.begin(), creds.end());
    EXPECT_EQ(r, expected);
}

TEST(Excludes, CredentialsStayLastAndWin) {
    const auto r = resolve_excludes({}, {".ssh", "!.ssh/id_rsa", "!**/.modal.toml"}, true);
    EXPECT_TRUE(is_excluded(r, ".ssh/id_rsa"));
    EXPECT_TRUE(is_excluded(r, "sub/.modal.toml"));
    EXPECT_TRUE(is_excluded(r, ".m-gpux/sessions.json"));
    EXPECT_TRUE(is_excluded(r, "a/b/.netrc"));
    EXPECT_FALSE(is_excluded(r, "main.py"));
}

TEST(Excludes, HostDefaultsLeaveOutEnvFiles) {
    const auto r = resolve_excludes(default_excludes(ExcludeDefaults::Host), {}, false);
    EXPECT_TRUE(is_excluded(r, ".env"));
    EXPECT_TRUE(is_excluded(r, "site/.env.production"));
    EXPECT_FALSE(is_excluded(r, "index.html"));
}

TEST(Excludes, MatchingAtAnyDepth) {
    EXPECT_TRUE(pattern_matches("**/node_modules", "node_modules"));
    EXPECT_TRUE(pattern_matches("**/node_modules", "web/node_modules/x/y.js"));
    EXPECT_FALSE(pattern_matches("node_modules", "web/node_modules/x.js"));  // anchored, as Modal
    EXPECT_TRUE(pattern_matches("**/*.egg-info", "src/pkg.egg-info/PKG-INFO"));
    EXPECT_TRUE(pattern_matches("data/raw", "data/raw/1.csv"));
    EXPECT_FALSE(pattern_matches("data/raw", "x/data/raw/1.csv"));
    EXPECT_TRUE(pattern_matches("**/?.txt", "d/a.txt"));
    EXPECT_FALSE(pattern_matches("**/?.txt", "d/ab.txt"));
    EXPECT_TRUE(pattern_matches("**/[ab].py", "b.py"));
    EXPECT_FALSE(pattern_matches("**/[!ab].py", "b.py"));
    EXPECT_TRUE(pattern_matches("logs/**", "logs/a/b"));
    EXPECT_FALSE(pattern_matches("*.py", "a/b.py"));
    EXPECT_TRUE(pattern_matches("**/.env.*", ".env.local"));
    EXPECT_FALSE(pattern_matches("**/.env", ".envrc"));
}

TEST(Excludes, NegationReincludes) {
    const std::vector<std::string> p{"**/*.log", "!**/keep.log"};
    EXPECT_TRUE(is_excluded(p, "a/x.log"));
    EXPECT_FALSE(is_excluded(p, "a/keep.log"));
}

TEST(Upload, CountsFilesAfterExcludes) {
    TempDir t;
    t.write("main.py", "print(1)\n");   // 9 bytes
    t.write("pkg/util.py", "x = 1\n");  // 6 bytes
    t.write("node_modules/a/b.js", std::string(100, 'j'));
    t.write("pkg/node_modules/c.js", std::string(100, 'j'));
    t.write(".git/HEAD", "ref");
    t.write(".modal.toml", "secret");
    const auto patterns = resolve_excludes(default_excludes(ExcludeDefaults::Workspace), {}, false);
    const UploadStats s = upload_stats(t.path, patterns);
    EXPECT_EQ(s.files, 2u);
    EXPECT_EQ(s.bytes, 15u);
    EXPECT_FALSE(s.truncated);
    EXPECT_EQ(s.excluded, 4u);  // two node_modules, .git, .modal.toml
    EXPECT_EQ(upload_summary("/p", s), "/p (2 files, 15 B)");
}

TEST(Upload, StopsAtTheLimit) {
    TempDir t;
    for (int i = 0; i < 5; ++i) t.write("f" + std::to_string(i));
    EXPECT_TRUE(upload_stats(t.path, {}, 3).truncated);
}

TEST(Upload, HumanSize) {
    EXPECT_EQ(human_size(0), "0 B");
    EXPECT_EQ(human_size(1536), "1.5 KB");
    EXPECT_EQ(human_size(5u * 1024 * 1024), "5.0 MB");
}

TEST(Deps, PipValidation) {
    EXPECT_NO_THROW(validate_pip_package("fastapi==0.115.0"));
    EXPECT_NO_THROW(validate_pip_package("uvicorn[standard]>=0.30,<1"));
    EXPECT_NO_THROW(validate_pip_package("caf\xC3\xA9-pkg"));
    EXPECT_NO_THROW(validate_pip_package("a\\b{{c}}"));
    for (const char* bad : {"", "-r", "--index-url=x", "a b", "a\"b", "a'b", "a\nb", "a\tb", "a`b"})
        EXPECT_EQ(code_of([&] { validate_pip_package(bad); }), MGPUX_E_USAGE) << bad;
}

TEST(Deps, AutoRequirementsOfTheProject) {
    TempDir t;
    const fs::path project = t.path / "proj";
    fs::create_directories(project);
    Deps none = resolve_deps({}, project, t.path);
    EXPECT_TRUE(none.empty());
    t.write("proj/requirements.txt", "flask\n");
    Deps d = resolve_deps({}, project, t.path);
    EXPECT_TRUE(d.auto_found);
    EXPECT_EQ(d.requirements_abs, (project / "requirements.txt").generic_string());
    EXPECT_EQ(d.requirements_preset, "requirements.txt");
    DepsRequest off;
    off.auto_requirements = false;
    EXPECT_TRUE(resolve_deps(off, project, t.path).empty());
    DepsRequest no;
    no.no_deps = true;
    EXPECT_TRUE(resolve_deps(no, project, t.path).empty());
}

TEST(Deps, ExplicitFlags) {
    TempDir t;
    const fs::path project = t.path / "proj";
    t.write("proj/reqs/dev.txt", "pytest\n");
    t.write("other.txt", "x\n");
    DepsRequest r;
    r.requirements = "proj/reqs/dev.txt";  // relative to the working directory
    r.pip = {"httpx==0.28.1"};
    Deps d = resolve_deps(r, project, t.path);
    EXPECT_EQ(d.packages, std::vector<std::string>{"httpx==0.28.1"});
    EXPECT_EQ(d.requirements_preset, "reqs/dev.txt");
    EXPECT_EQ(deps_summary(d).back(), "requirements: " + (project / "reqs/dev.txt").generic_string());

    DepsRequest outside;
    outside.requirements = (t.path / "other.txt").string();
    EXPECT_EQ(resolve_deps(outside, project, t.path).requirements_preset, (t.path / "other.txt").generic_string());

    DepsRequest pip_only;
    pip_only.pip = {"rich"};
    t.write("proj/requirements.txt", "flask\n");
    EXPECT_TRUE(resolve_deps(pip_only, project, t.path).requirements_abs.empty());  // --pip replaces the auto file

    DepsRequest missing;
    missing.requirements = "nope.txt";
    EXPECT_EQ(code_of([&] { resolve_deps(missing, project, t.path); }), MGPUX_E_USAGE);
    DepsRequest both;
    both.no_deps = true;
    both.pip = {"x"};
    EXPECT_EQ(code_of([&] { resolve_deps(both, project, t.path); }), MGPUX_E_USAGE);
    DepsRequest bad;
    bad.pip = {"-e ."};
    EXPECT_EQ(code_of([&] { resolve_deps(bad, project, t.path); }), MGPUX_E_USAGE);
}

TEST(Compute, FromCatalogAnswers) {
    const Compute g = compute_from_gpu(Json::parse(R"J({"name":"H100","count":2,"spec":"H100:2","label":"H100:2"})J"));
    EXPECT_TRUE(g.is_gpu());
    EXPECT_EQ(compute_context(g).dump(), R"J({"gpu":"H100:2","cpu":null})J");
    EXPECT_EQ(compute_preset_fields(g).to_json().dump(), R"J({"gpu":"H100","gpu_count":2})J");
    const Compute c =
        compute_from_cpu(Json::parse(R"J({"cores":4,"memory_mb":2048,"label":"CPU (4 cores, 2048 MB)"})J"));
    EXPECT_FALSE(c.is_gpu());
    EXPECT_EQ(compute_context(c).dump(), R"J({"gpu":null,"cpu":{"cores":4,"memory_mb":2048}})J");
    EXPECT_EQ(compute_preset_fields(c).to_json().dump(), R"J({"cpu":4,"memory_mb":2048})J");
}

TEST(Compute, OneCoreIsSingular) {
    EXPECT_EQ(cores_text(1), "1 core");
    EXPECT_EQ(cores_text(8), "8 cores");
    // Without the catalog's label, the same wording is made here.
    EXPECT_EQ(compute_from_cpu(Json::parse(R"J({"cores":1,"memory_mb":512})J")).label, "CPU (1 core, 512 MB)");
}

const char* kCatalog = R"J({"gpus":[
  {"name":"T4","vram_gb":16,"max_count":8,"price_per_hour":0.59,"description":"Turing: light work"},
  {"name":"L4","vram_gb":24,"max_count":8,"price_per_hour":0.8,"description":"Ada Lovelace"},
  {"name":"A10","vram_gb":24,"max_count":4,"price_per_hour":1.1,"description":"Ampere"},
  {"name":"H100!","vram_gb":80,"max_count":8,"price_per_hour":null,"description":"Hopper"}],
 "default_gpu":"L4","cpus":[{"cores":1,"memory_mb":512}],"default_cpu_index":0,
 "pythons":["3.10","3.11","3.12","3.13","3.14"],"default_python":"3.12"})J";

TEST(Menus, GpuRowsShowTheVramOnceAndStartOnTheDefault) {
    const MenuRows m = gpu_menu_rows(Json::parse(kCatalog));
    EXPECT_EQ(m.labels, (std::vector<std::string>{"T4", "L4", "A10", "H100!"}));
    EXPECT_EQ(m.descriptions[0], "16 GB - Turing: light work, ~$0.59/h");
    EXPECT_EQ(m.descriptions[3], "80 GB - Hopper");  // no price known
    EXPECT_EQ(m.default_index, 1);
}

TEST(Menus, CountRowsGoUpToTheMaximumWithTheirPrice) {
    const Json cat = Json::parse(kCatalog);
    const MenuRows a10 = gpu_count_rows(*catalog_gpu(cat, "A10"));
    EXPECT_EQ(a10.labels, (std::vector<std::string>{"1", "2", "3", "4"}));
    EXPECT_EQ(a10.descriptions[1], "~$2.20/h");
    EXPECT_EQ(a10.default_index, 0);
    const MenuRows h100 = gpu_count_rows(*catalog_gpu(cat, "H100!"));
    EXPECT_EQ(h100.labels.size(), 8u);
    EXPECT_EQ(h100.descriptions[3], "");  // no price known
    EXPECT_EQ(catalog_gpu(cat, "B300"), nullptr);
}

TEST(Menus, PricesUnderTenCentsShowThreeDecimals) {
    EXPECT_EQ(hourly_price_text(0.0513), "~$0.051/h");
    EXPECT_EQ(hourly_price_text(3.95), "~$3.95/h");
    EXPECT_EQ(hourly_price_text(31.6), "~$31.60/h");
}

TEST(Menus, CostTextHasThePriceAndTheMostTheHoursCanCost) {
    EXPECT_EQ(cost_text(3.95, 24), "~$3.95/h; 24 h × ~$3.95/h ≈ $94.80 at most");
    EXPECT_EQ(cost_text(0.0513, 0.5), "~$0.051/h; 0.50 h × ~$0.051/h ≈ $0.03 at most");
}

TEST(Menus, SandboxPriceOfAGpuOrACpuSize) {
    const Json rates = Json::parse(R"({"sandbox_cpu_core_hour": 0.1419, "sandbox_memory_gib_hour": 0.024})");
    Compute gpu;
    gpu.gpu = "H100:2";
    EXPECT_EQ(sandbox_price_per_hour(gpu, 7.9, rates), 7.9);
    EXPECT_EQ(sandbox_price_per_hour(gpu, std::nullopt, rates), std::nullopt);
    Compute cpu;
    cpu.cores = 2;
    cpu.memory_mb = 2048;
    EXPECT_DOUBLE_EQ(*sandbox_price_per_hour(cpu, std::nullopt, rates), 2 * 0.1419 + 2 * 0.024);
    EXPECT_EQ(sandbox_price_per_hour(cpu, std::nullopt, Json::object()), std::nullopt);
}

TEST(Menus, PythonRowsStartOnTheDefault) {
    const MenuRows m = python_rows(Json::parse(kCatalog));
    EXPECT_EQ(m.labels, (std::vector<std::string>{"3.10", "3.11", "3.12", "3.13", "3.14"}));
    EXPECT_EQ(m.default_index, 2);
}

TEST(Menus, SplitCommas) {
    EXPECT_EQ(split_commas(" numpy, rich ,,httpx==0.28 "), (std::vector<std::string>{"numpy", "rich", "httpx==0.28"}));
    EXPECT_TRUE(split_commas("").empty());
    EXPECT_TRUE(split_commas(" , ").empty());
}

TEST(Names, AbsoluteDirAndRandomHex) {
    EXPECT_EQ(absolute_dir("a/../b/", "/w"), "/w/b");
    EXPECT_EQ(absolute_dir("/", "/w"), "/");
    EXPECT_EQ(absolute_dir("/x/y/.", "/w"), "/x/y");
    const std::string a = random_hex(16), b = random_hex(16);
    EXPECT_EQ(a.size(), 32u);
    EXPECT_NE(a, b);
    EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(Session, MetadataFields) {
    SessionInfo s{"dev", "work", "L4", "m-gpux-workspace-p-1", "/p", "m-gpux-shell", std::nullopt};
    EXPECT_EQ(session_metadata(s).to_json().dump(),
              R"J({"kind":"dev","app_name":"m-gpux-shell","profile":"work","compute":"L4","local_dir":"/p",)J"
              R"J("workspace_volume":"m-gpux-workspace-p-1","preset":null})J");
}

TEST(Request, SkeletonFromPlan) {
    LaunchPlan p;
    p.app_name = "m-gpux-host-x";
    p.mode = "deploy";
    p.background = true;
    p.description = "ASGI app x";
    p.compute = compute_from_gpu(Json::parse(R"J({"name":"L4","count":1,"spec":"L4","label":"L4"})J"));
    p.timeout_s = 86400;
    p.deps.packages = {"fastapi"};
    p.upload_root = "/p";
    p.upload.files = 3;
    p.upload.bytes = 2048;
    const Json r = run_request(p, "print(1)\n").to_json();
    EXPECT_EQ(r.dump(), R"J({"script":"print(1)\n","app_name":"m-gpux-host-x","mode":"deploy","background":true,)J"
                        R"J("description":"ASGI app x","compute":"L4","timeout_s":86400,"deps":["fastapi"],)J"
                        R"J("uploads":["/p (3 files, 2.0 KB)"]})J");
}

TEST(LaunchRequest, ProfileOnlyToOverride) {
    mgpux::RunRequest r;
    set_profile_override(r, "work", "work");  // what the host would take anyway
    EXPECT_FALSE(r.profile.has_value());
    EXPECT_EQ(r.to_json().find("profile"), nullptr);
    set_profile_override(r, "alice", "work");  // a preset's or a menu's other profile
    EXPECT_EQ(r.profile, std::optional<std::string>("alice"));
    set_profile_override(r, "", "work");
    EXPECT_FALSE(r.profile.has_value());
}

TEST(LaunchRequest, CredentialsAreAnEphemeralSecretAndOneFile) {
    mgpux::RunRequest r;
    add_session_credentials(r, Json::parse(R"J({"JUPYTER_TOKEN":"t"})J"), "JUPYTER_TOKEN=t\n");
    EXPECT_TRUE(r.secrets.empty());  // no named secret to create before the run or delete after it
    EXPECT_EQ(r.secret_env, (std::map<std::string, std::string>{{"JUPYTER_TOKEN", "t"}}));
    ASSERT_EQ(r.files.size(), 1u);
    EXPECT_EQ(r.files[0].name, "credentials.env");
    EXPECT_EQ(r.files[0].content, "JUPYTER_TOKEN=t\n");
}

TEST(Preset, FieldsAreStructured) {
    PresetInput in;
    in.action = "dev";
    in.profile = "work";
    in.compute = compute_from_cpu(Json::parse(R"J({"cores":8,"memory_mb":4096,"label":"CPU (8 cores, 4096 MB)"})J"));
    in.deps.requirements_preset = "requirements.txt";
    in.python_version = "3.12";
    in.excludes = resolve_excludes({}, {"data"}, true);
    EXPECT_EQ(preset_fields(in).to_json().dump(),
              R"J({"action":"dev","profile":"work","requirements":"requirements.txt","python_version":"3.12",)J"
              R"J("cpu":8,"memory_mb":4096,"exclude_patterns":["**/data"]})J");
}

TEST(LaunchLogic, InterpreterFromShebang) {
    EXPECT_EQ(mgpux::launch::interpreter_from_shebang("#!/usr/bin/python3"), "/usr/bin/python3");
    EXPECT_EQ(mgpux::launch::interpreter_from_shebang("#!/opt/venv/bin/python -s"), "/opt/venv/bin/python");
    EXPECT_EQ(mgpux::launch::interpreter_from_shebang("#!/usr/bin/env python3"), "python3");
    EXPECT_EQ(mgpux::launch::interpreter_from_shebang("#!/usr/bin/env -S PYTHONUTF8=1 python3.12 -u"), "python3.12");
    EXPECT_EQ(mgpux::launch::interpreter_from_shebang("\x7f"
                                                      "ELF"),
              "");
}
