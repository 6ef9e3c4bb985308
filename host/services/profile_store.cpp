// SPDX-License-Identifier: MIT
#include "services/profile_store.hpp"

#include "services/service_error.hpp"
#include "util/atomic_file.hpp"
#include "util/file_lock.hpp"
#include "util/utf8.hpp"

// tsl::ordered_map keeps the tables in file order (std::unordered_map would not).
#include <tsl/ordered_map.h>
#include <toml.hpp>

#include <algorithm>
#include <cstdlib>
#include <cstdint>
#include <functional>
#include <memory>
#include <sstream>
#include <system_error>
#include <utility>

namespace mgpux::services {

namespace fs = std::filesystem;

namespace {

using Toml = toml::basic_value<toml::discard_comments, tsl::ordered_map, std::vector>;

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// ---------------------------------------------------------------------------
// Checks and TOML spelling shared by reading and editing.

bool has_control_char(std::string_view s) {
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7F) return true;
    }
    return false;
}

bool is_bare_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool is_bare_key(std::string_view s) {
    if (s.empty()) return false;
    for (const char c : s)
        if (!is_bare_char(c)) return false;
    return true;
}

// A TOML basic string: quotes, backslashes and control characters escaped.
std::string toml_string(std::string_view s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out = "\"";
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (ch) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\t': out += "\\t"; break;
            case '\n': out += "\\n"; break;
            case '\f': out += "\\f"; break;
            case '\r': out += "\\r"; break;
            default:
                if (c < 0x20 || c == 0x7F) {
                    out += "\\u00";
                    out += hex[c >> 4];
                    out += hex[c & 0xF];
                } else {
                    out += ch;
                }
        }
    }
    return out + "\"";
}

std::string toml_key(std::string_view name) { return is_bare_key(name) ? std::string(name) : toml_string(name); }

// ---------------------------------------------------------------------------
// Reading with toml11.

bool is_excerpt_line(std::string_view line) {
    size_t k = 0;
    while (k < line.size() && line[k] == ' ') ++k;
    const size_t digits = k;
    while (k < line.size() && line[k] >= '0' && line[k] <= '9') ++k;
    return k > digits && line.substr(k, 3) == " | ";
}

// toml11 quotes the offending source lines, and in this file those can hold
// token secrets: every character inside quotes there becomes '*' (one per
// character, so toml11's caret still points at the right column).
std::string redact_source_excerpts(std::string_view message) {
    std::string out;
    while (!message.empty()) {
        const size_t nl = message.find('\n');
        const std::string_view line = message.substr(0, nl);
        message.remove_prefix(nl == std::string_view::npos ? message.size() : nl + 1);
        std::string kept;
        if (!is_excerpt_line(line)) {
            kept = line;
        } else {
            char quote = 0;
            for (const char c : line) {
                if (quote && c != quote) {
                    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) kept += '*';
                    continue;
                }
                if (c == quote) quote = 0;
                else if (!quote && (c == '"' || c == '\'')) quote = c;
                kept += c;
            }
        }
        out += kept;
        if (nl != std::string_view::npos) out += '\n';
    }
    return out;
}

size_t line_of(std::string_view text, size_t offset) {
    size_t line = 1;
    for (size_t k = 0; k < offset && k < text.size(); ++k) line += text[k] == '\n';
    return line;
}

// toml11 recurses once per level of nesting (arrays, inline tables, the parts
// of a dotted key), so a file nested deep enough overflows the stack. This
// scan measures the nesting outside strings and comments, so that such a file
// is refused before toml11 sees it. It over-counts a little (every dot of a
// line's keys adds a level); a real profile file is never within reach of the
// limit.
constexpr size_t kMaxNesting = 64;

class NestingScan {
public:
    explicit NestingScan(std::string_view text) : s_(text) {}

    // The offset where the nesting first goes past kMaxNesting, or nullopt.
    std::optional<size_t> too_deep() {
        for (i_ = 0; i_ < s_.size(); ++i_) {
            if (step()) return i_;
        }
        return std::nullopt;
    }

private:
    size_t depth() const { return open_.size() + header_dots_ + key_dots_; }

