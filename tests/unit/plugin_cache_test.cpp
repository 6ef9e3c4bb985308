// SPDX-License-Identifier: MIT
// Tests for the plugin metadata cache (host/plugins/cache.hpp): what it keeps,
// when it refuses to use what it kept, and how discovery and the lazy load
// use it with real fixture plugins.
#include "plugins/cache.hpp"
#include "plugins/registry.hpp"
#include "temp_dir.hpp"

#include "mgpux/plugin.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using mgpux::cli::CommandSpec;
using mgpux::cli::OptionSpec;
using mgpux::cli::OptionType;
using mgpux::plugins::DiscoveryEnv;
using mgpux::plugins::FileKey;
using mgpux::plugins::HostKey;
using mgpux::plugins::Plugin;
using mgpux::plugins::PluginCache;
using mgpux::plugins::PluginRegistry;
using mgpux::plugins::PluginStatus;

// Each test's own directory.
struct TempDir : mgpux::testing::TempDir {
    TempDir() : mgpux::testing::TempDir("mgpux-cache-test-") {}
};

std::string read_text(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_text(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::trunc) << text; }

HostKey host(const std::string& version = "9.9.9") {
    HostKey h;
    h.version = version;
    h.executable_size = 123456;
    h.executable_mtime_ns = 1700000000123456789;
    h.abi_major = MGPUX_ABI_MAJOR;
    h.abi_minor = MGPUX_ABI_MINOR;
    return h;
}

FileKey key(std::uint64_t size = 4096) {
    FileKey k;
    k.size = size;
    k.mtime_ns = 1700000000000000001;
    k.ctime_ns = 1700000000000000002;
    k.inode = 42;
    k.device = 7;
    return k;
}

// A plugin record with every field set to something other than its default.
Plugin demo_plugin(const std::string& id = "demo") {
    Plugin p;
    p.id = id;
    p.version = "2.3.4-rc1";
    p.summary = "Demo plugin \xe2\x80\x94 with UTF-8";
    p.panel = "Demos";
    p.abi_major = MGPUX_ABI_MAJOR;
    p.abi_minor = MGPUX_ABI_MINOR;
    p.descriptor_size = 80;

    OptionSpec name;
    name.name = "name";
    name.short_alias = 'n';
    name.type = OptionType::String;
    name.required = true;
    name.metavar = "WHO";
    name.help = "who to greet\nsecond line";
    name.default_value = "world";
    name.exclusive_group = "target";
    OptionSpec mode;
    mode.name = "mode";
    mode.type = OptionType::Choice;
    mode.repeatable = true;
    mode.hidden = true;
    mode.metavar = "MODE";
    mode.choices = {"fast", "slow"};
    OptionSpec color;
    color.name = "colour";
    color.type = OptionType::Bool;
    color.negatable = true;
    color.metavar = "COLOUR";
    color.default_value = "";  // present but empty is not the same as absent
    OptionSpec files;
    files.name = "files";
    files.type = OptionType::Path;
    files.positional = true;
    files.repeatable = true;
    files.metavar = "FILES";

    CommandSpec greet;
    greet.path = {id, "greet"};
    greet.summary = "Greet someone";
    greet.help = "Long help.";
    greet.options = {name, mode, color, files};
    greet.destructive = true;
    greet.interactive = true;
    greet.json = true;
    CommandSpec count;
    count.path = {id, "tools", "count"};
    count.summary = "Count";
    OptionSpec n;
    n.name = "n";
    n.type = OptionType::Float;
    n.metavar = "N";
    OptionSpec k;
    k.name = "k";
    k.type = OptionType::Int;
    k.metavar = "K";
    count.options = {n, k};
    count.trailing_name = "args";
    p.commands = {greet, count};
    return p;
}

