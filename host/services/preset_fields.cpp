// SPDX-License-Identifier: MIT
#include "services/preset_fields.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <utility>

namespace mgpux::services {

namespace json = boost::json;

namespace {

constexpr int kMaxGpuCount = 64;
constexpr int kMaxCores = 64;
constexpr int kMbPerCore = 512;                // the original's rule for every CPU size
constexpr int kMaxMemoryMb = 4 * 1024 * 1024;  // 4 TiB: far above any Modal container
constexpr std::size_t kMaxShownValue = 120;    // a preset value quoted in a message

[[noreturn]] void refuse(const std::string& reason) { throw std::invalid_argument(reason); }

bool is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r'; }
bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }
bool is_alpha(char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'); }
bool is_ident_start(char ch) { return is_alpha(ch) || ch == '_'; }
bool is_ident_char(char ch) { return is_ident_start(ch) || is_digit(ch); }
bool is_quote(char ch) { return ch == '"' || ch == '\''; }
bool is_control(char ch) {
    const auto byte = static_cast<unsigned char>(ch);
    return byte < 0x20 || byte == 0x7f;
}

// A short, printable excerpt of the text a parser stopped at, for a reason.
std::string snippet(std::string_view rest) {
    std::string out;
    for (char ch : rest.substr(0, 16)) out += is_control(ch) ? '?' : ch;
    if (rest.size() > 16) out += "...";
    return out;
}

// --- checks shared by the fragment parsers and the structured members ---

void check_gpu_name(std::string_view name) {
    if (name.empty()) refuse("the GPU name is empty");
    for (char ch : name)
        if (!(is_alpha(ch) || is_digit(ch) || ch == '!' || ch == '+' || ch == '-'))
            refuse("a GPU name may contain only letters, digits, '!', '+' and '-'");
}

void check_range(long long value, int low, int high, const std::string& what) {
    if (value < low || value > high)
        refuse(what + " must be between " + std::to_string(low) + " and " + std::to_string(high));
}

// Packages become pip arguments: a leading '-' would be a pip option.
void check_package(std::string_view package) {
    if (package.empty()) refuse("a package name is empty");
    if (package.front() == '-') refuse("a package may not start with '-' (pip options are not accepted)");
    for (char ch : package)
        if (is_quote(ch) || is_control(ch)) refuse("a package may not contain quotes or control characters");
}

void check_requirements_path(std::string_view path) {
    if (path.empty()) refuse("the requirements path is empty");
    for (char ch : path)
        if (is_control(ch)) refuse("the requirements path may not contain control characters");
}

// A Python string literal that reads back as `text` through parse_string.
std::string py_quote(std::string_view text) {
    std::string out = "\"";
    for (char ch : text) {
        switch (ch) {
            case '\\': out += "\\\\"; break;
            case '"': out += "\\\""; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            default: out += ch;
        }
    }
    return out + "\"";
}

// A hand-written scanner over the tiny subset of Python the original writes.
class Cursor {
public:
    explicit Cursor(std::string_view text) : text_(text) {}

    bool at_end() const { return pos_ >= text_.size(); }
    char peek(std::size_t ahead = 0) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }
    std::string_view rest() const { return text_.substr(pos_); }
    void skip_space() {
        while (!at_end() && is_space(text_[pos_])) ++pos_;
    }
    bool eat(char ch) {
        if (at_end() || text_[pos_] != ch) return false;
        ++pos_;
        return true;
    }
    std::string_view identifier() {
        const std::size_t start = pos_;
        if (!at_end() && is_ident_start(text_[pos_]))
            while (!at_end() && is_ident_char(text_[pos_])) ++pos_;
        return text_.substr(start, pos_ - start);
    }
    std::string_view digits() {
        const std::size_t start = pos_;
        while (!at_end() && is_digit(text_[pos_])) ++pos_;
        return text_.substr(start, pos_ - start);
    }
    std::string string_literal();

private:
    char next() { return text_[pos_++]; }

    std::string_view text_;
    std::size_t pos_ = 0;
};

// At a quote: one single-line literal with the escapes the original's repr
// and f-strings produce. Anything fancier is refused rather than guessed.
std::string Cursor::string_literal() {
    const char quote = next();
    if (peek() == quote && peek(1) == quote) refuse("triple-quoted strings are not accepted");
    std::string out;
    for (;;) {
        if (at_end()) refuse("unterminated string literal");
        const char ch = next();
        if (ch == quote) return out;
        if (ch == '\n' || ch == '\r') refuse("unterminated string literal");
        if (ch != '\\') {
            out += ch;
            continue;
        }
        if (at_end()) refuse("unterminated string literal");
        switch (const char esc = next()) {
            case '\\':
            case '\'':
            case '"': out += esc; break;
            case 'n': out += '\n'; break;
            case 't': out += '\t'; break;
            default: refuse("unsupported escape \\" + snippet(std::string_view(&esc, 1)) + " in a string literal");
        }
    }
}

bool is_string_prefix(std::string_view word) {
    if (word.empty() || word.size() > 2) return false;
    for (char ch : word)
        if (std::string_view("fFrRbBuU").find(ch) == std::string_view::npos) return false;
    return true;
}

// A plain string literal where a value is expected; names, calls, f-strings
// and other expressions are refused with what was found.
std::string expect_string(Cursor& c) {
    if (is_quote(c.peek())) return c.string_literal();
    if (c.at_end()) refuse("expected a quoted string, found the end");
    if (is_ident_start(c.peek())) {
        const std::string word(c.identifier());
        if (is_string_prefix(word) && is_quote(c.peek()))
            refuse("string prefixes (f-strings, raw and byte strings) are not accepted: " + word + "\"...\"");
        refuse("expected a quoted string, found '" + word + "'");
    }
    refuse("expected a quoted string, found '" + snippet(c.rest()) + "'");
}

// A whole number; `4.0` is accepted as 4 because Python would accept it too.
int expect_whole_number(Cursor& c, const std::string& what) {
    const std::string_view whole = c.digits();
    if (whole.empty()) {
        if (is_ident_start(c.peek())) refuse(what + " must be a number, found '" + std::string(c.identifier()) + "'");
        refuse(what + " must be a number, found '" + snippet(c.rest()) + "'");
    }
    if (whole.size() > 9) refuse(what + " is too large");
    int value = 0;
    std::from_chars(whole.data(), whole.data() + whole.size(), value);
    if (c.eat('.')) {
        for (char ch : c.digits())
            if (ch != '0') refuse(what + " must be a whole number");
    }
    if (is_ident_char(c.peek()) || c.peek() == '.') refuse(what + " must be a plain whole number");
    return value;
}

PresetCompute gpu_compute(std::string_view value) {
    PresetCompute out;
    const std::size_t colon = value.find(':');
    const std::string_view name = value.substr(0, colon);
    check_gpu_name(name);
    out.gpu = std::string(name);
    if (colon != std::string_view::npos) {
        const std::string_view count = value.substr(colon + 1);
        int n = 0;
        const auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), n);
        if (count.empty() || ec != std::errc() || end != count.data() + count.size() || !is_digit(count.front()))
            refuse("the GPU count after ':' must be a whole number");
        check_range(n, 1, kMaxGpuCount, "the GPU count");
        out.gpu_count = n;
    }
    return out;
}