    // Handles s_[i_]; true when the nesting just went too deep.
    bool step() {
        const char c = s_[i_];
        if (c == '\n') return new_line();
        if (c == ' ' || c == '\t' || c == '\r') return false;
        const bool first_on_line = blank_line_;
        blank_line_ = false;
        switch (c) {
            case '#': skip_to_line_end(); return false;
            case '"':
            case '\'': skip_string(c); return false;
            case '[': return open_bracket(first_on_line);
            case '{': return open('{', true);
            case ']':
            case '}': return close();
            case '=': expect_key_ = false; return false;
            case ',': expect_key_ = !open_.empty() && open_.back() == '{'; return false;
            case '.': return expect_key_ && ++key_dots_ && depth() > kMaxNesting;
            default: return false;
        }
    }

    bool new_line() {
        blank_line_ = true;
        if (open_.empty()) {
            expect_key_ = true;
            key_dots_ = 0;
        }
        return false;
    }

    bool open(char bracket, bool keys_follow) {
        open_.push_back(bracket);
        expect_key_ = keys_follow;
        return depth() > kMaxNesting;
    }

    // `[` first on a line outside any value opens a table header, whose
    // dotted key counts for the key lines below it.
    bool open_bracket(bool first_on_line) {
        if (!first_on_line || !open_.empty()) return open('[', false);
        in_header_ = true;
        header_dots_ = 0;
        key_dots_ = 0;
        return open('[', true);
    }

    bool close() {
        if (!open_.empty()) open_.pop_back();
        if (in_header_ && open_.empty()) {
            in_header_ = false;
            header_dots_ = key_dots_;
            key_dots_ = 0;
            expect_key_ = false;
        }
        return false;
    }

    void skip_to_line_end() {
        while (i_ + 1 < s_.size() && s_[i_ + 1] != '\n') ++i_;
    }

    // Leaves i_ on the closing quote (or where an unclosed string stops;
    // toml11 reports that one).
    void skip_string(char quote) {
        const bool escapes = quote == '"';
        const bool multi_line = s_.substr(i_, 3) == std::string(3, quote);
        i_ += multi_line ? 3 : 1;
        for (; i_ < s_.size(); ++i_) {
            if (escapes && s_[i_] == '\\') {
                ++i_;
            } else if (!multi_line && (s_[i_] == quote || s_[i_] == '\n')) {
                if (s_[i_] == '\n') --i_;  // the line end is the caller's
                return;
            } else if (multi_line && s_.substr(i_, 3) == std::string(3, quote)) {
                i_ += 2;
                return;
            }
        }
    }

    std::string_view s_;
    size_t i_ = 0;
    std::vector<char> open_;
    size_t header_dots_ = 0;
    size_t key_dots_ = 0;
    bool expect_key_ = true;
    bool blank_line_ = true;
    bool in_header_ = false;
};

// Parses `text` after the UTF-8 check; any problem is ServiceError(code)
// whose message starts with `what` (the file name, plus why we parse).
Toml parse_checked(const std::string& what, const fs::path& path, const std::string& text, int code) {
    if (const auto bad = util::invalid_utf8_offset(text))
        throw ServiceError(code, what + ": not valid UTF-8 at byte " + std::to_string(*bad));
    if (const auto deep = NestingScan(text).too_deep())
        throw ServiceError(code, what + ": nested more than " + std::to_string(kMaxNesting) +
                                     " levels deep (arrays, inline tables or dotted keys) at line " +
                                     std::to_string(line_of(text, *deep)) + "; fix the file by hand");
    Toml doc;
    try {
        std::istringstream in(text);
        doc = toml::parse<toml::discard_comments, tsl::ordered_map, std::vector>(in, path.string());
    } catch (const std::exception& e) {
        throw ServiceError(code, what + ": not valid TOML: " + redact_source_excerpts(e.what()));
    }
    // Modal accepts only tables at the top level: one per profile.
    for (const auto& [key, value] : doc.as_table())
        if (!value.is_table())
            throw ServiceError(code,
                               what + ": top-level key '" + key + "' is not a table (each profile must be a [table])");
    return doc;
}

struct LoadedFile {
    bool exists = false;
    std::string text;
    Toml doc;
};

LoadedFile load_file(const fs::path& path) {
    LoadedFile file;
    try {
        if (auto bytes = util::read_file_if_exists(path)) {
            file.exists = true;
            file.text = std::move(*bytes);
        }
    } catch (const std::system_error& e) {
        throw ServiceError(kExitConfig, path.string() + ": " + e.code().message());
    }
    file.doc = file.exists ? parse_checked(path.string(), path, file.text, kExitConfig) : Toml(Toml::table_type{});
    return file;
}

const Toml* table_key(const Toml& table, const std::string& key) {
    const auto& t = table.as_table();
    const auto it = t.find(key);
    return it == t.end() ? nullptr : &it->second;
}

