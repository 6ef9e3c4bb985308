// SPDX-License-Identifier: MIT
#include "compose_file.hpp"

#include <mgpux/error.hpp>
#include <mgpux/status.h>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace fs = std::filesystem;

namespace compose {
namespace {

// ---------------------------------------------------------------- small text helpers

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

bool all_digits(const std::string& s) {
    return !s.empty() && s.size() <= 9 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "8000" -> 8000 when 1..65535.
int port_number(const std::string& s) {
    if (!all_digits(s)) throw std::runtime_error("\"" + s + "\" is not a port number");
    const int n = std::stoi(s);
    if (n < 1 || n > 65535) throw std::runtime_error(s + " is outside 1-65535");
    return n;
}

// ---------------------------------------------------------------- interpolation

// The end of the ${...} that starts at `open` (the '{'), nesting counted.
std::size_t closing_brace(const std::string& text, std::size_t open) {
    int depth = 0;
    for (std::size_t i = open; i < text.size(); ++i) {
        if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '$') {
            ++i;
        } else if (text[i] == '{') {
            ++depth;
        } else if (text[i] == '}' && --depth == 0) {
            return i;
        }
    }
    throw std::runtime_error("\"${\" without a closing \"}\" in \"" + text + "\"");
}

std::string braced(const std::string& body, const Vars& vars, int depth);

std::string interpolate_at(const std::string& text, const Vars& vars, int depth) {
    if (depth > 16) throw std::runtime_error("variable defaults nested too deeply");
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '$' || i + 1 == text.size()) {
            out += text[i];
        } else if (text[i + 1] == '$') {
            out += '$';
            ++i;
        } else if (text[i + 1] == '{') {
            const std::size_t end = closing_brace(text, i + 1);
            out += braced(text.substr(i + 2, end - i - 2), vars, depth);
            i = end;
        } else if (is_name_start(text[i + 1])) {
            std::size_t j = i + 1;
            while (j < text.size() && is_name_char(text[j])) ++j;
            const auto it = vars.find(text.substr(i + 1, j - i - 1));
            if (it != vars.end()) out += it->second;
            i = j - 1;
        } else {
            out += '$';
        }
    }
    return out;
}

std::string braced(const std::string& body, const Vars& vars, int depth) {
    std::size_t n = 0;
    while (n < body.size() && is_name_char(body[n])) ++n;
    const std::string name = body.substr(0, n);
    if (name.empty() || !is_name_start(name[0]))
        throw std::runtime_error("invalid variable reference \"${" + body + "}\"");
    const auto it = vars.find(name);
    const bool set = it != vars.end();
    const std::string value = set ? it->second : "";
    if (n == body.size()) return value;
    const bool colon = body[n] == ':';
    const std::size_t op_at = colon ? n + 1 : n;
    if (op_at >= body.size()) throw std::runtime_error("invalid variable reference \"${" + body + "}\"");
    const char op = body[op_at];
    const std::string rest = body.substr(op_at + 1);
    const bool present = colon ? set && !value.empty() : set;
    if (op == '-') return present ? value : interpolate_at(rest, vars, depth + 1);
    if (op == '+') return present ? interpolate_at(rest, vars, depth + 1) : "";
    if (op == '?') {
        if (present) return value;
        const std::string why = interpolate_at(rest, vars, depth + 1);
        throw std::runtime_error("required variable " + name + " is " + (set ? "empty" : "not set") +
                                 (why.empty() ? "" : ": " + why) + " (set it in the environment or .env)");
    }
    throw std::runtime_error("invalid variable reference \"${" + body + "}\"");
}

// ---------------------------------------------------------------- the resolved tree

// The document after aliases, merge keys and interpolation: what the service
// readers walk. Keeping it separate from YAML::Node avoids yaml-cpp's
// inserting operator[] and its shared alias nodes.
struct Entry;

struct Value {
    enum class Kind { Null, Scalar, Seq, Map };
    Kind kind = Kind::Null;
    std::string text;
    int line = 0;
    std::vector<Value> items;
    std::vector<Entry> entries;  // a mapping's keys in file order

    const Value* get(const std::string& key) const;
    bool is_scalar() const { return kind == Kind::Scalar; }
    bool is_seq() const { return kind == Kind::Seq; }
    bool is_map() const { return kind == Kind::Map; }
    bool is_null() const { return kind == Kind::Null; }
};

struct Entry {
    std::string first;
    Value second;
};

const Value* Value::get(const std::string& key) const {
    for (const auto& kv : entries)
        if (kv.first == key) return &kv.second;
    return nullptr;
}

class Reader {
public:
    Reader(std::string origin, const Vars& vars) : origin_(std::move(origin)), vars_(vars) {}

