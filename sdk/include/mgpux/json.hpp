// SPDX-License-Identifier: MIT
// mgpux/json.hpp — a header-only JSON value with a strict RFC 8259 reader and a writer.
//
// C++17 and the standard library only: the plugins use it through plugin.hpp, and the native
// proxy compiles it inside container images that have nothing but g++ and header-only Boost.
//
// What the reader accepts is exactly RFC 8259, with these decisions:
//   * Integers (no fraction, no exponent) are kept exact as 64-bit signed numbers; one outside
//     [-2^63, 2^63-1] is an error rather than a silently clamped or rounded value. Any number
//     with a fraction or exponent is a double; one too large for a double is an error, one too
//     small becomes zero.
//   * Strings must be valid UTF-8 and come out as UTF-8. A \u escape of a surrogate must be a
//     high surrogate followed at once by an escaped low one; anything else is an error.
//   * Containers nest at most kMaxDepth (512) deep, so no input can exhaust the stack.
//   * Duplicate object keys: the last value wins (as Python and Boost.JSON read them), kept at
//     the position where the key first appeared.
//   * Every error is a mgpux::JsonError whose message and offset() give the byte it was found at.
//
// The writer escapes '"', '\\' and every control character, passes other UTF-8 through and
// replaces bytes that are not UTF-8 with U+FFFD, so what it writes is always valid JSON. A double
// is written in the shortest form that reads back as the same double, always with a '.' or an
// exponent so it reads back as a double; NaN and infinities, which JSON cannot spell, become null.
#ifndef MGPUX_JSON_HPP
#define MGPUX_JSON_HPP

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace mgpux {

// A malformed document (offset() is the byte where it went wrong) or a value of the wrong kind
// (offset() is npos).
class JsonError : public std::runtime_error {
public:
    JsonError(const std::string& message, std::size_t offset = npos) : std::runtime_error(message), offset_(offset) {}
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);
    std::size_t offset() const noexcept { return offset_; }

private:
    std::size_t offset_;
};

class Json {
public:
    enum class Kind { Null, Bool, Int, Float, String, Array, Object };
    using Array = std::vector<Json>;
    using Object = std::vector<std::pair<std::string, Json>>;  // keeps insertion order
    static constexpr int kMaxDepth = 512;

    Json() = default;
    Json(std::nullptr_t) {}
    Json(bool b) : kind_(Kind::Bool), int_(b ? 1 : 0) {}
    Json(int v) : kind_(Kind::Int), int_(v) {}
    Json(long v) : kind_(Kind::Int), int_(v) {}
    Json(long long v) : kind_(Kind::Int), int_(v) {}
    Json(double v) : kind_(Kind::Float), float_(v) {}
    Json(const char* s) : kind_(Kind::String), str_(s ? s : "") {}
    Json(std::string s) : kind_(Kind::String), str_(std::move(s)) {}
    Json(Array a) : kind_(Kind::Array), arr_(std::make_shared<Array>(std::move(a))) {}
    Json(Object o) : kind_(Kind::Object), obj_(std::make_shared<Object>(std::move(o))) {}

    static Json array() { return Json(Array{}); }
    // An array of the strings `items`.
    static Json array_of(const std::vector<std::string>& items) {
        Json a = array();
        for (const auto& item : items) a.push(item);
        return a;
    }
    static Json object() { return Json(Object{}); }

    Kind kind() const { return kind_; }
    bool is_null() const { return kind_ == Kind::Null; }
    bool is_bool() const { return kind_ == Kind::Bool; }
    bool is_int() const { return kind_ == Kind::Int; }
    bool is_float() const { return kind_ == Kind::Float; }
    bool is_number() const { return kind_ == Kind::Int || kind_ == Kind::Float; }
    bool is_string() const { return kind_ == Kind::String; }
    bool is_array() const { return kind_ == Kind::Array; }
    bool is_object() const { return kind_ == Kind::Object; }