bool is_active_table(const Toml& table) {
    const Toml* v = table_key(table, "active");
    return v && v->is_boolean() && v->as_boolean();
}

bool has_string(const Toml& table, const std::string& key) {
    const Toml* v = table_key(table, key);
    return v && v->is_string() && !v->as_string().str.empty();
}

bool string_equals(const Toml& table, const std::string& key, const std::string& expected) {
    const Toml* v = table_key(table, key);
    return v && v->is_string() && v->as_string().str == expected;
}

std::optional<std::string> first_active(const Toml& doc) {
    for (const auto& [name, table] : doc.as_table())
        if (is_active_table(table)) return name;
    return std::nullopt;
}

std::vector<std::string> profile_names(const Toml& doc) {
    std::vector<std::string> names;
    for (const auto& entry : doc.as_table()) names.push_back(entry.first);
    return names;
}

std::vector<ProfileInfo> profile_infos(const Toml& doc) {
    const auto active = first_active(doc);
    std::vector<ProfileInfo> out;
    for (const auto& [name, table] : doc.as_table()) {
        ProfileInfo info;
        info.name = name;
        info.active = active == name;
        info.has_token_id = has_string(table, "token_id");
        info.has_token_secret = has_string(table, "token_secret");
        if (const Toml* env = table_key(table, "environment"); env && env->is_string())
            info.environment = env->as_string().str;
        out.push_back(std::move(info));
    }
    return out;
}

// "" when `name` is the only active profile, else what is wrong.
std::string only_active_problem(const Toml& doc, const std::string& name) {
    int count = 0;
    bool named = false;
    for (const auto& [key, table] : doc.as_table())
        if (is_active_table(table)) ++count, named = named || key == name;
    if (count == 1 && named) return "";
    return "profile '" + name + "' would not be the only active one";
}

// ---------------------------------------------------------------------------
// The line model: the file as a list of items, each one logical line (a key
// whose value spans lines is one item) with its exact bytes.

enum class Kind { Blank, Comment, Header, KeyValue };

struct Item {
    Kind kind = Kind::Blank;
    std::string text;               // its bytes, line endings included
    std::vector<std::string> path;  // Header / KeyValue: the decoded dotted key
    bool array_header = false;      // [[...]]
    size_t value_begin = 0;         // KeyValue: the value's bytes within `text`
    size_t value_end = 0;
};

struct Document {
    std::vector<Item> items;
    std::string eol = "\n";  // the file's first line ending, used for new lines
};

// Thrown when a line is not one the scanner understands; cannot happen for
// text toml11 accepted, unless the two disagree.
struct ScanError {
    size_t offset;
};

class Scanner {
public:
    explicit Scanner(std::string_view text) : s_(text) {}

    std::vector<Item> scan() {
        std::vector<Item> items;
        if (s_.substr(0, kUtf8Bom.size()) == kUtf8Bom) i_ = kUtf8Bom.size();
        size_t start = 0;  // a BOM stays part of the first item
        while (i_ < s_.size()) {
            Item item = logical_line(start);
            item.text = std::string(s_.substr(start, i_ - start));
            items.push_back(std::move(item));
            start = i_;
        }
        return items;
    }

private:
    char peek(size_t k = 0) const { return i_ + k < s_.size() ? s_[i_ + k] : '\0'; }
    bool at_end() const { return i_ >= s_.size(); }
    bool at_eol() const { return at_end() || peek() == '\n' || (peek() == '\r' && peek(1) == '\n'); }
    [[noreturn]] void fail() const { throw ScanError{i_}; }

    void skip_ws() {
        while (peek() == ' ' || peek() == '\t') ++i_;
    }
    void to_line_end() {
        while (!at_end() && peek() != '\n') ++i_;
    }
    void past_line_end() {
        to_line_end();
        if (!at_end()) ++i_;
    }
    // After a header or value: only whitespace and a comment may follow.
    void finish_line() {
        skip_ws();
        if (peek() == '#') to_line_end();
        if (!at_eol()) fail();
        past_line_end();
    }

    Item logical_line(size_t start) {
        Item item;
        skip_ws();
        if (at_eol()) {
            past_line_end();
        } else if (peek() == '#') {
            item.kind = Kind::Comment;
            past_line_end();
        } else if (peek() == '[') {
            header(item);
        } else {
            key_value(item, start);
        }
        return item;
    }