    [[noreturn]] void fail(int line, const std::string& key, const std::string& problem) const {
        std::string where = origin_;
        if (line > 0) where += ":" + std::to_string(line);
        throw mgpux::Error(MGPUX_E_FAILED, where + ": " + (key.empty() ? problem : key + ": " + problem));
    }

    Value convert(const YAML::Node& node, const std::string& key, int depth) {
        // Aliases share nodes, so a small file can expand enormously: cap the work.
        if (depth > 64) fail(line_of(node), key, "is nested too deeply");
        if (++budget_ > 200000) fail(line_of(node), key, "expands to too many values (aliases of aliases?)");
        Value v;
        v.line = line_of(node);
        switch (node.Type()) {
            case YAML::NodeType::Scalar:
                v.kind = Value::Kind::Scalar;
                try {
                    v.text = interpolate(node.Scalar(), vars_);
                } catch (const std::runtime_error& e) {
                    fail(v.line, key, e.what());
                }
                break;
            case YAML::NodeType::Sequence:
                v.kind = Value::Kind::Seq;
                for (std::size_t i = 0; i < node.size(); ++i)
                    v.items.push_back(convert(node[i], key + "[" + std::to_string(i) + "]", depth + 1));
                break;
            case YAML::NodeType::Map:
                v.kind = Value::Kind::Map;
                convert_map(node, key, depth, v);
                break;
            default: break;
        }
        return v;
    }

    const std::string& origin() const { return origin_; }

private:
    static int line_of(const YAML::Node& node) {
        const YAML::Mark m = node.Mark();
        return m.line >= 0 ? m.line + 1 : 0;
    }

    void convert_map(const YAML::Node& node, const std::string& key, int depth, Value& v) {
        std::vector<Value> merges;
        for (const auto& kv : node) {
            if (!kv.first.IsScalar()) fail(line_of(kv.first), key, "has a key that is not a plain name");
            const std::string k = kv.first.Scalar();
            const std::string child = key.empty() ? k : key + "." + k;
            if (k == "<<") {
                merges.push_back(convert(kv.second, child, depth + 1));
                continue;
            }
            if (v.get(k)) fail(line_of(kv.first), child, "is given twice");
            v.entries.push_back(Entry{k, convert(kv.second, child, depth + 1)});
        }
        // `<<: *a` or `<<: [*a, *b]`: the mapping's own keys win, then the
        // first merged mapping that has the key.
        for (const Value& m : merges) {
            const std::vector<Value> sources = m.is_seq() ? m.items : std::vector<Value>{m};
            for (const Value& s : sources) {
                if (!s.is_map()) fail(s.line, key + ".<<", "must merge a mapping (an anchor of one)");
                for (const auto& kv : s.entries)
                    if (!v.get(kv.first)) v.entries.push_back(kv);
            }
        }
    }

    std::string origin_;
    const Vars& vars_;
    long budget_ = 0;
};

// ---------------------------------------------------------------- field readers

class ServiceReader {
public:
    ServiceReader(const Reader& r, const std::string& dir, FileReader read_file, const Vars& vars)
        : r_(r), dir_(dir), read_file_(read_file), vars_(vars) {}

    Service read(const std::string& name, const Value& v) const {
        const std::string at = "services." + name;
        if (!v.is_map()) r_.fail(v.line, at, "must be a mapping of settings (image, build, ports, ...)");
        Service s;
        s.name = name;
        s.line = v.line;
        if (const Value* x = v.get("image")) s.image = scalar(*x, at + ".image");
        if (const Value* x = v.get("build")) s.build = build(*x, at + ".build");
        if (s.image.empty() && !s.build)
            r_.fail(v.line, at, "has neither `image` nor `build`: say which image runs this service");
        if (const Value* x = v.get("command")) s.command = argv(*x, at + ".command");
        if (const Value* x = v.get("entrypoint")) s.entrypoint = argv(*x, at + ".entrypoint");
        if (const Value* x = v.get("working_dir")) s.working_dir = scalar(*x, at + ".working_dir");
        if (const Value* x = v.get("env_file")) env_files(*x, at + ".env_file", s.environment);
        if (const Value* x = v.get("environment")) environment(*x, at + ".environment", s.environment);
        if (const Value* x = v.get("ports")) s.ports = ports(*x, at + ".ports");
        if (const Value* x = v.get("expose")) s.expose = expose(*x, at + ".expose");
        if (const Value* x = v.get("volumes")) s.volumes = volumes(*x, at + ".volumes");
        if (const Value* x = v.get("depends_on")) s.depends_on = depends_on(*x, at + ".depends_on");
        if (const Value* x = v.get("healthcheck")) s.healthcheck = healthcheck(*x, at + ".healthcheck");
        if (const Value* x = v.get("profiles")) s.profiles = strings(*x, at + ".profiles");
        if (const Value* x = v.get("networks")) s.networks = names(*x, at + ".networks");
        if (const Value* x = v.get("network_mode")) s.network_mode_host = scalar(*x, at + ".network_mode") == "host";
        if (const Value* x = v.get("runtime"); x && x->is_scalar() && x->text == "nvidia") s.gpus = -1;
        if (const Value* x = v.get("gpus"); x && !x->is_null()) s.gpus = gpu_count(*x, at + ".gpus");
        if (const Value* x = v.get("deploy")) deploy(*x, at + ".deploy", s);
        s.kind = s.build ? "app" : classify_image(s.image);
        return s;
    }

private:
    std::string scalar(const Value& v, const std::string& key) const {
        if (!v.is_scalar()) r_.fail(v.line, key, "must be a single value");
        return v.text;
    }