    bool as_bool() const {
        expect(Kind::Bool, "a boolean");
        return int_ != 0;
    }
    // A whole number; a double is truncated toward zero and clamped to the 64-bit range.
    long long as_int() const {
        if (kind_ == Kind::Float) return clamp_to_int(float_);
        expect(Kind::Int, "a number");
        return int_;
    }
    double as_float() const {
        if (kind_ == Kind::Int) return static_cast<double>(int_);
        expect(Kind::Float, "a number");
        return float_;
    }
    const std::string& as_string() const {
        expect(Kind::String, "a string");
        return str_;
    }
    const Array& as_array() const {
        expect(Kind::Array, "an array");
        return *arr_;
    }
    const Object& as_object() const {
        expect(Kind::Object, "an object");
        return *obj_;
    }

    // Object member or nullptr.
    const Json* find(std::string_view key) const {
        if (kind_ != Kind::Object) return nullptr;
        for (const auto& kv : *obj_)
            if (kv.first == key) return &kv.second;
        return nullptr;
    }
    // The string member `key`, or `fallback` when it is missing or not a string.
    std::string string_or(std::string_view key, const std::string& fallback = std::string()) const {
        const Json* v = find(key);
        return v && v->is_string() ? v->as_string() : fallback;
    }
    // The number member `key` as a whole number, or `fallback`.
    long long int_or(std::string_view key, long long fallback = 0) const {
        const Json* v = find(key);
        return v && v->is_number() ? v->as_int() : fallback;
    }
    // The boolean member `key`, or `fallback` when it is missing or not a boolean.
    bool bool_or(std::string_view key, bool fallback = false) const {
        const Json* v = find(key);
        return v && v->is_bool() ? v->as_bool() : fallback;
    }
    // Sets (or replaces) an object member; turns null into an object.
    Json& set(const std::string& key, Json value) {
        if (kind_ == Kind::Null) *this = object();
        expect(Kind::Object, "an object");
        detach();
        for (auto& kv : *obj_)
            if (kv.first == key) return kv.second = std::move(value);
        obj_->emplace_back(key, std::move(value));
        return obj_->back().second;
    }
    // Appends to an array; turns null into an array.
    void push(Json value) {
        if (kind_ == Kind::Null) *this = array();
        expect(Kind::Array, "an array");
        detach();
        arr_->push_back(std::move(value));
    }

    // Compact text (no spaces).
    std::string dump() const {
        std::string out;
        write(out, -1, 0);
        return out;
    }
    // Indented text: two spaces a level, "key": value, empty containers as [] and {}.
    std::string dump_pretty() const {
        std::string out;
        write(out, 2, 0);
        return out;
    }

    // The whole of `text` as one JSON value; throws JsonError on anything else.
    static Json parse(std::string_view text) {
        Reader r{text};
        r.skip_ws();
        Json v = r.value(0);
        r.skip_ws();
        if (r.pos != text.size()) r.fail("unexpected text after the value");
        return v;
    }

    // Same kind and same value (Int 1 and Float 1.0 differ); objects compare in order.
    friend bool operator==(const Json& a, const Json& b) {
        if (a.kind_ != b.kind_) return false;
        switch (a.kind_) {
            case Kind::Null: return true;
            case Kind::Bool:
            case Kind::Int: return a.int_ == b.int_;
            case Kind::Float: return a.float_ == b.float_ || (a.float_ != a.float_ && b.float_ != b.float_);
            case Kind::String: return a.str_ == b.str_;
            case Kind::Array: return *a.arr_ == *b.arr_;
            case Kind::Object: return *a.obj_ == *b.obj_;
        }
        return false;
    }
    friend bool operator!=(const Json& a, const Json& b) { return !(a == b); }

    // `s` as a JSON string literal, quotes included (see the writer's rules above).
    static std::string quote(std::string_view s) {
        std::string out;
        write_string(out, s);
        return out;
    }

    // The length of the valid UTF-8 sequence at the start of `s` (1 to 4), or 0 when it is not one
    // (overlong forms, surrogates and code points over U+10FFFF are not valid).
    static std::size_t utf8_sequence_length(std::string_view s) {
        if (s.empty()) return 0;
        const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
        const unsigned char c = b(0);
        if (c < 0x80) return 1;
        std::size_t len = 0;
        unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
        if (c >= 0xC2 && c <= 0xDF) len = 2;
        else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0) lo = 0xA0;  // overlong
            if (c == 0xED) hi = 0x9F;  // surrogates
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0) lo = 0x90;  // overlong
            if (c == 0xF4) hi = 0x8F;  // over U+10FFFF
        } else {
            return 0;
        }
        if (s.size() < len || b(1) < lo || b(1) > hi) return 0;
        for (std::size_t i = 2; i < len; ++i)
            if ((b(i) & 0xC0) != 0x80) return 0;
        return len;
    }

