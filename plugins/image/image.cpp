// SPDX-License-Identifier: MIT
// `m-gpux image`: builds images and publishes them to Modal workspaces (one
// run per chosen profile), and keeps the record of what was published in
// ~/.m-gpux/images.json, which every workload's --image reads.
#include "image_store.hpp"
#include "launch_args.hpp"
#include "launch_logic.hpp"

#include <mgpux/plugin.hpp>

#include <algorithm>
#include <ctime>
#include <filesystem>

namespace image {
namespace {

using mgpux::Json;
namespace images = mgpux::images;
namespace launch = mgpux::launch;

constexpr const char* kTemplate = "image/build.py";
constexpr const char* kAppName = "m-gpux-image-build";
const char* const kBases[] = {"debian_slim", "cuda", nullptr};

const mgpux_option kBuildOptions[] = {
    mgpux::positional("name").required().metavar("NAME").help("the image's name (letters, digits, '.', '_', '-')"),
    mgpux::option("python").metavar("VERSION").help("the image's Python, 3.10-3.14 (default 3.12)"),
    mgpux::option("pip").repeatable().metavar("PKG").help("a pip package to install: --pip torch==2.5.1"),
    mgpux::option("apt").repeatable().metavar("PKG").help("a Debian package to install: --apt ffmpeg"),
    mgpux::option("requirements").kind(MGPUX_OPT_PATH).metavar("FILE").help("install a requirements file"),
    mgpux::option("base")
        .choices(kBases)
        .default_value("debian_slim")
        .metavar("debian_slim|cuda")
        .help("debian_slim, or cuda (NVIDIA's CUDA 12.9 devel image)"),
    mgpux::option("account").alias('a').repeatable().metavar("PROFILE").help(
        "publish to this profile (repeatable; default: the profile m-gpux would use)"),
};
const mgpux_option kNameOption[] = {
    mgpux::positional("name").required().metavar("NAME").help("the image's name"),
};

int build(const mgpux::Host& host, const mgpux::Args& args);
int list(const mgpux::Host& host, const mgpux::Args& args);
int show(const mgpux::Host& host, const mgpux::Args& args);
int remove(const mgpux::Host& host, const mgpux::Args& args);

const mgpux::Commands kCommands{
    mgpux::command("image", "Build and publish reusable images",
                   "Builds an image once and publishes it to your Modal workspaces, so that a workload\n"
                   "started with --image NAME begins from it instead of installing everything again.\n"
                   "\n"
                   "Example:\n"
                   "  m-gpux image build torch-base --pip torch -a work -a play\n"
                   "  m-gpux hub jupyter --gpu L4 --image torch-base"),
    mgpux::command("image build", "Build an image and publish it to each chosen profile", kBuildOptions, build)
        .help("Renders a script that builds the image and publishes it (Modal 1.5 image publishing)\n"
              "and runs it once per profile, each pinned to its profile. What was published is\n"
              "recorded in ~/.m-gpux/images.json (name, profiles, Python, summary, time).\n\n"
              "Example:\n"
              "  m-gpux image build torch-base --python 3.11 --pip torch --apt ffmpeg -a work")
        .flags(MGPUX_CMDF_JSON | MGPUX_CMDF_INTERACTIVE),
    mgpux::command("image list", "List the published images", list)
        .help("Example:\n  m-gpux image list --json")
        .flags(MGPUX_CMDF_JSON),
    mgpux::command("image show", "Show one published image", kNameOption, show)
        .help("Example:\n  m-gpux image show torch-base")
        .flags(MGPUX_CMDF_JSON),
    mgpux::command("image delete", "Forget a published image", kNameOption, remove)
        .help("Removes the image from images.json, so --image no longer offers it; the image itself\n"
              "stays in the Modal workspaces it was published to.\n\n"
              "Example:\n  m-gpux image delete torch-base")
        .flags(MGPUX_CMDF_JSON),
};

// ------------------------------------------------------------ records

Json record_json(const images::PublishedImage& image) {
    Json j = images::image_json(image);
    j.set("name", image.name);
    return j;
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
    return out;
}

int list(const mgpux::Host& host, const mgpux::Args& args) {
    const auto all = images::read_images(host);
    if (args.global_flag("json")) {
        Json arr = Json::array();
        for (const auto& image : all) arr.push(record_json(image));
        Json doc = Json::object();
        doc.set("images", arr);
        host.json(doc);
        return MGPUX_OK;
    }
    if (all.empty()) {
        host.info("No published image yet: `m-gpux image build NAME --pip ...` makes one\n");
        return MGPUX_OK;
    }
    std::vector<std::vector<Json>> rows;
    for (const auto& image : all)
        rows.push_back({Json(image.name), Json(joined(image.profiles)), Json(image.python), Json(image.summary),
                        Json(image.updated_at)});
    host.table({"Name", "Profiles", "Python", "Contents", "Updated"}, rows, "Published images");
    return MGPUX_OK;
}

const images::PublishedImage& known(const std::vector<images::PublishedImage>& all, const std::string& name) {
    images::validate_image_name(name, "NAME");
    const auto* image = images::find_image(all, name);
    if (!image) throw mgpux::usage_error("no published image called '" + name + "' (see `m-gpux image list`)");
    return *image;
}

int show(const mgpux::Host& host, const mgpux::Args& args) {
    const auto all = images::read_images(host);
    const auto& image = known(all, args.str("name"));
    if (args.global_flag("json")) {
        host.json(record_json(image));
        return MGPUX_OK;
    }
    host.table({"", ""},
               {{Json("name"), Json(image.name)},
                {Json("profiles"), Json(joined(image.profiles))},
                {Json("python"), Json(image.python)},
                {Json("contents"), Json(image.summary)},
                {Json("updated"), Json(image.updated_at)},
                {Json("use it"), Json("--image " + image.name)}},
               "Image " + image.name);
    return MGPUX_OK;
}

int remove(const mgpux::Host& host, const mgpux::Args& args) {
    const std::string name = args.str("name");
    known(images::read_images(host), name);
    mgpux::State(host).modify(images::kDocument, [&](const Json& current, Json& replacement) {
        images::parse_images(current);  // a broken file is refused, not rewritten
        replacement = Json::object();
        for (const auto& [key, value] : current.as_object())
            if (key != name) replacement.set(key, value);
        return true;
    });
    if (args.global_flag("json")) {
        Json doc = Json::object();
        doc.set("deleted", name);
        host.json(doc);
    } else {
        host.success("Forgot image " + name + " (it stays in the Modal workspaces it was published to)\n");
    }
    return MGPUX_OK;
}

// ------------------------------------------------------------ build

struct BuildSpec {
    std::string name;
    std::string python;
    bool cuda = false;
    std::vector<std::string> pip, apt;
    std::string requirements;  // absolute, "" = none
    std::vector<std::string> profiles;
};

void validate_apt_package(const std::string& pkg) {
    const bool ok = !pkg.empty() && std::isalnum(static_cast<unsigned char>(pkg.front())) &&
                    std::all_of(pkg.begin(), pkg.end(), [](char c) {
                        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '+' || c == '-' ||
                               c == ':' || c == '=';
                    });
    if (!ok) throw mgpux::usage_error("--apt: '" + pkg + "' is not a Debian package name");
}

std::vector<std::string> chosen_profiles(const mgpux::Host& host, const mgpux::Args& args) {
    const mgpux::Profiles profiles(host);
    std::vector<std::string> out = args.list("account");
    if (out.empty()) {
        const std::string current = profiles.resolve();
        if (current.empty()) throw mgpux::usage_error("no profile to publish to: pass -a PROFILE");
        return {current};
    }
    const Json listing = profiles.list();
    for (const auto& name : out) {
        bool found = false;
        if (const Json* ps = listing.find("profiles"); ps && ps->is_array())
            for (const auto& p : ps->as_array()) found = found || p.string_or("name") == name;
        if (!found) throw mgpux::usage_error("-a: no profile called '" + name + "' (see `m-gpux account list`)");
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

BuildSpec build_spec(const mgpux::Host& host, const mgpux::Args& args) {
    BuildSpec s;
    s.name = args.str("name");
    images::validate_image_name(s.name, "NAME");
    s.python = mgpux::Catalog(host).parse_python(args.str("python"));
    s.cuda = args.str("base") == "cuda";
    s.pip = args.list("pip");
    for (const auto& p : s.pip) launch::validate_pip_package(p);
    s.apt = args.list("apt");
    for (const auto& p : s.apt) validate_apt_package(p);
    if (args.has("requirements")) {
        const std::filesystem::path file = std::filesystem::absolute(args.str("requirements"));
        if (!std::filesystem::is_regular_file(file))
            throw mgpux::usage_error("--requirements: no file " + Json(file.string()).dump());
        s.requirements = file.string();
    }
    s.profiles = chosen_profiles(host, args);
    return s;
}

std::string summary(const BuildSpec& s) {
    std::string out = s.cuda ? "cuda" : "debian_slim";
    if (!s.pip.empty()) out += " + " + std::to_string(s.pip.size()) + " pip";
    if (!s.apt.empty()) out += " + " + std::to_string(s.apt.size()) + " apt";
    if (!s.requirements.empty()) out += " + requirements";
    return out;
}

Json build_context(const BuildSpec& s, const std::string& version) {
    Json ctx = Json::object();
    ctx.set("mgpux_version", version);
    ctx.set("template", kTemplate);
    ctx.set("app_name", kAppName);
    ctx.set("image_name", s.name);
    ctx.set("python_version", s.python);
    ctx.set("cuda", s.cuda);
    ctx.set("packages", Json::array_of(s.pip));
    ctx.set("apt_packages", Json::array_of(s.apt));
    ctx.set("requirements", s.requirements.empty() ? Json() : Json(s.requirements));
    return ctx;
}

bool published(const mgpux::RunResult& r, const std::string& name) {
    if (r.status != "completed") return false;
    for (const auto& doc : r.results)
        if (doc.is_object() && doc.string_or("published") == name) return true;
    return false;
}

std::string now_utc() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

void record(const mgpux::Host& host, const BuildSpec& s, const std::vector<std::string>& done) {
    mgpux::State(host).modify(images::kDocument, [&](const Json& current, Json& replacement) {
        const auto all = images::parse_images(current);
        images::PublishedImage image;
        image.name = s.name;
        if (const auto* old = images::find_image(all, s.name)) image.profiles = old->profiles;
        image.profiles.insert(image.profiles.end(), done.begin(), done.end());
        std::sort(image.profiles.begin(), image.profiles.end());
        image.profiles.erase(std::unique(image.profiles.begin(), image.profiles.end()), image.profiles.end());
        image.python = s.python;
        image.summary = summary(s);
        image.updated_at = now_utc();
        replacement = current.is_object() ? current : Json::object();
        replacement.set(s.name, images::image_json(image));
        return true;
    });
}

int build(const mgpux::Host& host, const mgpux::Args& args) {
    launch::require_modal_account(host, args);
    const BuildSpec s = build_spec(host, args);
    launch::require_confirmable_launch(args);
    const std::string script = host.render(kTemplate, build_context(s, host.raw()->host_version));
    const std::string default_profile = mgpux::Profiles(host).resolve();
    std::vector<std::string> done, failed;
    Json runs = Json::array();
    for (const auto& profile : s.profiles) {
        host.info("Publishing " + s.name + " to " + profile + "...\n");
        mgpux::RunRequest req;
        req.script = script;
        req.app_name = kAppName;
        req.mode = "run";
        req.description = "build and publish image " + s.name + " to " + profile;
        launch::set_profile_override(req, profile, default_profile);
        mgpux::RunResult r;
        try {
            r = mgpux::Runner(host).run(req);
        } catch (const mgpux::Error& e) {
            if (e.code() != MGPUX_E_FAILED) throw;    // a usage or config problem holds for every profile
            host.warn(e.what() + std::string("\n"));  // one profile failing leaves the others to try
            r.status = "failed";
        }
        if (r.status == "dry_run") continue;
        (published(r, s.name) ? done : failed).push_back(profile);
        Json run = r.to_json();
        run.set("profile", profile);
        runs.push(run);
    }
    if (!done.empty()) record(host, s, done);
    if (args.global_flag("json")) {
        Json doc = Json::object();
        doc.set("name", s.name);
        doc.set("published", Json::array_of(done));
        doc.set("failed", Json::array_of(failed));
        doc.set("runs", runs);
        host.json(doc);
    } else if (!done.empty()) {
        host.success("Published " + s.name + " to " + joined(done) + "; start from it with --image " + s.name + "\n");
    }
    if (!failed.empty())
        throw mgpux::Error(MGPUX_E_FAILED, "publishing " + s.name + " failed for " + joined(failed) +
                                               " (the output is above); run the same command again for those");
    return MGPUX_OK;
}

}  // namespace
}  // namespace image

MGPUX_CPP_PLUGIN_COMMANDS("image", "0.1.0", "Build and publish reusable images", "Compute Engine", image::kCommands)