int effective_memory(const PresetCompute& c) { return c.memory_mb.value_or(kMbPerCore * c.cpu.value_or(0)); }

void validate_compute(const PresetCompute& c) {
    if (c.gpu && c.cpu) refuse("a preset has either a GPU or a CPU size, not both");
    if (c.gpu) {
        check_gpu_name(*c.gpu);
        check_range(c.gpu_count, 1, kMaxGpuCount, "the GPU count");
        return;
    }
    if (!c.cpu) refuse("a preset needs a GPU or a CPU size");
    check_range(*c.cpu, 1, kMaxCores, "cpu");
    check_range(effective_memory(c), 1, kMaxMemoryMb, "memory");
}

void validate_pip(const PipSection& p) {
    if (p.requirements && !p.packages.empty()) refuse("a preset has either packages or a requirements file, not both");
    if (p.requirements) check_requirements_path(*p.requirements);
    for (const auto& package : p.packages) check_package(package);
}

// The arguments of a call after its '(' up to and including ')': string
// literals separated by commas, with an optional trailing comma.
std::vector<std::string> string_arguments(Cursor& c) {
    std::vector<std::string> args;
    c.skip_space();
    for (;;) {
        if (c.eat(')')) return args;
        args.push_back(expect_string(c));
        c.skip_space();
        if (c.eat(',')) {
            c.skip_space();
            continue;
        }
        if (c.eat(')')) return args;
        if (c.at_end()) refuse("missing ')'");
        if (is_quote(c.peek())) refuse("implicit string concatenation is not accepted");
        refuse("unexpected '" + snippet(c.rest()) + "' in the argument list");
    }
}

}  // namespace