    std::vector<std::string> strings(const Value& v, const std::string& key) const {
        if (v.is_scalar()) return {v.text};
        if (!v.is_seq()) r_.fail(v.line, key, "must be a list");
        std::vector<std::string> out;
        for (std::size_t i = 0; i < v.items.size(); ++i)
            out.push_back(scalar(v.items[i], key + "[" + std::to_string(i) + "]"));
        return out;
    }

    std::vector<std::string> names(const Value& v, const std::string& key) const {
        if (v.is_map()) {
            std::vector<std::string> out;
            for (const auto& kv : v.entries) out.push_back(kv.first);
            return out;
        }
        return strings(v, key);
    }

    std::vector<std::string> argv(const Value& v, const std::string& key) const {
        if (v.is_null()) return {};
        if (v.is_scalar()) {
            try {
                return shell_split(v.text);
            } catch (const std::runtime_error& e) {
                r_.fail(v.line, key, e.what());
            }
        }
        return strings(v, key);
    }

    Build build(const Value& v, const std::string& key) const {
        Build b;
        if (v.is_scalar()) {
            b.context = v.text;
            return b;
        }
        if (!v.is_map()) r_.fail(v.line, key, "must be a path or a mapping (context, dockerfile, args, target)");
        if (const Value* x = v.get("context")) b.context = scalar(*x, key + ".context");
        if (const Value* x = v.get("dockerfile")) b.dockerfile = scalar(*x, key + ".dockerfile");
        if (const Value* x = v.get("target")) b.target = scalar(*x, key + ".target");
        if (const Value* x = v.get("args")) environment(*x, key + ".args", b.args);
        return b;
    }

    void environment(const Value& v, const std::string& key,
                     std::vector<std::pair<std::string, std::string>>& out) const {
        if (v.is_null()) return;
        if (v.is_map()) {
            for (const auto& kv : v.entries) {
                if (kv.second.is_null()) {
                    // `KEY:` with no value takes the variable from the environment, when set.
                    if (const auto it = vars_.find(kv.first); it != vars_.end()) set_env(out, kv.first, it->second);
                    continue;
                }
                // Numbers and booleans arrive as the text written (8000, true).
                set_env(out, kv.first, scalar(kv.second, key + "." + kv.first));
            }
            return;
        }
        if (!v.is_seq()) r_.fail(v.line, key, "must be a mapping or a list of KEY=VALUE");
        for (std::size_t i = 0; i < v.items.size(); ++i) {
            const std::string item = scalar(v.items[i], key + "[" + std::to_string(i) + "]");
            const auto eq = item.find('=');
            const std::string name = trim(item.substr(0, eq));
            if (name.empty()) r_.fail(v.items[i].line, key, "has an entry without a name: \"" + item + "\"");
            if (eq != std::string::npos) {
                set_env(out, name, item.substr(eq + 1));
            } else if (const auto it = vars_.find(name); it != vars_.end()) {
                set_env(out, name, it->second);
            }
        }
    }

    static void set_env(std::vector<std::pair<std::string, std::string>>& env, const std::string& k,
                        const std::string& value) {
        for (auto& kv : env)
            if (kv.first == k) {
                kv.second = value;
                return;
            }
        env.emplace_back(k, value);
    }

    void env_files(const Value& v, const std::string& key,
                   std::vector<std::pair<std::string, std::string>>& out) const {
        const std::vector<Value> entries = v.is_seq() ? v.items : std::vector<Value>{v};
        for (const Value& e : entries) {
            std::string path;
            bool required = true;
            if (e.is_map()) {
                const Value* p = e.get("path");
                if (!p) r_.fail(e.line, key, "an entry needs a `path`");
                path = scalar(*p, key + ".path");
                if (const Value* req = e.get("required")) required = lower(scalar(*req, key + ".required")) == "true";
            } else {
                path = scalar(e, key);
            }
            const fs::path full = fs::path(path).is_absolute() ? fs::path(path) : fs::path(dir_) / path;
            const std::optional<std::string> text = read_file_ ? read_file_(full.string()) : std::nullopt;
            if (!text) {
                if (required)
                    r_.fail(e.line, key, "cannot read " + full.string() + " (create it or mark it required: false)");
                continue;
            }
            for (const auto& kv : parse_env_lines(*text)) set_env(out, kv.first, kv.second);
        }
    }