    void header(Item& item) {
        item.kind = Kind::Header;
        ++i_;
        item.array_header = peek() == '[';
        if (item.array_header) ++i_;
        skip_ws();
        item.path = key_path();
        skip_ws();
        for (int closing = item.array_header ? 2 : 1; closing > 0; --closing) {
            if (peek() != ']') fail();
            ++i_;
        }
        finish_line();
    }

    void key_value(Item& item, size_t start) {
        item.kind = Kind::KeyValue;
        item.path = key_path();
        skip_ws();
        if (peek() != '=') fail();
        ++i_;
        skip_ws();
        item.value_begin = i_ - start;
        item.value_end = value() - start;
        past_line_end();
    }

    std::vector<std::string> key_path() {
        std::vector<std::string> path{simple_key()};
        for (;;) {
            const size_t save = i_;
            skip_ws();
            if (peek() != '.') {
                i_ = save;
                return path;
            }
            ++i_;
            skip_ws();
            path.push_back(simple_key());
        }
    }

    std::string simple_key() {
        if (peek() == '"') return basic_string();
        if (peek() == '\'') return literal_string();
        const size_t begin = i_;
        while (!at_end() && is_bare_char(peek())) ++i_;
        if (i_ == begin) fail();
        return std::string(s_.substr(begin, i_ - begin));
    }

    std::string literal_string() {
        ++i_;
        const size_t begin = i_;
        while (!at_end() && peek() != '\'' && peek() != '\n') ++i_;
        if (peek() != '\'') fail();
        return std::string(s_.substr(begin, i_++ - begin));
    }

    std::string basic_string() {
        ++i_;
        std::string out;
        while (!at_end() && peek() != '"' && peek() != '\n') {
            if (peek() == '\\') escape(out);
            else out += s_[i_++];
        }
        if (peek() != '"') fail();
        ++i_;
        return out;
    }

    void escape(std::string& out) {
        ++i_;
        const char c = peek();
        ++i_;
        switch (c) {
            case 'b': out += '\b'; return;
            case 't': out += '\t'; return;
            case 'n': out += '\n'; return;
            case 'f': out += '\f'; return;
            case 'r': out += '\r'; return;
            case '"': out += '"'; return;
            case '\\': out += '\\'; return;
            case 'u': util::append_utf8(out, hex_digits(4)); return;
            case 'U': util::append_utf8(out, hex_digits(8)); return;
            default: fail();
        }
    }

    uint32_t hex_digits(int n) {
        uint32_t cp = 0;
        for (int k = 0; k < n; ++k, ++i_) {
            const char c = peek();
            const int d = (c >= '0' && c <= '9')   ? c - '0'
                          : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                          : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                                   : -1;
            if (d < 0) fail();
            cp = cp * 16 + static_cast<uint32_t>(d);
        }
        return cp;
    }

    // Skips a value (which may span lines: arrays, multi-line strings) and
    // returns the offset just past its last significant byte.
    size_t value() {
        int depth = 0;
        const size_t begin = i_;
        size_t last = i_;
        while (!at_end()) {
            const char c = peek();
            if ((c == '\n' || c == '#') && depth == 0) break;
            if (c == '#') {
                to_line_end();  // a comment inside a multi-line array
                continue;
            }
            if (c == '"' || c == '\'') {
                skip_string(c);
                last = i_;
                continue;
            }
            if (c == '[' || c == '{') ++depth;
            if (c == ']' || c == '}') {
                if (depth == 0) fail();
                --depth;
            }
            ++i_;
            if (c != ' ' && c != '\t' && c != '\r' && c != '\n') last = i_;
        }
        if (depth != 0 || last == begin) fail();
        return last;
    }

    void skip_string(char quote) {
        const bool basic = quote == '"';
        if (peek(1) == quote && peek(2) == quote) {
            i_ += 3;
            while (!at_end()) {
                if (basic && peek() == '\\') {
                    i_ += 2;
                } else if (peek() == quote && peek(1) == quote && peek(2) == quote) {
                    i_ += 3;
                    // Up to two more quotes are content just before the delimiter.
                    for (int extra = 0; extra < 2 && peek() == quote; ++extra) ++i_;
                    return;
                } else {
                    ++i_;
                }
            }
            fail();
        }
        ++i_;
        while (!at_end() && peek() != quote && peek() != '\n') i_ += (basic && peek() == '\\') ? 2 : 1;
        if (peek() != quote) fail();
        ++i_;
    }

    std::string_view s_;
    size_t i_ = 0;
};