void expect_same_option(const OptionSpec& a, const OptionSpec& b) {
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.short_alias, b.short_alias) << a.name;
    EXPECT_EQ(a.type, b.type) << a.name;
    EXPECT_EQ(a.repeatable, b.repeatable) << a.name;
    EXPECT_EQ(a.negatable, b.negatable) << a.name;
    EXPECT_EQ(a.required, b.required) << a.name;
    EXPECT_EQ(a.hidden, b.hidden) << a.name;
    EXPECT_EQ(a.positional, b.positional) << a.name;
    EXPECT_EQ(a.metavar, b.metavar) << a.name;
    EXPECT_EQ(a.help, b.help) << a.name;
    EXPECT_EQ(a.default_value, b.default_value) << a.name;
    EXPECT_EQ(a.choices, b.choices) << a.name;
    EXPECT_EQ(a.exclusive_group, b.exclusive_group) << a.name;
}

void expect_same_metadata(const Plugin& a, const Plugin& b) {
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.version, b.version);
    EXPECT_EQ(a.summary, b.summary);
    EXPECT_EQ(a.panel, b.panel);
    EXPECT_EQ(a.abi_major, b.abi_major);
    EXPECT_EQ(a.abi_minor, b.abi_minor);
    EXPECT_EQ(a.descriptor_size, b.descriptor_size);
    ASSERT_EQ(a.commands.size(), b.commands.size());
    for (std::size_t i = 0; i < a.commands.size(); ++i) {
        const CommandSpec& x = a.commands[i];
        const CommandSpec& y = b.commands[i];
        EXPECT_EQ(x.path, y.path);
        EXPECT_EQ(x.summary, y.summary);
        EXPECT_EQ(x.help, y.help);
        EXPECT_EQ(x.destructive, y.destructive);
        EXPECT_EQ(x.interactive, y.interactive);
        EXPECT_EQ(x.json, y.json);
        EXPECT_EQ(x.trailing_name, y.trailing_name);
        ASSERT_EQ(x.options.size(), y.options.size());
        for (std::size_t j = 0; j < x.options.size(); ++j) expect_same_option(x.options[j], y.options[j]);
    }
}

// A cache file in `dir` holding `plugins` (file name -> record), written by save().
fs::path write_cache(const TempDir& dir, const std::vector<Plugin>& plugins, const HostKey& h = host()) {
    const fs::path file = dir.path() / "cache" / "plugins.json";
    PluginCache cache(file, h);
    cache.load(nullptr);
    for (const auto& p : plugins) cache.put(dir.path() / mgpux::plugins::plugin_file_name(p.id), key(), p);
    cache.save(nullptr);
    return file;
}

PluginCache loaded(const fs::path& file, const HostKey& h = host(), std::vector<std::string>* debug = nullptr) {
    PluginCache cache(file, h);
    cache.load([&](const std::string& s) {
        if (debug) debug->push_back(s);
    });
    return cache;
}

// ------------------------------------------------------------- round trip

TEST(PluginCache, EveryFieldSurvivesARoundTrip) {
    TempDir d;
    const Plugin original = demo_plugin();
    ASSERT_EQ(mgpux::plugins::metadata_problem([&] {
                  Plugin p = original;
                  p.path = d.path() / "mgpux-demo.so";
                  return p;
              }()),
              "");
    const fs::path file = write_cache(d, {original});

    PluginCache cache = loaded(file);
    EXPECT_FALSE(cache.changed());
    ASSERT_EQ(cache.size(), 1u);
    auto hit = cache.find(d.path() / "mgpux-demo.so", key());
    ASSERT_TRUE(hit.has_value());
    expect_same_metadata(*hit, original);
    EXPECT_TRUE(mgpux::plugins::same_metadata(*hit, original));
    EXPECT_EQ(hit->status, PluginStatus::Loaded);
    EXPECT_TRUE(hit->cached);
    EXPECT_EQ(hit->descriptor, nullptr);
    // A second lookup of the same file (a directory listed twice) still answers.
    auto again = cache.find(d.path() / "mgpux-demo.so", key());
    ASSERT_TRUE(again.has_value());
    expect_same_metadata(*again, original);
}