    std::vector<Port> ports(const Value& v, const std::string& key) const {
        if (!v.is_seq()) r_.fail(v.line, key, "must be a list");
        std::vector<Port> out;
        for (std::size_t i = 0; i < v.items.size(); ++i) {
            const Value& e = v.items[i];
            const std::string k = key + "[" + std::to_string(i) + "]";
            try {
                if (e.is_map()) {
                    out.push_back(long_port(e, k));
                } else {
                    for (const Port& p : parse_port(scalar(e, k))) out.push_back(p);
                }
            } catch (const std::runtime_error& err) {
                r_.fail(e.line, k, std::string("invalid port: ") + err.what());
            }
        }
        return out;
    }

    Port long_port(const Value& e, const std::string& k) const {
        Port p;
        const Value* t = e.get("target");
        if (!t) r_.fail(e.line, k, "a port mapping needs a `target`");
        p.target = port_number(scalar(*t, k + ".target"));
        if (const Value* x = e.get("published")) p.published = scalar(*x, k + ".published");
        if (const Value* x = e.get("host_ip")) p.host_ip = scalar(*x, k + ".host_ip");
        if (const Value* x = e.get("protocol")) p.protocol = lower(scalar(*x, k + ".protocol"));
        if (const Value* x = e.get("mode")) p.mode = scalar(*x, k + ".mode");
        if (!p.published.empty()) {
            const auto dash = p.published.find('-');
            port_number(p.published.substr(0, dash));
            if (dash != std::string::npos) port_number(p.published.substr(dash + 1));
        }
        return p;
    }

    std::vector<int> expose(const Value& v, const std::string& key) const {
        std::vector<int> out;
        for (const std::string& item : strings(v, key)) {
            try {
                for (const Port& p : parse_port(item)) out.push_back(p.target);
            } catch (const std::runtime_error& err) {
                r_.fail(v.line, key, std::string("invalid port: ") + err.what());
            }
        }
        return out;
    }

    std::vector<Volume> volumes(const Value& v, const std::string& key) const {
        if (!v.is_seq()) r_.fail(v.line, key, "must be a list");
        std::vector<Volume> out;
        for (std::size_t i = 0; i < v.items.size(); ++i) {
            const Value& e = v.items[i];
            const std::string k = key + "[" + std::to_string(i) + "]";
            Volume vol;
            if (e.is_map()) {
                if (const Value* x = e.get("type")) vol.type = scalar(*x, k + ".type");
                if (const Value* x = e.get("source")) vol.source = scalar(*x, k + ".source");
                const Value* t = e.get("target");
                if (!t) r_.fail(e.line, k, "a volume needs a `target`");
                vol.target = scalar(*t, k + ".target");
                if (const Value* x = e.get("read_only")) vol.read_only = lower(scalar(*x, k + ".read_only")) == "true";
                if (vol.type.empty()) vol.type = "volume";
            } else {
                short_volume(scalar(e, k), vol);
            }
            out.push_back(vol);
        }
        return out;
    }

    static void short_volume(const std::string& text, Volume& vol) {
        std::vector<std::string> parts;
        std::stringstream ss(text);
        for (std::string part; std::getline(ss, part, ':');) parts.push_back(part);
        if (parts.size() == 1) {
            vol.type = "volume";  // anonymous
            vol.target = parts[0];
            return;
        }
        vol.source = parts[0];
        vol.target = parts[1];
        const bool path = !vol.source.empty() && (vol.source[0] == '.' || vol.source[0] == '/' || vol.source[0] == '~');
        vol.type = path ? "bind" : "volume";
        if (parts.size() > 2)
            for (const std::string& opt : std::vector<std::string>{parts[2]})
                vol.read_only = opt.find("ro") != std::string::npos && opt.find("rw") == std::string::npos;
    }

    std::vector<Dependency> depends_on(const Value& v, const std::string& key) const {
        std::vector<Dependency> out;
        if (v.is_map()) {
            for (const auto& kv : v.entries) {
                Dependency d{kv.first, "service_started"};
                if (kv.second.is_map())
                    if (const Value* c = kv.second.get("condition"))
                        d.condition = scalar(*c, key + "." + kv.first + ".condition");
                out.push_back(d);
            }
            return out;
        }
        for (const std::string& name : strings(v, key)) out.push_back({name, "service_started"});
        return out;
    }