std::string first_eol(std::string_view text) {
    const auto nl = text.find('\n');
    return nl != std::string_view::npos && nl > 0 && text[nl - 1] == '\r' ? "\r\n" : "\n";
}

Document scan_document(const fs::path& path, const std::string& text) {
    try {
        return Document{Scanner(text).scan(), first_eol(text)};
    } catch (const ScanError& e) {
        throw ServiceError(kExitConfig, path.string() + ": cannot edit the file line by line (line " +
                                            std::to_string(line_of(text, e.offset)) +
                                            " is not understood); edit it by hand");
    }
}

std::string render(const Document& doc) {
    std::string out;
    for (const auto& item : doc.items) out += item.text;
    return out;
}

bool ends_with_eol(const std::string& text) { return !text.empty() && text.back() == '\n'; }

// ---------------------------------------------------------------------------
// Edits on the line model. A profile's "own" table is its `[name]` header;
// `[name.sub]` and `[[name.sub]]` sections belong to it as well.

bool is_own_header(const Item& item, const std::string& name) {
    return item.kind == Kind::Header && !item.array_header && item.path.size() == 1 && item.path[0] == name;
}

bool is_profile_header(const Item& item) {
    return item.kind == Kind::Header && !item.array_header && item.path.size() == 1;
}

bool belongs_to(const Item& item, const std::string& name) {
    return item.kind == Kind::Header && item.path.front() == name;
}

size_t section_end(const Document& doc, size_t header) {
    size_t k = header + 1;
    while (k < doc.items.size() && doc.items[k].kind != Kind::Header) ++k;
    return k;
}

std::optional<size_t> own_header(const Document& doc, const std::string& name) {
    for (size_t k = 0; k < doc.items.size(); ++k)
        if (is_own_header(doc.items[k], name)) return k;
    return std::nullopt;
}

std::optional<size_t> find_key(const Document& doc, size_t header, const std::string& key) {
    for (size_t k = header + 1; k < section_end(doc, header); ++k)
        if (doc.items[k].kind == Kind::KeyValue && doc.items[k].path == std::vector<std::string>{key}) return k;
    return std::nullopt;
}

// Where a new key line of the table goes: after its last key line, so it
// lands before the blank lines and comments that separate it from the next.
size_t insert_position(const Document& doc, size_t header) {
    size_t pos = header + 1;
    for (size_t k = header + 1; k < section_end(doc, header); ++k)
        if (doc.items[k].kind == Kind::KeyValue) pos = k + 1;
    return pos;
}

// Inserts `key = value` before item `pos`. Only the last line of a file can
// lack a line ending; when inserting after it, it gets one and the new last
// line goes without, so a missing final newline stays missing.
void insert_key(Document& doc, size_t pos, const std::string& key, const std::string& value) {
    Item item;
    item.kind = Kind::KeyValue;
    item.path = {key};
    item.text = toml_key(key) + " = ";
    item.value_begin = item.text.size();
    item.text += value;
    item.value_end = item.text.size();
    Item& before = doc.items[pos - 1];
    if (ends_with_eol(before.text)) {
        item.text += doc.eol;
    } else {
        before.text += doc.eol;
    }
    doc.items.insert(doc.items.begin() + static_cast<std::ptrdiff_t>(pos), std::move(item));
}

// Replaces only the value bytes: indentation, key spelling, spacing and a
// trailing comment stay as they were.
void set_value(Item& item, const std::string& value) {
    item.text = item.text.substr(0, item.value_begin) + value + item.text.substr(item.value_end);
    item.value_end = item.value_begin + value.size();
}

std::string value_text(const Item& item) {
    return item.text.substr(item.value_begin, item.value_end - item.value_begin);
}

// Appends `[name]` at the end: the last line gets a line ending if it lacks
// one, and a blank line separates the table unless the file already ends
// with one (or is empty).
size_t append_header(Document& doc, const std::string& name) {
    if (!doc.items.empty()) {
        Item& last = doc.items.back();
        if (!ends_with_eol(last.text)) last.text += doc.eol;
        if (last.kind != Kind::Blank) doc.items.push_back(Item{Kind::Blank, doc.eol, {}, false, 0, 0});
    }
    doc.items.push_back(Item{Kind::Header, "[" + toml_key(name) + "]" + doc.eol, {name}, false, 0, 0});
    return doc.items.size() - 1;
}

size_t own_or_new_header(Document& doc, const std::string& name) {
    if (const auto h = own_header(doc, name)) return *h;
    return append_header(doc, name);
}