private:
    Kind kind_ = Kind::Null;
    long long int_ = 0;
    double float_ = 0;
    std::string str_;
    std::shared_ptr<Array> arr_;
    std::shared_ptr<Object> obj_;

    void expect(Kind k, const char* what) const {
        if (kind_ != k) throw JsonError(std::string("JSON value is not ") + what);
    }
    void detach() {  // copy-on-write for shared containers
        if (arr_ && arr_.use_count() > 1) arr_ = std::make_shared<Array>(*arr_);
        if (obj_ && obj_.use_count() > 1) obj_ = std::make_shared<Object>(*obj_);
    }
    static long long clamp_to_int(double d) {
        if (d != d) return 0;
        if (d >= 9223372036854775807.0) return std::numeric_limits<long long>::max();
        if (d <= -9223372036854775808.0) return std::numeric_limits<long long>::min();
        return static_cast<long long>(d);
    }

    // ------------------------------------------------------------ writer

    static void write_string(std::string& out, std::string_view s) {
        static const char kHex[] = "0123456789abcdef";
        out += '"';
        for (std::size_t i = 0; i < s.size();) {
            const auto c = static_cast<unsigned char>(s[i]);
            if (c >= 0x80) {
                const std::size_t len = utf8_sequence_length(s.substr(i));
                if (len == 0) {
                    out += "\xEF\xBF\xBD";
                    ++i;
                } else {
                    out.append(s.substr(i, len));
                    i += len;
                }
                continue;
            }
            ++i;
            switch (c) {
                case '"': out += "\\\""; break;
                case '\\': out += "\\\\"; break;
                case '\b': out += "\\b"; break;
                case '\f': out += "\\f"; break;
                case '\n': out += "\\n"; break;
                case '\r': out += "\\r"; break;
                case '\t': out += "\\t"; break;
                default:
                    if (c < 0x20) {
                        out += "\\u00";
                        out += kHex[c >> 4];
                        out += kHex[c & 0xF];
                    } else {
                        out += static_cast<char>(c);
                    }
            }
        }
        out += '"';
    }
    static void write_int(std::string& out, long long v) {
        char buf[24];
        const auto r = std::to_chars(buf, buf + sizeof buf, v);
        out.append(buf, r.ptr);
    }
    static void write_double(std::string& out, double d) {
        if (!std::isfinite(d)) {
            out += "null";
            return;
        }
        char buf[32];
        const auto r = std::to_chars(buf, buf + sizeof buf, d);  // shortest form that reads back
        const std::string_view text(buf, static_cast<std::size_t>(r.ptr - buf));
        out += text;
        if (text.find_first_of(".e") == std::string_view::npos) out += ".0";  // stays a double
    }
    static void newline(std::string& out, int indent, int level) {
        if (indent < 0) return;
        out += '\n';
        out.append(static_cast<std::size_t>(indent) * static_cast<std::size_t>(level), ' ');
    }
    void write(std::string& out, int indent, int level) const {
        switch (kind_) {
            case Kind::Null: out += "null"; break;
            case Kind::Bool: out += int_ ? "true" : "false"; break;
            case Kind::Int: write_int(out, int_); break;
            case Kind::Float: write_double(out, float_); break;
            case Kind::String: write_string(out, str_); break;
            case Kind::Array: {
                out += '[';
                for (std::size_t i = 0; i < arr_->size(); ++i) {
                    if (i) out += ',';
                    newline(out, indent, level + 1);
                    (*arr_)[i].write(out, indent, level + 1);
                }
                if (!arr_->empty()) newline(out, indent, level);
                out += ']';
                break;
            }
            case Kind::Object: {
                out += '{';
                for (std::size_t i = 0; i < obj_->size(); ++i) {
                    if (i) out += ',';
                    newline(out, indent, level + 1);
                    write_string(out, (*obj_)[i].first);
                    out += indent < 0 ? ":" : ": ";
                    (*obj_)[i].second.write(out, indent, level + 1);
                }
                if (!obj_->empty()) newline(out, indent, level);
                out += '}';
                break;
            }
        }
    }

    // ------------------------------------------------------------ reader

    struct Reader {
        std::string_view t;
        std::size_t pos = 0;

        [[noreturn]] void fail(const char* what) const { fail_at(pos, what); }
        [[noreturn]] static void fail_at(std::size_t at, const char* what) {
            throw JsonError("malformed JSON at byte " + std::to_string(at) + ": " + what, at);
        }
        bool at_end() const { return pos >= t.size(); }
        char peek() const { return at_end() ? '\0' : t[pos]; }
        void skip_ws() {
            while (!at_end() && (t[pos] == ' ' || t[pos] == '\n' || t[pos] == '\r' || t[pos] == '\t')) ++pos;
        }
        void expect_char(char c, const char* what) {
            if (peek() != c) fail(what);
            ++pos;
        }

        Json value(int depth) {
            if (at_end()) fail("unexpected end of input");
            switch (t[pos]) {
                case '{': return object(depth + 1);
                case '[': return array(depth + 1);
                case '"': return Json(string());
                case 't': literal("true"); return Json(true);
                case 'f': literal("false"); return Json(false);
                case 'n': literal("null"); return Json();
                default:
                    if (t[pos] == '-' || (t[pos] >= '0' && t[pos] <= '9')) return number();
                    fail("unexpected character");
            }
        }
        void literal(std::string_view word) {
            if (t.substr(pos, word.size()) != word) fail("unknown literal");
            pos += word.size();
        }
        void check_depth(int depth) const {
            if (depth > kMaxDepth) fail("nested more than 512 deep");
        }
        Json object(int depth) {
            check_depth(depth);
            ++pos;  // '{'
            Json obj = Json::object();
            skip_ws();
            if (peek() == '}') return ++pos, obj;
            while (true) {
                skip_ws();
                if (peek() != '"') fail("expected a string key");
                std::string key = string();
                skip_ws();
                expect_char(':', "expected ':' after the key");
                skip_ws();
                obj.set(key, value(depth));  // a later duplicate replaces the earlier value
                skip_ws();
                if (peek() == ',') {
                    ++pos;
                    continue;
                }
                expect_char('}', "expected ',' or '}'");
                return obj;
            }
        }
        Json array(int depth) {
            check_depth(depth);
            ++pos;  // '['
            Json arr = Json::array();
            skip_ws();
            if (peek() == ']') return ++pos, arr;
            while (true) {
                skip_ws();
                arr.push(value(depth));
                skip_ws();
                if (peek() == ',') {
                    ++pos;
                    continue;
                }
                expect_char(']', "expected ',' or ']'");
                return arr;
            }
        }

        bool digit() const { return !at_end() && t[pos] >= '0' && t[pos] <= '9'; }
        void digits(const char* what) {
            if (!digit()) fail(what);
            while (digit()) ++pos;
        }
        Json number() {
            const std::size_t start = pos;
            if (peek() == '-') ++pos;
            if (peek() == '0') {
                ++pos;
                if (digit()) fail("leading zero in a number");
            } else {
                digits("expected a digit");
            }
            bool integer = true;
            if (peek() == '.') {
                ++pos;
                digits("expected a digit after '.'");
                integer = false;
            }
            if (peek() == 'e' || peek() == 'E') {
                ++pos;
                if (peek() == '+' || peek() == '-') ++pos;
                digits("expected a digit in the exponent");
                integer = false;
            }
            const char* first = t.data() + start;
            const char* last = t.data() + pos;
            if (integer) {
                long long v = 0;
                const auto r = std::from_chars(first, last, v);
                if (r.ec != std::errc() || r.ptr != last) fail_at(start, "integer out of the 64-bit range");
                return Json(v);
            }
            double d = 0;
            const auto r = std::from_chars(first, last, d);
            if (r.ec == std::errc::result_out_of_range) {
                if (!underflows(std::string_view(first, pos - start))) fail_at(start, "number too large for a double");
                return Json(*first == '-' ? -0.0 : 0.0);
            }
            if (r.ec != std::errc() || r.ptr != last) fail_at(start, "bad number");
            return Json(d);
        }
        // Whether a well-formed number that a double cannot hold is tiny (rather than huge): the
        // decimal exponent of its first significant digit is negative.
        static bool underflows(std::string_view n) {
            const std::size_t e = n.find_first_of("eE");
            const std::string_view mantissa = n.substr(0, e);
            long long exponent = 0;
            if (e != std::string_view::npos) {
                std::size_t i = e + 1;
                const bool negative = n[i] == '-';
                if (n[i] == '+' || n[i] == '-') ++i;
                for (; i < n.size() && exponent < 100000000; ++i) exponent = exponent * 10 + (n[i] - '0');
                if (negative) exponent = -exponent;
            }
            const std::size_t dot = mantissa.find('.');
            const std::size_t int_end = dot == std::string_view::npos ? mantissa.size() : dot;
            long long place = 0;  // decimal exponent of the digit looked at
            std::size_t i = mantissa[0] == '-' ? 1 : 0;
            place = static_cast<long long>(int_end - i) - 1;
            for (; i < mantissa.size(); ++i) {
                if (mantissa[i] == '.') continue;
                if (mantissa[i] != '0') break;
                --place;
            }
            return place + exponent < 0;
        }

        unsigned hex4() {
            if (t.size() - pos < 4) fail("short \\u escape");
            unsigned v = 0;
            for (int i = 0; i < 4; ++i, ++pos) {
                const char c = t[pos];
                v <<= 4;
                if (c >= '0' && c <= '9') v |= static_cast<unsigned>(c - '0');
                else if (c >= 'a' && c <= 'f') v |= static_cast<unsigned>(c - 'a' + 10);
                else if (c >= 'A' && c <= 'F') v |= static_cast<unsigned>(c - 'A' + 10);
                else fail("bad hex digit in a \\u escape");
            }
            return v;
        }
        static void append_utf8(std::string& out, unsigned cp) {
            if (cp < 0x80) {
                out += static_cast<char>(cp);
            } else if (cp < 0x800) {
                out += static_cast<char>(0xC0 | (cp >> 6));
                out += static_cast<char>(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                out += static_cast<char>(0xE0 | (cp >> 12));
                out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
                out += static_cast<char>(0x80 | (cp & 0x3F));
            } else {
                out += static_cast<char>(0xF0 | (cp >> 18));
                out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
                out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
                out += static_cast<char>(0x80 | (cp & 0x3F));
            }
        }
        // After "\u": one code point, a surrogate pair taken together.
        unsigned unicode_escape() {
            const std::size_t start = pos - 2;
            const unsigned cp = hex4();
            if (cp >= 0xDC00 && cp <= 0xDFFF) fail_at(start, "lone low surrogate");
            if (cp < 0xD800 || cp > 0xDBFF) return cp;
            if (t.substr(pos, 2) != "\\u") fail_at(start, "high surrogate without a low one");
            pos += 2;
            const unsigned lo = hex4();
            if (lo < 0xDC00 || lo > 0xDFFF) fail_at(start, "high surrogate without a low one");
            return 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        void escape(std::string& out) {
            if (at_end()) fail("unterminated escape");
            const char e = t[pos++];
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': append_utf8(out, unicode_escape()); break;
                default: fail_at(pos - 2, "unknown escape");
            }
        }
        std::string string() {
            ++pos;  // opening quote
            std::string out;
            while (true) {
                if (at_end()) fail("unterminated string");
                const auto c = static_cast<unsigned char>(t[pos]);
                if (c == '"') {
                    ++pos;
                    return out;
                }
                if (c < 0x20) fail("unescaped control character in a string");
                if (c == '\\') {
                    ++pos;
                    escape(out);
                } else if (c < 0x80) {
                    out += static_cast<char>(c);
                    ++pos;
                } else {
                    const std::size_t len = utf8_sequence_length(t.substr(pos));
                    if (len == 0) fail("invalid UTF-8 in a string");
                    out.append(t.substr(pos, len));
                    pos += len;
                }
            }
        }
    };
};

}  // namespace mgpux

#endif  // MGPUX_JSON_HPP