    Healthcheck healthcheck(const Value& v, const std::string& key) const {
        if (!v.is_map()) r_.fail(v.line, key, "must be a mapping (test, interval, retries, ...)");
        Healthcheck h;
        if (const Value* d = v.get("disable"); d && lower(scalar(*d, key + ".disable")) == "true") return h;
        if (const Value* t = v.get("test")) {
            if (t->is_scalar()) {
                h.test = {"sh", "-c", t->text};
            } else {
                std::vector<std::string> items = strings(*t, key + ".test");
                if (!items.empty() && items[0] == "CMD-SHELL") {
                    std::string script;
                    for (std::size_t i = 1; i < items.size(); ++i) script += (i > 1 ? " " : "") + items[i];
                    h.test = {"sh", "-c", script};
                } else if (!items.empty() && items[0] == "CMD") {
                    h.test.assign(items.begin() + 1, items.end());
                } else if (!items.empty() && items[0] == "NONE") {
                    h.test.clear();
                } else {
                    h.test = items;
                }
            }
        }
        if (const Value* x = v.get("interval")) h.interval_s = duration(*x, key + ".interval");
        if (const Value* x = v.get("timeout")) h.timeout_s = duration(*x, key + ".timeout");
        if (const Value* x = v.get("start_period")) h.start_period_s = duration(*x, key + ".start_period");
        if (const Value* x = v.get("retries")) {
            const std::string s = scalar(*x, key + ".retries");
            if (!all_digits(s)) r_.fail(x->line, key + ".retries", "must be a whole number");
            h.retries = std::stoi(s);
        }
        return h;
    }

    // "1m30s", "500ms", "10s", "2h" -> seconds.
    double duration(const Value& v, const std::string& key) const {
        const std::string s = scalar(v, key);
        double total = 0;
        std::size_t i = 0;
        if (s.empty()) r_.fail(v.line, key, "must be a duration such as 10s or 1m30s");
        while (i < s.size()) {
            std::size_t j = i;
            while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
            if (j == i || j - i > 9) r_.fail(v.line, key, "must be a duration such as 10s or 1m30s, not \"" + s + "\"");
            const double n = std::stod(s.substr(i, j - i));
            std::size_t k = j;
            while (k < s.size() && std::isalpha(static_cast<unsigned char>(s[k]))) ++k;
            const std::string unit = s.substr(j, k - j);
            if (unit == "h") total += n * 3600;
            else if (unit == "m") total += n * 60;
            else if (unit == "s" || unit.empty()) total += n;
            else if (unit == "ms") total += n / 1000;
            else if (unit == "us") total += n / 1e6;
            else r_.fail(v.line, key, "must be a duration such as 10s or 1m30s, not \"" + s + "\"");
            i = k;
        }
        return total;
    }

    int gpu_count(const Value& v, const std::string& key) const {
        const std::string s = lower(scalar(v, key));
        if (s == "all") return -1;
        if (!all_digits(s)) r_.fail(v.line, key, "must be `all` or a number of GPUs");
        return std::stoi(s);
    }

    void deploy(const Value& v, const std::string& key, Service& s) const {
        if (!v.is_map()) return;
        if (const Value* r = v.get("replicas")) {
            const std::string n = scalar(*r, key + ".replicas");
            if (!all_digits(n)) r_.fail(r->line, key + ".replicas", "must be a whole number");
            s.replicas = std::stoi(n);
        }
        const Value* res = v.get("resources");
        const Value* rsv = res && res->is_map() ? res->get("reservations") : nullptr;
        const Value* devices = rsv && rsv->is_map() ? rsv->get("devices") : nullptr;
        if (!devices || !devices->is_seq()) return;
        for (const Value& d : devices->items) {
            if (!d.is_map()) continue;
            const Value* caps = d.get("capabilities");
            const Value* driver = d.get("driver");
            bool gpu = driver && driver->is_scalar() && driver->text == "nvidia";
            if (caps)
                for (const std::string& c : strings(*caps, key + ".resources.reservations.devices.capabilities"))
                    gpu = gpu || c == "gpu";
            if (!gpu) continue;
            int count = -1;
            if (const Value* c = d.get("count")) count = gpu_count(*c, key + ".resources.reservations.devices.count");
            if (const Value* ids = d.get("device_ids"))
                count = static_cast<int>(strings(*ids, key + ".device_ids").size());
            s.gpus = count;
        }
    }

    const Reader& r_;
    std::string dir_;
    FileReader read_file_;
    const Vars& vars_;
};