TEST(PluginCache, FileIsPrivateInAPrivateDirectory) {
    TempDir d;
    const fs::path file = write_cache(d, {demo_plugin()});
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    ASSERT_EQ(::stat(file.parent_path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0700u);
}

TEST(PluginCache, NothingChangedMeansNoWrite) {
    TempDir d;
    const fs::path file = write_cache(d, {demo_plugin()});
    PluginCache cache = loaded(file);
    ASSERT_TRUE(cache.find(d.path() / "mgpux-demo.so", key()).has_value());
    fs::remove(file);
    cache.save(nullptr);
    EXPECT_FALSE(fs::exists(file));  // a hit is no change, so nothing was written
}

TEST(PluginCache, MissingFileIsEmptyAndWrittenOnce) {
    TempDir d;
    PluginCache cache = loaded(d.path() / "cache" / "plugins.json");
    EXPECT_EQ(cache.size(), 0u);
    EXPECT_TRUE(cache.changed());
    cache.save(nullptr);
    EXPECT_TRUE(fs::exists(d.path() / "cache" / "plugins.json"));
    EXPECT_FALSE(loaded(d.path() / "cache" / "plugins.json").changed());
}

TEST(PluginCache, WriteFailureIsSilentAndReportedToDebug) {
    TempDir d;
    write_text(d.path() / "not-a-dir", "x");
    PluginCache cache(d.path() / "not-a-dir" / "plugins.json", host());
    std::vector<std::string> debug;
    const auto sink = [&](const std::string& s) { debug.push_back(s); };
    cache.load(sink);
    cache.put(d.path() / "mgpux-demo.so", key(), demo_plugin());
    EXPECT_NO_THROW(cache.save(sink));
    ASSERT_FALSE(debug.empty());
    EXPECT_NE(debug.back().find("not written"), std::string::npos) << debug.back();
}

// ---------------------------------------------------------------- stat key

TEST(PluginCache, AnyStatKeyChangeMissesTheEntry) {
    TempDir d;
    const fs::path file = write_cache(d, {demo_plugin()});
    const fs::path plugin = d.path() / "mgpux-demo.so";
    std::vector<std::pair<const char*, std::function<void(FileKey&)>>> changes = {
        {"size", [](FileKey& k) { k.size += 1; }},      {"mtime", [](FileKey& k) { k.mtime_ns += 1; }},
        {"ctime", [](FileKey& k) { k.ctime_ns += 1; }}, {"inode", [](FileKey& k) { k.inode += 1; }},
        {"device", [](FileKey& k) { k.device += 1; }},
    };
    for (const auto& [what, change] : changes) {
        PluginCache cache = loaded(file);
        FileKey k = key();
        change(k);
        EXPECT_FALSE(cache.find(plugin, k).has_value()) << what;
        EXPECT_TRUE(cache.find(plugin, key()).has_value()) << what;
    }
    EXPECT_FALSE(loaded(file).find(d.path() / "mgpux-other.so", key()).has_value());
}

TEST(PluginCache, FileKeyOfARealFileChangesWithContentEvenWhenMtimeIsPutBack) {
    TempDir d;
    const fs::path f = d.path() / "mgpux-demo.so";
    write_text(f, "first version");
    const auto before = mgpux::plugins::file_key(f);
    ASSERT_TRUE(before.has_value());
    EXPECT_EQ(before->size, 13u);
    ::usleep(20000);                 // the kernel's file clock is coarse
    write_text(f, "other version");  // same size, same inode
    struct timespec times[2] = {{0, UTIME_OMIT}, {before->mtime_ns / 1000000000, before->mtime_ns % 1000000000}};
    ASSERT_EQ(::utimensat(AT_FDCWD, f.c_str(), times, 0), 0);
    const auto after = mgpux::plugins::file_key(f);
    ASSERT_TRUE(after.has_value());
    EXPECT_EQ(after->size, before->size);
    EXPECT_EQ(after->inode, before->inode);
    EXPECT_EQ(after->mtime_ns, before->mtime_ns);
    EXPECT_NE(after->ctime_ns, before->ctime_ns);
    EXPECT_FALSE(*after == *before);
    EXPECT_FALSE(mgpux::plugins::file_key(d.path() / "missing.so").has_value());
}

// ---------------------------------------------------------------- host key

TEST(PluginCache, AnotherHostOrAbiDiscardsTheWholeFile) {
    TempDir d;
    const fs::path file = write_cache(d, {demo_plugin()});
    std::vector<std::pair<const char*, std::function<void(HostKey&)>>> changes = {
        {"version", [](HostKey& h) { h.version = "9.9.10"; }},
        {"executable size", [](HostKey& h) { h.executable_size += 1; }},
        {"executable mtime", [](HostKey& h) { h.executable_mtime_ns += 1; }},
        {"abi major", [](HostKey& h) { h.abi_major += 1; }},
        {"abi minor", [](HostKey& h) { h.abi_minor += 1; }},
    };
    for (const auto& [what, change] : changes) {
        HostKey other = host();
        change(other);
        std::vector<std::string> debug;
        PluginCache cache = loaded(file, other, &debug);
        EXPECT_EQ(cache.size(), 0u) << what;
        EXPECT_TRUE(cache.changed()) << what;  // so it is rewritten for this host
        EXPECT_FALSE(cache.find(d.path() / "mgpux-demo.so", key()).has_value()) << what;
        ASSERT_FALSE(debug.empty()) << what;
        EXPECT_NE(debug[0].find("another m-gpux build"), std::string::npos) << debug[0];
    }
    EXPECT_EQ(loaded(file).size(), 1u);  // the file itself was not touched by loading
}

TEST(PluginCache, CurrentHostKeyNamesThisBuild) {
    const HostKey h = mgpux::plugins::current_host_key();
    EXPECT_FALSE(h.version.empty());
    EXPECT_GT(h.executable_size, 0u);  // this test binary
    EXPECT_NE(h.executable_mtime_ns, 0);
    EXPECT_EQ(h.abi_major, MGPUX_ABI_MAJOR);
    EXPECT_EQ(h.abi_minor, MGPUX_ABI_MINOR);
}

// --------------------------------------------------------- corrupt content

TEST(PluginCache, CorruptOrTruncatedFileIsIgnoredAndRewritten) {
    TempDir d;
    const fs::path good = write_cache(d, {demo_plugin()});
    const std::string text = read_text(good);
    const std::vector<std::pair<const char*, std::string>> corruptions = {
        {"garbage", "this is not JSON"},
        {"empty", ""},
        {"truncated", text.substr(0, text.size() / 2)},
        {"not an object", "[1, 2, 3]"},
        {"no host", R"({"plugins": []})"},
        {"trailing garbage", text + "}"},
    };
    for (const auto& [what, content] : corruptions) {
        write_text(good, content);
        std::vector<std::string> debug;
        PluginCache cache = loaded(good, host(), &debug);
        EXPECT_EQ(cache.size(), 0u) << what;
        EXPECT_TRUE(cache.changed()) << what;
        ASSERT_FALSE(debug.empty()) << what;
        EXPECT_NE(debug[0].find("ignored"), std::string::npos) << debug[0];
        cache.put(d.path() / "mgpux-demo.so", key(), demo_plugin());
        cache.save(nullptr);
        PluginCache again = loaded(good);
        EXPECT_FALSE(again.changed()) << what;
        EXPECT_TRUE(again.find(d.path() / "mgpux-demo.so", key()).has_value()) << what;
    }
}

// Edits the first option of the first command of entry `index` of a cache file.
void edit_entry(const fs::path& file, std::size_t index, const std::function<void(json::object&)>& edit) {
    json::value doc = json::parse(read_text(file));
    edit(doc.as_object()["plugins"].as_array()[index].as_object());
    write_text(file, json::serialize(doc));
}

json::object& first_command(json::object& entry) { return entry["commands"].as_array()[0].as_object(); }

json::array& first_option(json::object& entry) { return first_command(entry)["options"].as_array()[0].as_array(); }

TEST(PluginCache, OneInvalidEntryDiscardsTheWholeFile) {
    const std::vector<std::pair<const char*, std::function<void(json::object&)>>> breakages = {
        {"unknown option type", [](json::object& e) { first_option(e)[2] = "bogus"; }},
        {"choice without choices",
         [](json::object& e) {
             first_option(e)[2] = "choice";
             first_option(e)[7] = json::array();
         }},
        {"global option name", [](json::object& e) { first_option(e)[0] = "json"; }},
        {"bad option name", [](json::object& e) { first_option(e)[0] = "Bad Name"; }},
        {"option is an object", [](json::object& e) { first_command(e)["options"].as_array()[0] = json::object(); }},
        {"negatable string", [](json::object& e) { first_option(e)[3] = 2; }},
        {"flags out of range", [](json::object& e) { first_option(e)[3] = 64; }},
        {"short alias not a letter", [](json::object& e) { first_option(e)[1] = "7"; }},
        {"empty metavar", [](json::object& e) { first_option(e)[4] = ""; }},
        {"path outside the id",
         [](json::object& e) {
             first_command(e)["path"] = json::array{"other", "greet"};
         }},
        {"no commands", [](json::object& e) { e["commands"] = json::array(); }},
        {"duplicate command",
         [](json::object& e) {
             auto& cmds = e["commands"].as_array();
             cmds.push_back(cmds[0]);
         }},
        {"wrong abi", [](json::object& e) { e["abi_major"] = MGPUX_ABI_MAJOR + 1; }},
        {"id does not match the file", [](json::object& e) { e["id"] = "other"; }},
        {"descriptor too small", [](json::object& e) { e["descriptor_size"] = 4; }},
        {"missing member", [](json::object& e) { e.erase("summary"); }},
        {"wrong type", [](json::object& e) { e["version"] = 3; }},
        {"relative path", [](json::object& e) { e["path"] = "mgpux-beta.so"; }},
        {"negative inode", [](json::object& e) { e["inode"] = -1; }},
    };
    for (const auto& [what, breakage] : breakages) {
        TempDir d;
        const fs::path file = write_cache(d, {demo_plugin("alpha"), demo_plugin("beta")});
        ASSERT_EQ(loaded(file).size(), 2u);
        edit_entry(file, 1, breakage);  // entries are sorted by path: 1 is beta
        std::vector<std::string> debug;
        PluginCache cache = loaded(file, host(), &debug);
        EXPECT_EQ(cache.size(), 0u) << what;
        EXPECT_TRUE(cache.changed()) << what;
        // The good entry is not trusted either.
        EXPECT_FALSE(cache.find(d.path() / "mgpux-alpha.so", key()).has_value()) << what;
        ASSERT_FALSE(debug.empty()) << what;
        EXPECT_NE(debug[0].find("ignored"), std::string::npos) << what << ": " << debug[0];
    }
}

TEST(PluginCache, ForgetDropsAnEntryAndMarksAChange) {
    TempDir d;
    const fs::path file = write_cache(d, {demo_plugin("alpha"), demo_plugin("beta")});
    PluginCache cache = loaded(file);
    ASSERT_TRUE(cache.find(d.path() / "mgpux-alpha.so", key()).has_value());  // kept: looked up in this run
    cache.forget(d.path() / "mgpux-nothing.so");
    EXPECT_FALSE(cache.changed());
    cache.forget(d.path() / "mgpux-beta.so");
    EXPECT_TRUE(cache.changed());
    cache.save(nullptr);
    PluginCache again = loaded(file);
    EXPECT_EQ(again.size(), 1u);
    EXPECT_FALSE(again.find(d.path() / "mgpux-beta.so", key()).has_value());
}

TEST(PluginCache, EntriesNotLookedUpSurviveOnlyWhileTheirFileIsUnchanged) {
    TempDir d;
    // Two real files, so their keys can be checked at save time.
    const fs::path kept = d.path() / "mgpux-alpha.so";
    const fs::path gone = d.path() / "mgpux-beta.so";
    write_text(kept, "alpha");
    write_text(gone, "beta");
    const fs::path file = d.path() / "cache" / "plugins.json";
    {
        PluginCache cache(file, host());
        cache.load(nullptr);
        cache.put(kept, *mgpux::plugins::file_key(kept), demo_plugin("alpha"));
        cache.put(gone, *mgpux::plugins::file_key(gone), demo_plugin("beta"));
        cache.save(nullptr);
    }
    fs::remove(gone);
    {
        // Another run (another plugin path) caches a third plugin only.
        PluginCache cache = loaded(file);
        cache.put(d.path() / "mgpux-gamma.so", key(), demo_plugin("gamma"));
        cache.save(nullptr);
    }
    PluginCache cache = loaded(file);
    EXPECT_EQ(cache.size(), 2u);
    EXPECT_TRUE(cache.find(kept, *mgpux::plugins::file_key(kept)).has_value());
    EXPECT_TRUE(cache.find(d.path() / "mgpux-gamma.so", key()).has_value());
}

// ------------------------------------------------ discovery and lazy loading

fs::path fixture(const std::string& dir, const std::string& id) {
    return fs::path(MGPUX_TEST_FIXTURES) / dir / ("mgpux-" + id + ".so");
}

struct Discovered {
    std::unique_ptr<PluginRegistry> registry = std::make_unique<PluginRegistry>();
    std::vector<std::string> debug;

    const Plugin& only(const std::string& name) const {
        for (const auto& p : registry->all())
            if (p->path.filename() == name) return *p;
        throw std::runtime_error("no " + name);
    }
};

Discovered discover(const fs::path& plugin_dir, const fs::path& cache_file) {
    DiscoveryEnv env;
    env.plugin_path = plugin_dir.string();
    env.cache_file = cache_file;
    Discovered d;
    d.registry->discover(env, [&](const std::string& s) { d.debug.push_back(s); });
    return d;
}

class CachedDiscovery : public ::testing::Test {
protected:
    void SetUp() override {
        plugins_ = dir_.path() / "plugins";
        fs::create_directories(plugins_);
        fs::permissions(plugins_, fs::perms(0755));
        fs::copy_file(fixture("good", "abigood"), plugins_ / "mgpux-abigood.so");
        fs::copy_file(fixture("wrong_major", "abimajor"), plugins_ / "mgpux-abimajor.so");
        cache_ = dir_.path() / "cache" / "plugins.json";
    }

    // Caches the copy of the good fixture without opening the copy: glibc
    // hands back an already-open library for a path it has seen, so a test
    // that replaces the file must not have loaded it in this process.
    void seed_cache() {
        const Plugin meta = mgpux::plugins::load_plugin(fixture("good", "abigood"), "seed");
        ASSERT_EQ(meta.status, PluginStatus::Loaded) << meta.reason;
        PluginCache cache(cache_, mgpux::plugins::current_host_key());
        cache.load(nullptr);
        const fs::path copy = plugins_ / "mgpux-abigood.so";
        cache.put(copy, *mgpux::plugins::file_key(copy), meta);
        cache.save(nullptr);
    }

    TempDir dir_;
    fs::path plugins_;
    fs::path cache_;
};

TEST_F(CachedDiscovery, SecondStartTakesLoadedPluginsFromTheCache) {
    Discovered first = discover(plugins_, cache_);
    const Plugin& loaded_good = first.only("mgpux-abigood.so");
    ASSERT_EQ(loaded_good.status, PluginStatus::Loaded) << loaded_good.reason;
    EXPECT_FALSE(loaded_good.cached);
    EXPECT_NE(loaded_good.descriptor, nullptr);
    ASSERT_TRUE(fs::exists(cache_));

    Discovered second = discover(plugins_, cache_);
    const Plugin& cached_good = second.only("mgpux-abigood.so");
    EXPECT_EQ(cached_good.status, PluginStatus::Loaded);
    EXPECT_TRUE(cached_good.cached);
    EXPECT_EQ(cached_good.descriptor, nullptr);
    EXPECT_EQ(cached_good.origin, "MGPUX_PLUGIN_PATH");
    EXPECT_EQ(cached_good.path, plugins_ / "mgpux-abigood.so");
    expect_same_metadata(cached_good, loaded_good);
    // A skipped plugin is never cached, so its reason comes back at every start.
    const Plugin& skipped = second.only("mgpux-abimajor.so");
    EXPECT_EQ(skipped.status, PluginStatus::Skipped);
    EXPECT_FALSE(skipped.cached);
    EXPECT_NE(skipped.reason.find("plugin ABI 2.0"), std::string::npos) << skipped.reason;
    bool said = false;
    for (const auto& line : second.debug)
        said = said || line.find("mgpux-abigood.so: loaded from cache") != std::string::npos;
    EXPECT_TRUE(said);

    EXPECT_EQ(second.registry->ensure_loaded(cached_good), "");
    EXPECT_NE(cached_good.descriptor, nullptr);
    EXPECT_EQ(cached_good.descriptor_size, loaded_good.descriptor_size);
    EXPECT_TRUE(mgpux::plugins::shutdown_plugin(cached_good));
}

TEST_F(CachedDiscovery, ReplacedFileIsLoadedAgain) {
    seed_cache();
    ASSERT_TRUE(discover(plugins_, cache_).only("mgpux-abigood.so").cached);
    fs::remove(plugins_ / "mgpux-abigood.so");
    fs::copy_file(fixture("old_short", "abiold"), plugins_ / "mgpux-abigood.so");  // id abiold: now misnamed
    Discovered next = discover(plugins_, cache_);
    const Plugin& p = next.only("mgpux-abigood.so");
    EXPECT_FALSE(p.cached);
    EXPECT_EQ(p.status, PluginStatus::Skipped);
    EXPECT_NE(p.reason.find("does not match the file name"), std::string::npos) << p.reason;
    // ... and its stale entry is gone from the file.
    EXPECT_EQ(loaded(cache_, mgpux::plugins::current_host_key()).size(), 0u);
}

TEST_F(CachedDiscovery, LazyLoadOfAChangedPluginFailsAndDropsTheEntry) {
    seed_cache();
    // The cache claims another version for the same, unchanged file.
    edit_entry(cache_, 0, [](json::object& e) { e["version"] = "0.0.1"; });
    Discovered next = discover(plugins_, cache_);
    const Plugin& p = next.only("mgpux-abigood.so");
    ASSERT_TRUE(p.cached);
    EXPECT_EQ(p.version, "0.0.1");
    const std::string why = next.registry->ensure_loaded(p);
    EXPECT_NE(why.find((plugins_ / "mgpux-abigood.so").string()), std::string::npos) << why;
    EXPECT_NE(why.find("changed"), std::string::npos) << why;
    EXPECT_NE(why.find("version is now 1.2.3"), std::string::npos) << why;
    EXPECT_EQ(p.descriptor, nullptr);

    Discovered after = discover(plugins_, cache_);
    EXPECT_FALSE(after.only("mgpux-abigood.so").cached);
    EXPECT_EQ(after.only("mgpux-abigood.so").version, "1.2.3");
}

TEST_F(CachedDiscovery, LazyLoadOfAFileThatCannotBeLoadedAnyMoreFails) {
    seed_cache();
    Discovered second = discover(plugins_, cache_);
    const Plugin& p = second.only("mgpux-abigood.so");
    ASSERT_TRUE(p.cached);
    // Replaced after discovery, before the command runs.
    fs::remove(plugins_ / "mgpux-abigood.so");
    write_text(plugins_ / "mgpux-abigood.so", "not a library any more");
    const std::string why = second.registry->ensure_loaded(p);
    EXPECT_NE(why.find("cannot be loaded any more"), std::string::npos) << why;
    EXPECT_NE(why.find("mgpux-abigood.so"), std::string::npos) << why;
}

TEST_F(CachedDiscovery, NoCacheFileWithoutACachePath) {
    DiscoveryEnv env;
    env.plugin_path = plugins_.string();
    PluginRegistry reg;
    reg.discover(env, nullptr);
    EXPECT_FALSE(fs::exists(cache_.parent_path()));
    for (const auto& p : reg.all()) EXPECT_FALSE(p->cached);
}

}  // namespace