void set_key(Document& doc, const std::string& name, const std::string& key, const std::string& value) {
    const size_t h = own_or_new_header(doc, name);
    if (const auto k = find_key(doc, h, key)) set_value(doc.items[*k], value);
    else insert_key(doc, insert_position(doc, h), key, value);
}

void erase_marked(Document& doc, const std::vector<bool>& drop) {
    std::vector<Item> kept;
    for (size_t k = 0; k < doc.items.size(); ++k)
        if (!drop[k]) kept.push_back(std::move(doc.items[k]));
    doc.items = std::move(kept);
}

// Drops every profile's `active` line except a `true` one of `name`, then
// gives `name` an `active = true` line if it has none left.
void make_only_active(Document& doc, const std::string& name) {
    std::vector<bool> drop(doc.items.size(), false);
    bool kept = false;
    for (size_t h = 0; h < doc.items.size(); ++h) {
        if (!is_profile_header(doc.items[h])) continue;
        for (size_t k = h + 1; k < section_end(doc, h); ++k) {
            const Item& item = doc.items[k];
            if (item.kind != Kind::KeyValue || item.path != std::vector<std::string>{"active"}) continue;
            if (doc.items[h].path[0] == name && value_text(item) == "true" && !kept) kept = true;
            else drop[k] = true;
        }
    }
    erase_marked(doc, drop);
    if (kept) return;
    const size_t h = own_or_new_header(doc, name);
    insert_key(doc, insert_position(doc, h), "active", "true");
}

// The first item of the comment lines directly above item `header` (no blank
// line between): such a block describes that table.
size_t comment_block_start(const Document& doc, size_t header, size_t floor) {
    size_t k = header;
    while (k > floor && doc.items[k - 1].kind == Kind::Comment) --k;
    return k;
}

// Removes every section of `name` with the comment block directly above its
// header, except a block that starts the file (that one describes the file).
// The comment block directly above the next header stays, as it describes
// that table; blank lines left dangling at the end of the file go too.
void remove_sections(Document& doc, const std::string& name) {
    std::vector<bool> drop(doc.items.size(), false);
    for (size_t h = 0; h < doc.items.size(); ++h) {
        if (!belongs_to(doc.items[h], name)) continue;
        const size_t end = section_end(doc, h);
        const size_t keep_from =
            end < doc.items.size() && !belongs_to(doc.items[end], name) ? comment_block_start(doc, end, h + 1) : end;
        const size_t above = comment_block_start(doc, h, 0);
        for (size_t k = above == 0 ? h : above; k < keep_from; ++k) drop[k] = true;
    }
    const bool removed_tail = !drop.empty() && drop.back();
    erase_marked(doc, drop);
    if (removed_tail)
        while (!doc.items.empty() && doc.items.back().kind == Kind::Blank) doc.items.pop_back();
}

// How a profile without a [name] header of its own is defined, for the
// message that refuses to edit it: "'a.token_id' (line 2)", "[a.sub] (line 4)".
std::string definition_of(const Document& doc, const std::string& name) {
    bool top_level = true;
    size_t line = 1;
    for (const Item& item : doc.items) {
        if (item.kind == Kind::Header) top_level = false;
        if (!item.path.empty() && item.path.front() == name && (item.kind == Kind::Header || top_level)) {
            std::string key;
            for (const auto& part : item.path) key += (key.empty() ? "" : ".") + part;
            const std::string shown = item.kind == Kind::KeyValue ? "'" + key + "'"
                                      : item.array_header         ? "[[" + key + "]]"
                                                                  : "[" + key + "]";
            return shown + " (line " + std::to_string(line) + ")";
        }
        line += static_cast<size_t>(std::count(item.text.begin(), item.text.end(), '\n'));
    }
    return "'" + name + "'";
}

// Edits find a profile by its [name] header; one written only as an inline
// table, dotted keys or [name.sub] tables is a problem of the file (exit 3).
void require_own_table(const fs::path& path, const Document& doc, const std::string& name) {
    if (own_header(doc, name)) return;
    throw ServiceError(kExitConfig, path.string() + ": profile '" + name + "' is written as " +
                                        definition_of(doc, name) + ", not as a [" + name +
                                        "] table, so m-gpux cannot edit it line by line; edit it by hand");
}

// ---------------------------------------------------------------------------
// Read-modify-write.