MgpuxSettings read_mgpux(const Reader& r, const Value& v) {
    MgpuxSettings m;
    if (!v.is_map())
        r.fail(v.line, "x-mgpux", "must be a mapping (base_image, gpu, python, pip_packages, apt_packages)");
    auto text = [&](const char* k) -> std::string {
        const Value* x = v.get(k);
        if (!x || x->is_null()) return "";
        if (!x->is_scalar()) r.fail(x->line, std::string("x-mgpux.") + k, "must be a single value");
        return x->text;
    };
    auto list = [&](const char* k) {
        std::vector<std::string> out;
        const Value* x = v.get(k);
        if (!x || x->is_null()) return out;
        if (x->is_scalar()) {
            std::stringstream ss(x->text);
            for (std::string w; ss >> w;) out.push_back(w);
            return out;
        }
        if (!x->is_seq()) r.fail(x->line, std::string("x-mgpux.") + k, "must be a list");
        for (const Value& i : x->items) {
            if (!i.is_scalar()) r.fail(i.line, std::string("x-mgpux.") + k, "must list package names");
            out.push_back(i.text);
        }
        return out;
    };
    m.base_image = text("base_image");
    m.gpu = text("gpu");
    m.python = text("python");
    m.pip_packages = list("pip_packages");
    m.apt_packages = list("apt_packages");
    return m;
}

void add_warnings(const Value& root, Project& p) {
    if (const Value* nets = root.get("networks"); nets && nets->is_map() && !nets->entries.empty())
        p.warnings.push_back("named networks are ignored: every service shares the container's network (127.0.0.1)");
    for (const Service& s : p.services) {
        if (s.replicas > 1)
            p.warnings.push_back(s.name + ": deploy.replicas " + std::to_string(s.replicas) +
                                 " runs as 1 copy in one container");
        if (s.network_mode_host) p.warnings.push_back(s.name + ": network_mode host is the container's own network");
        for (const Port& port : s.ports)
            if (port.mode == "host")
                p.warnings.push_back(s.name + ": host-mode port " + std::to_string(port.target) +
                                     " is reachable only through a tunnel (--expose)");
        for (const Volume& v : s.volumes) {
            if (v.type == "bind" && v.source.rfind("./", 0) != 0 && v.source != ".")
                p.warnings.push_back(s.name + ": bind mount " + v.source +
                                     " is outside the project folder and is not uploaded");
            if (v.type == "volume" && !v.source.empty())
                p.warnings.push_back(s.name + ": named volume " + v.source + " (" + v.target +
                                     ") lives in the container and is lost when the stack stops");
        }
    }
}

std::optional<std::string> read_whole_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

// ---------------------------------------------------------------- public

const Service* Project::find(const std::string& name) const {
    for (const Service& s : services)
        if (s.name == name) return &s;
    return nullptr;
}

std::string interpolate(const std::string& text, const Vars& vars) { return interpolate_at(text, vars, 0); }

std::vector<std::pair<std::string, std::string>> parse_env_lines(const std::string& text) {
    std::vector<std::pair<std::string, std::string>> out;
    std::stringstream ss(text);
    for (std::string line; std::getline(ss, line);) {
        line = trim(line);
        if (line.empty() || line[0] == '#') continue;
        if (line.rfind("export ", 0) == 0) line = trim(line.substr(7));
        const auto eq = line.find('=');
        if (eq == std::string::npos || eq == 0) continue;
        const std::string key = trim(line.substr(0, eq));
        std::string value = trim(line.substr(eq + 1));
        if (value.size() >= 2 && (value[0] == '"' || value[0] == '\'') && value.back() == value[0]) {
            const char q = value[0];
            value = value.substr(1, value.size() - 2);
            if (q == '"') {
                std::string unescaped;
                for (std::size_t i = 0; i < value.size(); ++i) {
                    if (value[i] == '\\' && i + 1 < value.size()) {
                        const char c = value[++i];
                        unescaped += c == 'n' ? '\n' : c == 't' ? '\t' : c;
                    } else {
                        unescaped += value[i];
                    }
                }
                value = unescaped;
            }
        } else if (const auto hash = value.find(" #"); hash != std::string::npos) {
            value = trim(value.substr(0, hash));  // an inline comment after an unquoted value
        }
        out.emplace_back(key, value);
    }
    return out;
}

