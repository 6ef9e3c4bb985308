// SPDX-License-Identifier: MIT
#include "services/console.hpp"

#include "util/json.hpp"
#include "util/paths.hpp"
#include "util/utf8.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <stdexcept>

namespace mgpux::services {

bool decide_color(const std::string& mode, bool is_tty) {
    if (mode == "always") return true;
    if (mode == "never") return false;
    if (util::env("NO_COLOR")) return false;
    const auto term = util::env("TERM");
    return is_tty && (!term || *term != "dumb");
}

namespace {

void append_escape(std::string& out, const char* format, unsigned value) {
    char buf[8];
    std::snprintf(buf, sizeof buf, format, value);
    out += buf;
}

}  // namespace

std::string visible_controls(std::string_view s, bool keep_layout) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        std::uint32_t cp = 0;
        const auto len = util::utf8_sequence(s, i, &cp);
        if (!len) {
            append_escape(out, "\\x%02x", static_cast<unsigned char>(s[i++]));
            continue;
        }
        const bool layout = cp == '\n' || cp == '\t';
        if ((layout && keep_layout) || (cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp <= 0x9f))) {
            out.append(s.substr(i, *len));
        } else if (cp == '\n' || cp == '\t' || cp == '\r') {
            out += cp == '\n' ? "\\n" : cp == '\t' ? "\\t" : "\\r";
        } else {
            append_escape(out, cp < 0x80 ? "\\x%02x" : "\\u%04x", cp);
        }
        i += *len;
    }
    return out;
}

namespace {

std::string cell_text(const boost::json::value& v) {
    if (v.is_string()) return std::string(v.get_string());
    if (v.is_null()) return "";
    if (v.is_bool()) return v.get_bool() ? "yes" : "no";
    return boost::json::serialize(v);
}

// Display width of UTF-8 text: counts code points (good enough for tables of
// names and numbers; wide CJK glyphs count as one).
std::size_t display_width(const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80) ++n;
    return n;
}

}  // namespace

Table table_from_json(const boost::json::value& v) {
    if (!v.is_object()) throw std::invalid_argument("a table must be a JSON object");
    const auto& o = v.get_object();
    Table t;
    if (auto* title = o.if_contains("title"); title && title->is_string()) t.title = std::string(title->get_string());
    const auto* cols = o.if_contains("columns");
    if (!cols || !cols->is_array()) throw std::invalid_argument("a table needs a \"columns\" array");
    for (const auto& c : cols->get_array()) t.columns.push_back(cell_text(c));
    if (const auto* rows = o.if_contains("rows")) {
        if (!rows->is_array()) throw std::invalid_argument("\"rows\" must be an array of arrays");
        for (const auto& r : rows->get_array()) {
            if (!r.is_array()) throw std::invalid_argument("\"rows\" must be an array of arrays");
            std::vector<std::string> row;
            for (const auto& c : r.get_array()) row.push_back(cell_text(c));
            row.resize(std::max(row.size(), t.columns.size()));
            t.rows.push_back(std::move(row));
        }
    }
    return t;
}

std::string format_table(const Table& raw) {
    // Cells are one line each, whatever they hold.
    Table t;
    t.title = visible_controls(raw.title, false);
    for (const auto& c : raw.columns) t.columns.push_back(visible_controls(c, false));
    for (const auto& r : raw.rows) {
        std::vector<std::string> row;
        for (const auto& c : r) row.push_back(visible_controls(c, false));
        t.rows.push_back(std::move(row));
    }
    std::vector<std::size_t> width(t.columns.size(), 0);
    for (std::size_t i = 0; i < t.columns.size(); ++i) width[i] = display_width(t.columns[i]);
    for (const auto& r : t.rows)
        for (std::size_t i = 0; i < width.size() && i < r.size(); ++i)
            width[i] = std::max(width[i], display_width(r[i]));
    std::string out;
    if (!t.title.empty()) out += t.title + "\n";
    auto line = [&](const std::vector<std::string>& cells) {
        std::string l;
        for (std::size_t i = 0; i < width.size(); ++i) {
            const std::string cell = i < cells.size() ? cells[i] : "";
            l += cell;
            if (i + 1 < width.size()) l.append(width[i] - display_width(cell) + 2, ' ');
        }
        while (!l.empty() && l.back() == ' ') l.pop_back();
        out += l + "\n";
    };
    line(t.columns);
    std::vector<std::string> rule;
    for (auto w : width) rule.push_back(std::string(w, '-'));
    line(rule);
    for (const auto& r : t.rows) line(r);
    return out;
}