// Writes through a symlinked config (dotfile managers) instead of replacing the link.
fs::path write_target(const fs::path& path) {
    std::error_code ec;
    if (!fs::is_symlink(path, ec)) return path;
    const fs::path target = fs::canonical(path, ec);
    return ec ? path : target;
}

struct Edit {
    LoadedFile before;
    Document doc;
};

Edit open_edit(const fs::path& path) {
    Edit edit{load_file(path), {}};
    edit.doc = scan_document(path, edit.before.text);
    return edit;
}

// Re-parses the edited text and asks `problem` whether it says what was meant
// ("" when it does); only then replaces the file. Unchanged text is checked
// too (an edit that could not find its lines changes nothing) but not written.
void commit(const fs::path& path, const Edit& edit, const std::function<std::string(const Toml&)>& problem) {
    const std::string text = render(edit.doc);
    const std::string what = path.string() +
                             ": refusing to write (profiles are edited as [name] tables line by line; "
                             "one written as an inline table, with dotted keys or only as [name.sub] "
                             "tables must be edited by hand)";
    const Toml after = parse_checked(what, path, text, kExitFailed);
    if (const std::string why = problem(after); !why.empty()) throw ServiceError(kExitFailed, what + ": " + why);
    if (edit.before.exists && text == edit.before.text) return;
    try {
        util::write_file_atomic(write_target(path), text, 0600);
    } catch (const std::system_error& e) {
        throw ServiceError(kExitFailed, e.what());
    }
}

// The lock file lives beside the config, so its directory must exist first
// (created 0700 only when missing).
void ensure_parent_dir(const fs::path& path) {
    const fs::path dir = path.parent_path();
    if (dir.empty()) return;
    try {
        util::ensure_private_dir(dir);
    } catch (const std::system_error& e) {
        throw ServiceError(kExitFailed, e.what());
    }
}

std::unique_ptr<util::FileLock> lock_config(const fs::path& path) {
    ensure_parent_dir(path);
    try {
        return std::make_unique<util::FileLock>(path);
    } catch (const std::system_error& e) {
        throw ServiceError(kExitFailed, e.what());
    }
}

std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
    return out.empty() ? "none" : out;
}

ServiceError unknown_profile(const std::string& name, const Toml& doc) {
    return ServiceError(kExitUsage, "unknown profile '" + name + "' (known: " + join(profile_names(doc)) +
                                        "); see `m-gpux account list`");
}

void check_field(const char* what, const std::string& value) {
    if (value.empty()) throw ServiceError(kExitUsage, std::string(what) + " must not be empty");
    if (util::invalid_utf8_offset(value) || has_control_char(value))
        throw ServiceError(kExitUsage, std::string(what) + " contains control characters or invalid UTF-8");
}

// ---------------------------------------------------------------------------
// Pasted `modal token set` lines.

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// One pair of matching quotes around `v` removed. A quote left over (an
// unclosed or a stray one) would be stored as part of a token, so the paste
// is refused; the message never quotes the value (it may be the secret).
std::string strip_quotes(std::string_view v, std::string_view flag) {
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front())
        v = v.substr(1, v.size() - 2);
    if (v.find_first_of("\"'") != std::string_view::npos)
        throw ServiceError(kExitUsage, "the pasted `modal token set` line has a quote that is not closed in its " +
                                           std::string(flag) +
                                           " value; copy the whole line again, or give --token-id and "
                                           "--token-secret - instead");
    return std::string(v);
}

// The value after `flag` and one or more of whitespace/`=`; a value that is
// itself a flag (`--token-id --token-secret x`) does not count.
std::optional<std::string> flag_value(std::string_view s, std::string_view flag) {
    for (size_t pos = s.find(flag); pos != std::string_view::npos; pos = s.find(flag, pos + 1)) {
        size_t begin = pos + flag.size();
        const size_t after_flag = begin;
        while (begin < s.size() && (s[begin] == '=' || is_space(s[begin]))) ++begin;
        if (begin == after_flag || begin == s.size() || s.substr(begin, 2) == "--") continue;
        size_t end = begin;
        while (end < s.size() && !is_space(s[end])) ++end;
        std::string value = strip_quotes(s.substr(begin, end - begin), flag);
        if (!value.empty()) return value;
    }
    return std::nullopt;
}

}  // namespace

std::optional<TokenCommand> parse_token_command(std::string_view pasted) {
    auto id = flag_value(pasted, "--token-id");
    auto secret = flag_value(pasted, "--token-secret");
    if (!id || !secret) return std::nullopt;
    return TokenCommand{std::move(*id), std::move(*secret), flag_value(pasted, "--profile")};
}