std::vector<Port> parse_port(const std::string& raw) {
    std::string text = trim(raw);
    if (text.empty()) throw std::runtime_error("empty port");
    std::string protocol = "tcp";
    if (const auto slash = text.find('/'); slash != std::string::npos) {
        protocol = lower(text.substr(slash + 1));
        text = text.substr(0, slash);
        if (protocol != "tcp" && protocol != "udp" && protocol != "sctp")
            throw std::runtime_error("unknown protocol \"" + protocol + "\" (tcp, udp or sctp)");
    }
    std::string host_ip;
    if (!text.empty() && text[0] == '[') {  // [::1]:8080:80
        const auto close = text.find(']');
        if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
            throw std::runtime_error("\"" + raw + "\" has an unclosed IPv6 address");
        host_ip = text.substr(1, close - 1);
        text = text.substr(close + 2);
    }
    std::vector<std::string> parts;
    std::stringstream ss(text);
    for (std::string part; std::getline(ss, part, ':');) parts.push_back(part);
    if (!text.empty() && text.back() == ':') parts.push_back("");
    if (parts.empty() || parts.size() > 3) throw std::runtime_error("\"" + raw + "\" is not [HOST:]PUBLISHED:TARGET");
    if (parts.size() == 3) {
        if (!host_ip.empty()) throw std::runtime_error("\"" + raw + "\" names two host addresses");
        host_ip = parts[0];
        parts.erase(parts.begin());
    }
    const std::string target_text = parts.back();
    const std::string published = parts.size() == 2 ? parts[0] : "";
    auto range = [&](const std::string& s) {
        const auto dash = s.find('-');
        const int a = port_number(s.substr(0, dash));
        const int b = dash == std::string::npos ? a : port_number(s.substr(dash + 1));
        if (b < a) throw std::runtime_error("range \"" + s + "\" runs backwards");
        return std::make_pair(a, b);
    };
    const auto [lo, hi] = range(target_text);
    if (hi - lo > 1000) throw std::runtime_error("range \"" + target_text + "\" is wider than 1000 ports");
    int pub_lo = 0;
    bool pub_range = false;
    if (!published.empty()) {
        const auto [a, b] = range(published);
        pub_range = b != a;
        if (pub_range && b - a != hi - lo) throw std::runtime_error("\"" + raw + "\" maps ranges of different sizes");
        pub_lo = a;
    }
    std::vector<Port> out;
    for (int t = lo; t <= hi; ++t) {
        Port p;
        p.host_ip = host_ip;
        p.target = t;
        p.protocol = protocol;
        if (!published.empty()) p.published = std::to_string(pub_range || hi == lo ? pub_lo + (t - lo) : pub_lo);
        out.push_back(p);
    }
    return out;
}

std::vector<std::string> shell_split(const std::string& text) {
    std::vector<std::string> words;
    std::string word;
    bool in_word = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\'') {
            const auto end = text.find('\'', i + 1);
            if (end == std::string::npos) throw std::runtime_error("unclosed ' in \"" + text + "\"");
            word += text.substr(i + 1, end - i - 1);
            in_word = true;
            i = end;
        } else if (c == '"') {
            std::size_t j = i + 1;
            for (; j < text.size() && text[j] != '"'; ++j) {
                if (text[j] == '\\' && j + 1 < text.size() &&
                    std::string("\\\"$`").find(text[j + 1]) != std::string::npos)
                    ++j;
                word += text[j];
            }
            if (j >= text.size()) throw std::runtime_error("unclosed \" in \"" + text + "\"");
            in_word = true;
            i = j;
        } else if (c == '\\' && i + 1 < text.size()) {
            word += text[++i];
            in_word = true;
        } else if (c == ' ' || c == '\t' || c == '\n') {
            if (in_word) words.push_back(word);
            word.clear();
            in_word = false;
        } else {
            word += c;
            in_word = true;
        }
    }
    if (in_word) words.push_back(word);
    return words;
}

std::string classify_image(const std::string& image) {
    std::string ref = lower(trim(image));
    if (const auto at = ref.find('@'); at != std::string::npos) ref = ref.substr(0, at);
    const auto slash = ref.rfind('/');
    if (const auto colon = ref.rfind(':'); colon != std::string::npos && (slash == std::string::npos || colon > slash))
        ref = ref.substr(0, colon);
    // A first component with a dot or a port, or "localhost", is a registry.
    if (const auto first = ref.find('/'); first != std::string::npos) {
        const std::string head = ref.substr(0, first);
        if (head.find('.') != std::string::npos || head.find(':') != std::string::npos || head == "localhost")
            ref = ref.substr(first + 1);
    }
    if (ref.rfind("library/", 0) == 0) ref = ref.substr(8);
    static const std::vector<std::pair<const char*, std::vector<const char*>>> kKnown = {
        {"postgres", {"postgres", "bitnami/postgresql"}},
        {"mysql", {"mysql", "mariadb", "bitnami/mysql", "bitnami/mariadb"}},
        {"redis", {"redis", "bitnami/redis", "redis/redis-stack", "redis/redis-stack-server"}},
        {"memcached", {"memcached", "bitnami/memcached"}},
        {"rabbitmq", {"rabbitmq", "bitnami/rabbitmq"}},
        {"mongodb", {"mongo", "bitnami/mongodb", "mongodb/mongodb-community-server"}},
        {"nginx", {"nginx", "bitnami/nginx", "nginxinc/nginx-unprivileged"}},
        {"minio", {"minio/minio", "bitnami/minio"}},
    };
    for (const auto& [kind, repos] : kKnown)
        for (const char* repo : repos)
            if (ref == repo) return kind;
    return "app";
}