PresetCompute parse_compute_spec(std::string_view spec) {
    Cursor c(spec);
    std::optional<std::string> gpu;
    std::optional<int> cpu, memory;
    c.skip_space();
    if (c.at_end()) refuse("the compute spec is empty");
    for (;;) {
        const std::string key(c.identifier());
        if (key.empty()) refuse("expected gpu=, cpu= or memory=, found '" + snippet(c.rest()) + "'");
        c.skip_space();
        if (!c.eat('=')) refuse("expected '=' after '" + key + "'");
        c.skip_space();
        if (key == "gpu" && !gpu) gpu = expect_string(c);
        else if (key == "cpu" && !cpu) cpu = expect_whole_number(c, "cpu");
        else if (key == "memory" && !memory) memory = expect_whole_number(c, "memory");
        else if (key == "gpu" || key == "cpu" || key == "memory") refuse("'" + key + "' is given twice");
        else refuse("unknown keyword '" + key + "' (only gpu, cpu and memory are accepted)");
        c.skip_space();
        if (c.at_end()) break;
        if (!c.eat(',')) refuse("unexpected '" + snippet(c.rest()) + "' after the " + key + " value");
        c.skip_space();
        if (c.at_end()) break;  // a trailing comma
    }
    if (gpu && (cpu || memory)) refuse("gpu together with cpu or memory is not accepted");
    if (gpu) return gpu_compute(*gpu);
    if (!cpu) refuse("memory without cpu is not accepted");
    PresetCompute out;
    out.cpu = cpu;
    out.memory_mb = memory.value_or(kMbPerCore * *cpu);
    validate_compute(out);
    return out;
}

PipSection parse_pip_section(std::string_view section) {
    Cursor c(section);
    c.skip_space();
    if (c.at_end()) return {};
    if (!c.eat('.'))
        refuse("expected .pip_install(...) or .pip_install_from_requirements(...), found '" + snippet(c.rest()) + "'");
    c.skip_space();
    const std::string method(c.identifier());
    const bool from_requirements = method == "pip_install_from_requirements";
    if (method != "pip_install" && !from_requirements)
        refuse("only .pip_install(...) and .pip_install_from_requirements(...) are accepted, not ." +
               (method.empty() ? snippet(c.rest()) : method));
    c.skip_space();
    if (!c.eat('(')) refuse("expected '(' after ." + method);
    std::vector<std::string> args = string_arguments(c);
    c.skip_space();
    if (c.peek() == '.' && !c.at_end()) refuse("only one method call is accepted");
    if (!c.at_end()) refuse("unexpected '" + snippet(c.rest()) + "' after the call");
    PipSection out;
    if (from_requirements) {
        if (args.size() != 1) refuse(".pip_install_from_requirements takes exactly one path");
        out.requirements = std::move(args.front());
    } else {
        out.packages = std::move(args);
    }
    validate_pip(out);
    return out;
}

std::string render_compute_spec(const PresetCompute& c) {
    validate_compute(c);
    if (c.gpu) return "gpu=" + py_quote(render_compute_label(c));
    return "cpu=" + std::to_string(*c.cpu) + ", memory=" + std::to_string(effective_memory(c));
}

std::string render_compute_label(const PresetCompute& c) {
    validate_compute(c);
    if (c.gpu) return c.gpu_count > 1 ? *c.gpu + ":" + std::to_string(c.gpu_count) : *c.gpu;
    return "CPU (" + std::to_string(*c.cpu) + (*c.cpu == 1 ? " core, " : " cores, ") +
           std::to_string(effective_memory(c)) + " MB)";
}