std::optional<std::string> profile_name_problem(std::string_view name) {
    constexpr size_t kMaxNameLength = 64;
    const auto alnum = [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    };
    bool ok = !name.empty() && name.size() <= kMaxNameLength && alnum(name.front());
    for (const char c : name) ok = ok && (alnum(c) || c == '.' || c == '_' || c == '-');
    if (ok) return std::nullopt;
    return "invalid profile name '" + std::string(name) +
           "': a profile name is 1 to 64 letters, digits, '.', '_' and '-', starting with a letter or digit";
}

void require_valid_profile_name(std::string_view name) {
    if (auto problem = profile_name_problem(name)) throw ServiceError(kExitUsage, *problem);
}

ProfileStore::ProfileStore(fs::path config_path) : path_(std::move(config_path)) {}

std::vector<ProfileInfo> ProfileStore::list() const { return profile_infos(load_file(path_).doc); }

std::optional<std::string> ProfileStore::active() const { return first_active(load_file(path_).doc); }

bool ProfileStore::contains(const std::string& name) const { return load_file(path_).doc.contains(name); }

std::optional<std::string> named_profile(const std::optional<std::string>& plugin_override,
                                         const std::optional<std::string>& command_line) {
    if (plugin_override && !plugin_override->empty()) return plugin_override;
    if (command_line && !command_line->empty()) return command_line;
    // Read here rather than through util::env: this file also builds alone (the fuzz targets).
    const char* env = std::getenv("MODAL_PROFILE");
    if (env && *env) return std::string(env);
    return std::nullopt;
}

std::optional<std::string> ProfileStore::resolve(const std::optional<std::string>& requested) const {
    const Toml doc = load_file(path_).doc;
    if (!requested) return first_active(doc);
    if (!doc.contains(*requested)) throw unknown_profile(*requested, doc);
    return requested;
}

bool ProfileStore::upsert(const std::string& name, const std::string& token_id, const std::string& token_secret,
                          bool activate) {
    require_valid_profile_name(name);
    check_field("the token id", token_id);
    check_field("the token secret", token_secret);
    const auto lock = lock_config(path_);
    Edit edit = open_edit(path_);
    const bool created = !edit.before.doc.contains(name);
    if (!created) require_own_table(path_, edit.doc, name);
    const bool make_active = activate || edit.before.doc.as_table().empty();
    if (created) append_header(edit.doc, name);
    set_key(edit.doc, name, "token_id", toml_string(token_id));
    set_key(edit.doc, name, "token_secret", toml_string(token_secret));
    if (make_active) make_only_active(edit.doc, name);
    commit(path_, edit, [&](const Toml& after) -> std::string {
        const Toml* table = table_key(after, name);
        if (!table || !string_equals(*table, "token_id", token_id) ||
            !string_equals(*table, "token_secret", token_secret))
            return "profile '" + name + "' would not hold the new tokens";
        return make_active ? only_active_problem(after, name) : "";
    });
    return created;
}

std::optional<std::string> ProfileStore::remove(const std::string& name) {
    if (!contains(name)) throw unknown_profile(name, load_file(path_).doc);
    const auto lock = lock_config(path_);
    Edit edit = open_edit(path_);
    if (!edit.before.doc.contains(name)) throw unknown_profile(name, edit.before.doc);
    require_own_table(path_, edit.doc, name);
    remove_sections(edit.doc, name);
    std::optional<std::string> promoted;
    if (first_active(edit.before.doc) == name) {
        for (const auto& other : profile_names(edit.before.doc))
            if (other != name) {
                promoted = other;
                break;
            }
    }
    if (promoted) make_only_active(edit.doc, *promoted);
    commit(path_, edit, [&](const Toml& after) -> std::string {
        if (after.contains(name)) return "profile '" + name + "' would still be there";
        return promoted ? only_active_problem(after, *promoted) : "";
    });
    return promoted;
}

void ProfileStore::set_active(const std::string& name) {
    if (!contains(name)) throw unknown_profile(name, load_file(path_).doc);
    const auto lock = lock_config(path_);
    Edit edit = open_edit(path_);
    if (!edit.before.doc.contains(name)) throw unknown_profile(name, edit.before.doc);
    require_own_table(path_, edit.doc, name);
    make_only_active(edit.doc, name);
    commit(path_, edit, [&](const Toml& after) { return only_active_problem(after, name); });
}

}  // namespace mgpux::services
