// SPDX-License-Identifier: MIT
#include "launch_logic.hpp"

#include "sha1.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <set>
#include <system_error>

namespace fs = std::filesystem;

namespace mgpux::launch {
namespace {

bool is_ascii_alnum(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return "";
    const auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

bool class_matches(const char*& p, unsigned char c) {
    // p points just after '['; on return it points just after ']'.
    bool negate = false;
    if (*p == '!' || *p == '^') {
        negate = true;
        ++p;
    }
    bool hit = false;
    while (*p && *p != ']') {
        unsigned char lo = static_cast<unsigned char>(*p);
        if (p[1] == '-' && p[2] && p[2] != ']') {
            const unsigned char hi = static_cast<unsigned char>(p[2]);
            if (c >= lo && c <= hi) hit = true;
            p += 3;
        } else {
            if (c == lo) hit = true;
            ++p;
        }
    }
    if (*p == ']') ++p;
    return hit != negate;
}

bool glob(const char* p, const char* s) {
    while (*p) {
        if (p[0] == '*' && p[1] == '*') {
            p += 2;
            if (*p == '/') {  // zero or more whole directories
                ++p;
                for (const char* t = s;;) {
                    if (glob(p, t)) return true;
                    const char* slash = std::strchr(t, '/');
                    if (!slash) return false;
                    t = slash + 1;
                }
            }
            for (const char* t = s;; ++t) {  // anything, across segments
                if (glob(p, t)) return true;
                if (!*t) return false;
            }
        }
        if (*p == '*') {
            ++p;
            for (const char* t = s;; ++t) {
                if (glob(p, t)) return true;
                if (!*t || *t == '/') return false;
            }
        }
        if (*p == '?') {
            if (!*s || *s == '/') return false;
            ++p;
            ++s;
            continue;
        }
        if (*p == '[' && std::strchr(p + 1, ']')) {
            if (!*s) return false;
            ++p;
            if (!class_matches(p, static_cast<unsigned char>(*s))) return false;
            ++s;
            continue;
        }
        if (*p == '\\' && p[1]) ++p;
        if (*p != *s) return false;
        ++p;
        ++s;
    }
    return *s == '\0';
}

}  // namespace

// ---------------------------------------------------------------- compute

std::string cores_text(int cores) { return std::to_string(cores) + (cores == 1 ? " core" : " cores"); }

Compute compute_from_gpu(const Json& parsed) {
    Compute c;
    c.gpu = parsed.string_or("spec");
    c.gpu_name = parsed.string_or("name");
    c.gpu_count = static_cast<int>(parsed.int_or("count", 1));
    c.label = parsed.string_or("label");
    if (c.label.empty()) c.label = *c.gpu;
    return c;
}

Compute compute_from_cpu(const Json& parsed) {
    Compute c;
    c.cores = static_cast<int>(parsed.int_or("cores", 1));
    c.memory_mb = static_cast<int>(parsed.int_or("memory_mb", *c.cores * 512));
    c.label = parsed.string_or("label");
    if (c.label.empty()) c.label = "CPU (" + cores_text(*c.cores) + ", " + std::to_string(*c.memory_mb) + " MB)";
    return c;
}

// ---------------------------------------------------------------- menus

std::string hourly_price_text(double usd_per_hour) {
    char buf[48];
    // Cheap rates (small CPU sizes) would all round to $0.0x with two decimals.
    std::snprintf(buf, sizeof buf, usd_per_hour < 0.10 ? "~$%.3f/h" : "~$%.2f/h", usd_per_hour);
    return buf;
}

std::string cost_text(double usd_per_hour, double hours) {
    char h[32], total[32];
    if (std::fabs(hours - std::round(hours)) < 1e-9) std::snprintf(h, sizeof h, "%.0f h", hours);
    else std::snprintf(h, sizeof h, "%.2f h", hours);
    std::snprintf(total, sizeof total, "$%.2f", usd_per_hour * hours);
    const std::string price = hourly_price_text(usd_per_hour);
    return price + "; " + h + " × " + price + " ≈ " + total + " at most";
}

std::optional<double> sandbox_price_per_hour(const Compute& c, std::optional<double> gpu_price, const Json& rates) {
    if (c.is_gpu()) return gpu_price;
    const Json* core = rates.find("sandbox_cpu_core_hour");
    const Json* memory = rates.find("sandbox_memory_gib_hour");
    if (!c.cores || !core || !core->is_number() || !memory || !memory->is_number()) return std::nullopt;
    return *c.cores * core->as_float() + c.memory_mb.value_or(*c.cores * 512) / 1024.0 * memory->as_float();
}

namespace {

// ", ~$0.80/h" when the catalog entry has a price, else "".
std::string price_suffix(const Json& entry, double count = 1) {
    const Json* price = entry.find("price_per_hour");
    return price && price->is_number() ? ", " + hourly_price_text(price->as_float() * count) : "";
}

}  // namespace

MenuRows gpu_menu_rows(const Json& catalog) {
    MenuRows m;
    const Json* gpus = catalog.find("gpus");
    if (!gpus || !gpus->is_array()) return m;
    for (const auto& g : gpus->as_array()) {
        if (g.string_or("name") == catalog.string_or("default_gpu"))
            m.default_index = static_cast<int>(m.labels.size());
        m.labels.push_back(g.string_or("name"));
        m.descriptions.push_back(std::to_string(g.int_or("vram_gb")) + " GB - " + g.string_or("description") +
                                 price_suffix(g));
    }
    return m;
}

MenuRows gpu_count_rows(const Json& gpu) {
    MenuRows m;
    const long long most = std::max(1LL, gpu.int_or("max_count", 1));
    const Json* price = gpu.find("price_per_hour");
    for (long long n = 1; n <= most; ++n) {
        m.labels.push_back(std::to_string(n));
        m.descriptions.push_back(price && price->is_number()
                                     ? hourly_price_text(price->as_float() * static_cast<double>(n))
                                     : std::string());
    }
    return m;
}

MenuRows python_rows(const Json& catalog) {
    MenuRows m;
    const Json* versions = catalog.find("pythons");
    if (!versions || !versions->is_array()) return m;
    for (const auto& v : versions->as_array()) {
        if (!v.is_string()) continue;
        if (v.as_string() == catalog.string_or("default_python")) m.default_index = static_cast<int>(m.labels.size());
        m.labels.push_back(v.as_string());
    }
    return m;
}

const Json* catalog_gpu(const Json& catalog, const std::string& name) {
    const Json* gpus = catalog.find("gpus");
    if (!gpus || !gpus->is_array()) return nullptr;
    for (const auto& g : gpus->as_array())
        if (g.string_or("name") == name) return &g;
    return nullptr;
}

std::vector<std::string> split_commas(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto comma = text.find(',', start);
        const std::string item =
            trim(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (!item.empty()) out.push_back(item);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return out;
}

Json compute_context(const Compute& c) {
    Json ctx = Json::object();
    ctx.set("gpu", c.gpu ? Json(*c.gpu) : Json());
    if (c.gpu) {
        ctx.set("cpu", Json());
    } else {
        Json cpu = Json::object();
        cpu.set("cores", c.cores.value_or(1));
        cpu.set("memory_mb", c.memory_mb.value_or(512));
        ctx.set("cpu", cpu);
    }
    return ctx;
}

PresetFields compute_preset_fields(const Compute& c) {
    PresetFields f;
    if (c.gpu) {
        f.gpu = c.gpu_name;
        f.gpu_count = c.gpu_count < 1 ? 1 : c.gpu_count;
    } else {
        f.cpu = c.cores.value_or(1);
        f.memory_mb = c.memory_mb.value_or(512);
    }
    return f;
}

// ---------------------------------------------------------------- deps

void validate_pip_package(const std::string& pkg) {
    if (pkg.empty()) throw usage_error("--pip needs a package name, not an empty value");
    if (pkg[0] == '-')
        throw usage_error("--pip '" + pkg + "' looks like an option; pip options are not accepted, only packages");
    for (unsigned char c : pkg) {
        if (c < 0x20 || c == 0x7F || c == ' ' || c == '"' || c == '\'' || c == '`')
            throw usage_error("--pip value " + Json(pkg).dump() +
                              " holds whitespace, a quote or a control character; give one package per --pip");
    }
}

Deps resolve_deps(const DepsRequest& req, const fs::path& project_dir, const fs::path& cwd) {
    if (req.no_deps && (req.requirements || !req.pip.empty()))
        throw usage_error("--no-deps cannot be combined with --requirements or --pip");
    Deps d;
    for (const auto& p : req.pip) validate_pip_package(p);
    d.packages = req.pip;
    if (req.no_deps) return d;
    const fs::path project = fs::absolute(project_dir).lexically_normal();
    fs::path file;
    if (req.requirements) {
        if (req.requirements->empty()) throw usage_error("--requirements needs a file name");
        file = fs::path(*req.requirements);
        if (file.is_relative()) file = cwd / file;
        std::error_code ec;
        if (!fs::is_regular_file(file, ec)) throw usage_error("--requirements: no such file: " + *req.requirements);
    } else if (req.pip.empty() && req.auto_requirements) {
        std::error_code ec;
        if (!fs::is_regular_file(project / "requirements.txt", ec)) return d;
        file = project / "requirements.txt";
        d.auto_found = true;
    } else {
        return d;
    }
    file = fs::absolute(file).lexically_normal();
    d.requirements_abs = file.generic_string();
    // Presets keep a path relative to the project, so they work from another
    // checkout of it.
    const fs::path rel = file.lexically_relative(project);
    const bool inside = !rel.empty() && rel.native().rfind("..", 0) != 0;
    d.requirements_preset = inside ? rel.generic_string() : d.requirements_abs;
    return d;
}

std::vector<std::string> deps_summary(const Deps& d) {
    std::vector<std::string> out = d.packages;
    if (!d.requirements_abs.empty())
        out.push_back("requirements: " + d.requirements_abs + (d.auto_found ? " (found in the project)" : ""));
    return out;
}

// ---------------------------------------------------------------- excludes

const std::vector<std::string>& default_excludes(ExcludeDefaults which) {
    static const std::vector<std::string> workspace = {".venv",        "venv",        "__pycache__",   ".git",
                                                       "node_modules", ".mypy_cache", ".pytest_cache", "*.egg-info",
                                                       ".tox",         "dist",        "build"};
    static const std::vector<std::string> host = [] {
        std::vector<std::string> v = workspace;
        v.push_back(".env");
        v.push_back(".env.*");
        return v;
    }();
    return which == ExcludeDefaults::Host ? host : workspace;
}

const std::vector<std::string>& credential_excludes() {
    static const std::vector<std::string> v = {"**/.modal.toml", "**/.m-gpux", "**/.ssh", "**/.aws", "**/.netrc"};
    return v;
}

std::string normalise_pattern(const std::string& pattern) {
    std::string p = trim(pattern);
    std::string bang;
    if (!p.empty() && p[0] == '!') {
        bang = "!";
        p = trim(p.substr(1));
    }
    if (!p.empty() && p[0] == '#') return "";  // a comment line, as in .dockerignore
    while (p.rfind("./", 0) == 0) p.erase(0, 2);
    // "/build" is anchored at the upload root: only a pattern without any
    // "/" is meant for every depth.
    const bool anchored = !p.empty() && p[0] == '/';
    while (!p.empty() && p[0] == '/') p.erase(0, 1);
    while (!p.empty() && p.back() == '/') p.pop_back();
    if (p.empty() || p == ".") return "";
    if (!anchored && p.find('/') == std::string::npos) p = "**/" + p;
    return bang + p;
}

std::vector<std::string> resolve_excludes(const std::vector<std::string>& defaults,
                                          const std::vector<std::string>& extra, bool no_defaults) {
    std::vector<std::string> out;
    std::set<std::string> seen;
    auto add = [&](const std::string& raw) {
        const std::string p = normalise_pattern(raw);
        if (!p.empty() && seen.insert(p).second) out.push_back(p);
    };
    if (!no_defaults)
        for (const auto& p : defaults) add(p);
    for (const auto& p : extra) add(p);
    for (const auto& p : credential_excludes()) {
        // Last, even when the user listed it: the last match decides.
        out.erase(std::remove(out.begin(), out.end(), p), out.end());
        out.push_back(p);
    }
    return out;
}

bool pattern_matches(const std::string& pattern, const std::string& rel_path) {
    if (pattern.empty() || rel_path.empty()) return false;
    std::string candidate = rel_path;
    while (!candidate.empty()) {
        if (glob(pattern.c_str(), candidate.c_str())) return true;
        const auto slash = candidate.rfind('/');
        if (slash == std::string::npos) break;
        candidate.resize(slash);
    }
    return false;
}

bool is_excluded(const std::vector<std::string>& patterns, const std::string& rel_path) {
    bool excluded = false;
    for (const auto& p : patterns) {
        const bool negated = !p.empty() && p[0] == '!';
        if (pattern_matches(negated ? p.substr(1) : p, rel_path)) excluded = !negated;
    }
    return excluded;
}

UploadStats upload_stats(const fs::path& root, const std::vector<std::string>& patterns, uint64_t max_entries) {
    UploadStats s;
    const bool can_prune =
        std::none_of(patterns.begin(), patterns.end(), [](const std::string& p) { return !p.empty() && p[0] == '!'; });
    std::error_code ec;
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
    uint64_t seen = 0;
    for (; !ec && it != end; it.increment(ec)) {
        if (++seen > max_entries) {
            s.truncated = true;
            break;
        }
        const std::string rel = it->path().lexically_relative(root).generic_string();
        std::error_code sec;
        const bool is_dir = it->is_directory(sec) && !it->is_symlink(sec);
        if (is_excluded(patterns, rel)) {
            if (is_dir && can_prune) {
                it.disable_recursion_pending();
                ++s.excluded;
            } else if (!is_dir) {
                ++s.excluded;
            }
            continue;
        }
        if (is_dir) continue;
        if (it->is_regular_file(sec)) {
            ++s.files;
            const auto size = it->file_size(sec);
            if (!sec) s.bytes += size;
        }
    }
    return s;
}

std::string human_size(uint64_t bytes) {
    if (bytes < 1024) return std::to_string(bytes) + " B";
    const char* units[] = {"KB", "MB", "GB", "TB"};
    double v = static_cast<double>(bytes) / 1024;
    int u = 0;
    while (v >= 1024 && u < 3) {
        v /= 1024;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
    return buf;
}

std::string upload_summary(const std::string& root, const UploadStats& s) {
    std::string text =
        root + " (" + std::to_string(s.files) + (s.files == 1 ? " file, " : " files, ") + human_size(s.bytes);
    if (s.truncated) text += ", counting stopped early";
    return text + ")";
}

// ---------------------------------------------------------------- names

std::string slug(const std::string& text, std::size_t max_len) {
    std::string out;
    for (unsigned char c : text) {
        if (is_ascii_alnum(c)) {
            out += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        } else if (!out.empty() && out.back() != '-') {
            out += '-';
        }
    }
    if (out.size() > max_len) out.resize(max_len);
    while (!out.empty() && out.back() == '-') out.pop_back();
    return out;
}

std::string workspace_volume_name(const std::string& root) {
    std::string trimmed = root;
    while (!trimmed.empty() && (trimmed.back() == '/' || trimmed.back() == '\\')) trimmed.pop_back();
    // A Windows root ("C:\Users\me") splits on both separators, as the
    // original did on Windows; a POSIX path only on "/".
    const bool windows =
        trimmed.size() >= 2 && trimmed[1] == ':' && is_ascii_alnum(static_cast<unsigned char>(trimmed[0]));
    const auto cut = trimmed.find_last_of(windows ? "/\\" : "/");
    std::string base = cut == std::string::npos ? trimmed : trimmed.substr(cut + 1);
    // The original's slug keeps a trailing "-" after the 32-character cut.
    std::string s;
    for (unsigned char c : base) {
        if (is_ascii_alnum(c)) s += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        else if (!s.empty() && s.back() != '-') s += '-';
    }
    while (!s.empty() && s.back() == '-') s.pop_back();
    if (s.size() > 32) s.resize(32);
    if (s.empty()) s = "workspace";
    return "m-gpux-workspace-" + s + "-" + sha1_hex(root).substr(0, 10);
}

std::string absolute_dir(const fs::path& dir, const fs::path& cwd) {
    fs::path p = dir.is_absolute() ? dir : cwd / dir;
    std::string s = p.lexically_normal().generic_string();
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return s;
}

std::string random_hex(std::size_t bytes) {
    std::ifstream in("/dev/urandom", std::ios::binary);
    std::string raw(bytes, '\0');
    if (!in || !in.read(raw.data(), static_cast<std::streamsize>(bytes)))
        throw Error(MGPUX_E_FAILED, "cannot read /dev/urandom to generate a credential");
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : raw) {
        out += digits[c >> 4];
        out += digits[c & 0xF];
    }
    return out;
}

std::string default_preset_name(const std::string& action, const std::string& compute_label) {
    const std::string s = slug(action + "-" + compute_label, 64);
    return s.empty() ? "preset" : s;
}

std::string gated_model_message(const std::string& model) {
    return model +
           " is gated on Hugging Face: accept its licence there and pass --hf-token-env VAR naming a "
           "variable that holds your token";
}

void validate_preset_name(const std::string& name) {
    bool ok = !name.empty() && name.size() <= 64 && is_ascii_alnum(static_cast<unsigned char>(name[0]));
    for (unsigned char c : name)
        if (!(is_ascii_alnum(c) || c == '.' || c == '_' || c == '-')) ok = false;
    if (!ok)
        throw usage_error("--save-preset " + Json(name).dump() +
                          ": a preset name is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
}

// ---------------------------------------------------------------- session / request

SessionRecord session_metadata(const SessionInfo& s) {
    SessionRecord m;
    m.kind = s.kind;
    m.profile = s.profile;
    m.compute = s.compute;
    if (!s.workspace_volume.empty()) m.workspace_volume = s.workspace_volume;
    else m.set_null("workspace_volume");
    m.local_dir = s.local_dir;
    m.app_name = s.app_name;
    if (s.preset) m.preset = *s.preset;
    else m.set_null("preset");  // `sessions list` shows "none", not a missing member
    return m;
}

RunRequest run_request(const LaunchPlan& plan, const std::string& script) {
    RunRequest req;
    req.script = script;
    req.app_name = plan.app_name;
    req.mode = plan.mode;
    req.detach = plan.detach;
    req.background = plan.background;
    req.description = plan.description.empty() ? plan.app_name : plan.description;
    req.compute = plan.compute.label;
    if (plan.timeout_s) req.timeout_s = static_cast<double>(*plan.timeout_s);
    req.deps = deps_summary(plan.deps);
    if (!plan.upload_root.empty()) req.uploads.push_back(upload_summary(plan.upload_root, plan.upload));
    return req;
}

RunSecret runner_secret(const std::string& name, const Json& values) {
    RunSecret secret{name, {}};
    for (const auto& [key, value] : values.as_object()) secret.values[key] = value.as_string();
    return secret;
}

void add_session_credentials(RunRequest& req, const Json& values, const std::string& file_text) {
    for (const auto& [key, value] : values.as_object()) req.secret_env[key] = value.as_string();
    req.files = {{kCredentialsFile, file_text}};
}

void set_profile_override(RunRequest& req, const std::string& profile, const std::string& default_profile) {
    if (profile.empty() || profile == default_profile) req.profile.reset();
    else req.profile = profile;
}

PresetFields preset_fields(const PresetInput& p) {
    PresetFields f = compute_preset_fields(p.compute);
    f.action = p.action;
    if (!p.profile.empty()) f.profile = p.profile;
    if (!p.deps.requirements_preset.empty()) f.requirements = p.deps.requirements_preset;
    else f.pip_packages = p.deps.packages;
    if (!p.python_version.empty()) f.python_version = p.python_version;
    std::vector<std::string> excludes;
    const auto& creds = credential_excludes();
    for (const auto& e : p.excludes)
        if (std::find(creds.begin(), creds.end(), e) == creds.end()) excludes.push_back(e);
    f.exclude_patterns = excludes;
    if (!p.script.empty()) f.script = p.script;
    if (!p.image.empty()) f.extra.set("image", p.image);  // a member of our own, kept as it is
    return f;
}

std::string interpreter_from_shebang(const std::string& first_line) {
    if (first_line.rfind("#!", 0) != 0) return "";
    std::vector<std::string> w;
    std::istringstream in(first_line.substr(2));
    for (std::string word; in >> word;) w.push_back(word);
    if (w.empty()) return "";
    const bool via_env = w[0] == "/usr/bin/env" || w[0] == "/bin/env";
    if (!via_env) return w[0];
    for (std::size_t i = 1; i < w.size(); ++i)
        if (w[i].front() != '-' && w[i].find('=') == std::string::npos) return w[i];
    return "";
}

}  // namespace mgpux::launch