std::string render_pip_section(const PipSection& p) {
    validate_pip(p);
    if (p.requirements) return ".pip_install_from_requirements(" + py_quote(*p.requirements) + ")";
    if (p.packages.empty()) return "";
    std::string out = ".pip_install(";
    for (std::size_t i = 0; i < p.packages.size(); ++i) out += (i ? ", " : "") + py_quote(p.packages[i]);
    return out + ")";
}

PresetCompute default_preset_compute() {
    PresetCompute c;
    c.cpu = 4;
    c.memory_mb = 4 * kMbPerCore;
    return c;
}

PresetFieldError::PresetFieldError(std::string field_, std::string value_, const std::string& reason_, bool stored_)
    : std::invalid_argument(field_ + " " + value_ + ": " + reason_),
      field(std::move(field_)),
      value(std::move(value_)),
      reason(reason_),
      stored(stored_) {}

// ---------------------------------------------------------------------------
// Presets as JSON objects.

namespace {

// The JSON text of a member for a message, cut short at a character boundary.
std::string shown(const json::value& v) {
    std::string text = json::serialize(v);
    if (text.size() <= kMaxShownValue) return text;
    std::size_t cut = kMaxShownValue;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    return text.substr(0, cut) + "...";
}

[[noreturn]] void bad_field(std::string_view field, const json::value& v, const std::string& reason, bool stored) {
    throw PresetFieldError(std::string(field), shown(v), reason, stored);
}

bool present(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v && !v->is_null();
}

bool has_any(const json::object& o, std::initializer_list<std::string_view> keys) {
    for (auto key : keys)
        if (o.contains(key)) return true;
    return false;
}

std::optional<std::string> opt_string(const json::object& o, std::string_view key, bool stored) {
    const json::value* v = o.if_contains(key);
    if (!v || v->is_null()) return std::nullopt;
    if (!v->is_string()) bad_field(key, *v, "must be a string or null", stored);
    return std::string(v->get_string());
}

std::optional<int> opt_int(const json::object& o, std::string_view key, int low, int high, bool stored) {
    const json::value* v = o.if_contains(key);
    if (!v || v->is_null()) return std::nullopt;
    long long n = 0;
    if (v->is_int64()) n = v->get_int64();
    else if (v->is_uint64()) n = static_cast<long long>(std::min<std::uint64_t>(v->get_uint64(), INT64_MAX));
    else if (v->is_double() && std::trunc(v->get_double()) == v->get_double() && std::fabs(v->get_double()) < 1e12)
        n = static_cast<long long>(v->get_double());
    else bad_field(key, *v, "must be a whole number or null", stored);
    if (n < low || n > high)
        bad_field(key, *v, "must be between " + std::to_string(low) + " and " + std::to_string(high), stored);
    return static_cast<int>(n);
}

// Runs a value check, turning its reason into a PresetFieldError.
template <class Check>
void checked(std::string_view field, const json::value& v, bool stored, Check check) {
    try {
        check();
    } catch (const PresetFieldError&) {
        throw;
    } catch (const std::invalid_argument& e) {
        bad_field(field, v, e.what(), stored);
    }
}

std::optional<std::string> opt_gpu(const json::object& o, bool stored) {
    auto gpu = opt_string(o, "gpu", stored);
    if (gpu) checked("gpu", o.at("gpu"), stored, [&] { check_gpu_name(*gpu); });
    return gpu;
}

std::vector<std::string> opt_packages(const json::object& o, bool stored) {
    const json::value* v = o.if_contains("pip_packages");
    if (!v || v->is_null()) return {};
    if (!v->is_array()) bad_field("pip_packages", *v, "must be an array of strings", stored);
    std::vector<std::string> out;
    for (const auto& item : v->get_array()) {
        if (!item.is_string()) bad_field("pip_packages", item, "must be an array of strings", stored);
        checked("pip_packages", item, stored, [&] { check_package(item.get_string()); });
        out.emplace_back(item.get_string());
    }
    return out;
}

std::optional<std::string> opt_requirements(const json::object& o, bool stored) {
    auto path = opt_string(o, "requirements", stored);
    if (path) checked("requirements", o.at("requirements"), stored, [&] { check_requirements_path(*path); });
    return path;
}

// A CPU size without memory gets the original's 512 MB per core; neither a
// GPU nor a CPU size means the original's default.
PresetCompute finish_compute(PresetCompute c) {
    if (c.gpu) {
        c.cpu.reset();
        c.memory_mb.reset();
        return c;
    }
    if (!c.cpu) return default_preset_compute();
    c.gpu_count = 1;
    if (!c.memory_mb) c.memory_mb = kMbPerCore * *c.cpu;
    return c;
}

PresetCompute compute_from_spec(const json::value* spec, bool stored) {
    if (!spec || spec->is_null()) return default_preset_compute();
    if (!spec->is_string()) bad_field("compute_spec", *spec, "must be a string", stored);
    const std::string_view text = spec->get_string();
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return default_preset_compute();
    try {
        return parse_compute_spec(text);
    } catch (const std::invalid_argument& e) {
        bad_field("compute_spec", *spec, e.what(), stored);
    }
}

// Our own writes carry `gpu` and `cpu`; the original's only the fragment.
PresetCompute compute_of(const json::object& o, bool stored) {
    if (!o.contains("gpu") && !o.contains("cpu")) return compute_from_spec(o.if_contains("compute_spec"), stored);
    PresetCompute c;
    c.gpu = opt_gpu(o, stored);
    c.gpu_count = opt_int(o, "gpu_count", 1, kMaxGpuCount, stored).value_or(1);
    c.cpu = opt_int(o, "cpu", 1, kMaxCores, stored);
    c.memory_mb = opt_int(o, "memory_mb", 1, kMaxMemoryMb, stored);
    if (c.gpu && c.cpu) bad_field("cpu", o.at("cpu"), "a preset has either gpu or cpu, not both", stored);
    return finish_compute(std::move(c));
}

PipSection pip_from_section(const json::value* section, bool stored) {
    if (!section || section->is_null()) return {};
    if (!section->is_string()) bad_field("pip_section", *section, "must be a string", stored);
    try {
        return parse_pip_section(section->get_string());
    } catch (const std::invalid_argument& e) {
        bad_field("pip_section", *section, e.what(), stored);
    }
}

PipSection pip_of(const json::object& o, bool stored) {
    if (!o.contains("pip_packages") && !o.contains("requirements"))
        return pip_from_section(o.if_contains("pip_section"), stored);
    PipSection p;
    p.packages = opt_packages(o, stored);
    p.requirements = opt_requirements(o, stored);
    if (p.requirements && !p.packages.empty())
        bad_field("requirements", o.at("requirements"), "a preset has either pip_packages or requirements, not both",
                  stored);
    return p;
}

// The compute of `update` over `existing`: a structured member in the update
// wins over its compute_spec, and naming one kind of compute drops the other.
PresetCompute merged_compute(const json::object* existing, const json::object& update) {
    const bool structured = has_any(update, {"gpu", "gpu_count", "cpu", "memory_mb"});
    if (!structured && !update.contains("compute_spec"))
        return existing ? compute_of(*existing, true) : default_preset_compute();
    if (!structured) return compute_from_spec(update.if_contains("compute_spec"), false);
    PresetCompute c = default_preset_compute();
    if (existing) {
        try {
            c = compute_of(*existing, true);
        } catch (const PresetFieldError&) {
            // A broken stored compute is what this update replaces.
        }
    }
    if (update.contains("gpu")) {
        c.gpu = opt_gpu(update, false);
        if (c.gpu && !update.contains("cpu")) {
            c.cpu.reset();
            c.memory_mb.reset();
        }
    }
    if (update.contains("cpu")) {
        c.cpu = opt_int(update, "cpu", 1, kMaxCores, false);
        if (c.cpu && !update.contains("gpu")) {
            c.gpu.reset();
            c.gpu_count = 1;
        }
        if (c.cpu && !update.contains("memory_mb")) c.memory_mb = kMbPerCore * *c.cpu;
    }
    if (update.contains("gpu_count")) c.gpu_count = opt_int(update, "gpu_count", 1, kMaxGpuCount, false).value_or(1);
    if (update.contains("memory_mb")) c.memory_mb = opt_int(update, "memory_mb", 1, kMaxMemoryMb, false);
    if (c.gpu && c.cpu) bad_field("cpu", update.at("cpu"), "a preset has either gpu or cpu, not both", false);
    return finish_compute(std::move(c));
}

PipSection merged_pip(const json::object* existing, const json::object& update) {
    const bool structured = has_any(update, {"pip_packages", "requirements"});
    if (!structured && !update.contains("pip_section")) return existing ? pip_of(*existing, true) : PipSection{};
    if (!structured) return pip_from_section(update.if_contains("pip_section"), false);
    PipSection p;
    if (existing) {
        try {
            p = pip_of(*existing, true);
        } catch (const PresetFieldError&) {
            // A broken stored pip section is what this update replaces.
        }
    }
    if (update.contains("pip_packages")) {
        p.packages = opt_packages(update, false);
        if (!p.packages.empty() && !update.contains("requirements")) p.requirements.reset();
    }
    if (update.contains("requirements")) {
        p.requirements = opt_requirements(update, false);
        if (p.requirements && !update.contains("pip_packages")) p.packages.clear();
    }
    if (p.requirements && !p.packages.empty())
        bad_field("requirements", update.at("requirements"),
                  "a preset has either pip_packages or requirements, not both", false);
    return p;
}

// Members other code reads with a fixed type; a wrong one is refused here
// rather than at launch time.
void check_other_members(const json::object& merged, const json::object& update) {
    const auto stored = [&](std::string_view key) { return !update.contains(key); };
    if (const json::value* v = merged.if_contains("exclude_patterns"); v && !v->is_null()) {
        if (!v->is_array())
            bad_field("exclude_patterns", *v, "must be an array of strings", stored("exclude_patterns"));
        for (const auto& item : v->get_array())
            if (!item.is_string())
                bad_field("exclude_patterns", item, "must be an array of strings", stored("exclude_patterns"));
    }
    if (auto version = opt_string(merged, "python_version", stored("python_version"))) {
        const std::size_t dot = version->find('.');
        const bool ok = dot != std::string::npos && dot > 0 && dot + 1 < version->size() &&
                        version->find_first_not_of("0123456789.") == std::string::npos &&
                        version->find('.', dot + 1) == std::string::npos;
        if (!ok)
            bad_field("python_version", merged.at("python_version"), "must look like 3.12", stored("python_version"));
    }
    opt_string(merged, "script", stored("script"));
    opt_string(merged, "profile", stored("profile"));
    if (auto action = opt_string(merged, "action", stored("action")); action && action->empty())
        bad_field("action", merged.at("action"), "must not be empty", stored("action"));
}

json::value opt_json(const std::optional<std::string>& s) { return s ? json::value(*s) : json::value(nullptr); }
json::value opt_json(const std::optional<int>& n) { return n ? json::value(*n) : json::value(nullptr); }

void put_structured(json::object& preset, const PresetCompute& c, const PipSection& p) {
    preset["gpu"] = opt_json(c.gpu);
    preset["gpu_count"] = c.gpu_count;
    preset["cpu"] = opt_json(c.cpu);
    preset["memory_mb"] = opt_json(c.memory_mb);
    json::array packages;
    for (const auto& package : p.packages) packages.emplace_back(package);
    preset["pip_packages"] = std::move(packages);
    preset["requirements"] = opt_json(p.requirements);
    // The original's fragments, regenerated so the Python tool runs our presets.
    preset["compute_spec"] = render_compute_spec(c);
    preset["compute_label"] = render_compute_label(c);
    preset["pip_section"] = render_pip_section(p);
    // The original's defaults for a preset run, made explicit.
    if (!present(preset, "action")) preset["action"] = "bash";
    if (!present(preset, "exclude_patterns")) preset["exclude_patterns"] = json::array();
    if (!preset.contains("python_version")) preset["python_version"] = nullptr;
    if (!preset.contains("script")) preset["script"] = nullptr;
}

}  // namespace

json::object merge_preset(const json::object* existing, const json::object& update) {
    json::object merged = existing ? *existing : json::object();
    for (const auto& member : update) merged[member.key()] = member.value();
    const PresetCompute compute = merged_compute(existing, update);
    const PipSection pip = merged_pip(existing, update);
    check_other_members(merged, update);
    put_structured(merged, compute, pip);
    return merged;
}

json::object normalise_preset(const json::object& stored) { return merge_preset(&stored, json::object()); }

}  // namespace mgpux::services