struct Console::Spinner {
    std::mutex mu;
    std::condition_variable cv;
    std::string label;
    bool stop = false;
    std::thread thread;
};

Console::Console(ConsoleSettings settings, std::ostream& out, std::ostream& err)
    : settings_(settings), out_(out), err_(err) {}

Console::~Console() { stop_spinner(); }

std::string Console::styled(TextKind kind, const std::string& s, bool color) const {
    if (!color) return s;
    const char* code = nullptr;
    switch (kind) {
        case TextKind::Success: code = "32"; break;
        case TextKind::Warning: code = "33"; break;
        case TextKind::Error: code = "31"; break;
        case TextKind::Heading: code = "1"; break;
        case TextKind::Dim: code = "2"; break;
        default: return s;
    }
    // Colour each line so a trailing newline stays outside the escape.
    std::string out;
    std::size_t start = 0;
    while (start < s.size()) {
        std::size_t end = s.find('\n', start);
        std::string piece = s.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (!piece.empty()) out += std::string("\033[") + code + "m" + piece + "\033[0m";
        if (end == std::string::npos) break;
        out += '\n';
        start = end + 1;
    }
    return out;
}

void Console::text(TextKind kind, const std::string& raw) {
    if (kind == TextKind::Info && settings_.verbosity < 0) return;
    stop_spinner();
    const bool clears = std::string_view(raw).substr(0, kClearScreen.size()) == kClearScreen;
    const std::string s =
        clears ? std::string(kClearScreen) + visible_controls(std::string_view(raw).substr(kClearScreen.size()))
               : visible_controls(raw);
    const bool to_err =
        settings_.json || kind == TextKind::Info || kind == TextKind::Warning || kind == TextKind::Error;
    if (to_err) {
        err_ << styled(kind, s, settings_.color_stderr);
        err_.flush();
    } else {
        out_ << styled(kind, s, settings_.color_stdout);
        flush_out();
    }
}

void Console::table(const Table& t) { text(TextKind::Plain, format_table(t)); }

bool Console::json(const boost::json::value& v) {
    if (json_written_) return false;
    stop_spinner();
    json_written_ = true;
    out_ << util::pretty_json(v);
    flush_out();
    return true;
}

void Console::error(const std::string& message) {
    stop_spinner();
    err_ << styled(TextKind::Error, "m-gpux: error: ", settings_.color_stderr) << visible_controls(message) << "\n";
    err_.flush();
}

void Console::warning(const std::string& message) {
    stop_spinner();
    err_ << styled(TextKind::Warning, "m-gpux: warning: ", settings_.color_stderr) << visible_controls(message) << "\n";
    err_.flush();
}

void Console::progress(const char* message) {
    if (!message) {
        stop_spinner();
        return;
    }
    if (!settings_.stderr_is_tty) {
        if (settings_.verbosity >= 0) err_ << message << "...\n" << std::flush;
        return;
    }
    if (spinner_) {
        std::lock_guard<std::mutex> lock(spinner_->mu);
        spinner_->label = message;
        return;
    }
    spinner_ = std::make_unique<Spinner>();
    spinner_->label = message;
    spinner_->thread = std::thread([this] {
        static const char* frames[] = {"|", "/", "-", "\\"};
        std::unique_lock<std::mutex> lock(spinner_->mu);
        for (unsigned i = 0; !spinner_->stop; ++i) {
            err_ << "\r\033[K" << frames[i % 4] << " " << spinner_->label << std::flush;
            spinner_->cv.wait_for(lock, std::chrono::milliseconds(100));
        }
        err_ << "\r\033[K" << std::flush;
    });
}

void Console::stop_spinner() {
    if (!spinner_) return;
    {
        std::lock_guard<std::mutex> lock(spinner_->mu);
        spinner_->stop = true;
    }
    spinner_->cv.notify_all();
    spinner_->thread.join();
    spinner_.reset();
}

void Console::passthrough(int stream, std::string_view line) {
    stop_spinner();
    const bool to_out = stream == 1 && !settings_.json;
    std::ostream& os = to_out ? out_ : err_;
    os << line << '\n';
    if (to_out) flush_out();
    else os.flush();
}

namespace {
std::atomic<int> g_output_write_error{0};
}

void Console::flush_out() {
    out_.flush();
    if (out_.good()) return;
    // The first failure's reason: later writes fail without saying why.
    int none = 0;
    g_output_write_error.compare_exchange_strong(none, errno != 0 ? errno : EIO);
}

int output_write_error() { return g_output_write_error.load(); }

}  // namespace mgpux::services