std::vector<std::string> start_order(const std::vector<Service>& services) {
    std::vector<std::string> order;
    std::set<std::string> placed;
    std::vector<const Service*> left;
    for (const Service& s : services) left.push_back(&s);
    while (!left.empty()) {
        bool progressed = false;
        for (auto it = left.begin(); it != left.end(); ++it) {
            const bool ready = std::all_of((*it)->depends_on.begin(), (*it)->depends_on.end(),
                                           [&](const Dependency& d) { return placed.count(d.service) > 0; });
            if (!ready) continue;
            order.push_back((*it)->name);
            placed.insert((*it)->name);
            left.erase(it);
            progressed = true;
            break;  // restart in file order: ties go to the earliest service
        }
        if (!progressed) {
            std::string names;
            for (const Service* s : left) names += (names.empty() ? "" : ", ") + s->name;
            throw std::runtime_error("depends_on has a cycle among: " + names);
        }
    }
    return order;
}

std::vector<std::string> with_dependencies(const Project& p, const std::vector<std::string>& wanted) {
    std::set<std::string> keep;
    std::vector<std::string> todo = wanted;
    while (!todo.empty()) {
        const std::string name = todo.back();
        todo.pop_back();
        if (!keep.insert(name).second) continue;
        if (const Service* s = p.find(name))
            for (const Dependency& d : s->depends_on) todo.push_back(d.service);
    }
    std::vector<std::string> out;
    for (const std::string& name : p.start_order)
        if (keep.count(name)) out.push_back(name);
    return out;
}

Project parse_project(const std::string& text, const std::string& origin, const std::string& dir, const Vars& vars,
                      FileReader read_file) {
    Reader reader(origin, vars);
    YAML::Node doc;
    try {
        doc = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        reader.fail(e.mark.line >= 0 ? e.mark.line + 1 : 0, "", "not valid YAML: " + e.msg);
    }
    if (!doc.IsMap()) reader.fail(0, "", "must be a mapping with a `services` key");
    const Value root = reader.convert(doc, "", 0);
    Project p;
    p.file = origin;
    p.dir = dir;
    const Value* services = root.get("services");
    if (!services) reader.fail(0, "services", "is missing: a compose file lists its services under `services:`");
    if (!services->is_map() || services->entries.empty())
        reader.fail(services->line, "services", "must be a mapping of service names to their settings");
    const ServiceReader sr(reader, dir, read_file, vars);
    for (const auto& [name, value] : services->entries) p.services.push_back(sr.read(name, value));
    for (const Service& s : p.services)
        for (const Dependency& d : s.depends_on)
            if (!p.find(d.service))
                reader.fail(s.line, "services." + s.name + ".depends_on",
                            "names \"" + d.service + "\", which is not a service here");
    try {
        p.start_order = start_order(p.services);
    } catch (const std::runtime_error& e) {
        reader.fail(0, "depends_on", e.what());
    }
    if (const Value* x = root.get("x-mgpux")) p.mgpux = read_mgpux(reader, *x);
    add_warnings(root, p);
    return p;
}

std::string find_compose_file(const std::string& explicit_path, const std::string& cwd) {
    std::error_code ec;
    if (!explicit_path.empty()) {
        fs::path p(explicit_path);
        if (p.is_relative()) p = fs::path(cwd) / p;
        if (!fs::is_regular_file(p, ec))
            throw mgpux::Error(MGPUX_E_FAILED, "--file " + explicit_path + ": no such file");
        return p.lexically_normal().string();
    }
    for (const char* name : {"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"}) {
        const fs::path p = fs::path(cwd) / name;
        if (fs::is_regular_file(p, ec)) return p.string();
    }
    throw mgpux::Error(MGPUX_E_FAILED, "no compose file in " + cwd +
                                           " (looked for compose.yaml, compose.yml, docker-compose.yaml, "
                                           "docker-compose.yml); name one with --file");
}

Vars process_environment() {
    Vars vars;
    for (char** e = environ; e && *e; ++e) {
        const std::string kv = *e;
        const auto eq = kv.find('=');
        if (eq != std::string::npos) vars[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    return vars;
}

Project load_project(const std::string& path, const Vars& process_env) {
    const std::optional<std::string> text = read_whole_file(path);
    if (!text) throw mgpux::Error(MGPUX_E_FAILED, "cannot read " + path);
    const std::string dir = fs::absolute(fs::path(path)).parent_path().string();
    Vars vars;
    if (const auto dotenv = read_whole_file((fs::path(dir) / ".env").string()))
        for (const auto& kv : parse_env_lines(*dotenv)) vars[kv.first] = kv.second;
    for (const auto& kv : process_env) vars[kv.first] = kv.second;  // the environment wins over .env
    return parse_project(*text, path, dir, vars, &read_whole_file);
}

bool looks_secret(const std::string& name) {
    const std::string n = lower(name);
    for (const char* word : {"password", "passwd", "secret", "token", "key", "credential", "auth", "private"})
        if (n.find(word) != std::string::npos) return true;
    return false;
}

}  // namespace compose
