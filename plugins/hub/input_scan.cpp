// SPDX-License-Identifier: MIT
#include "hub_logic.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace hub {

namespace {

bool ident_start(char c) {
    const auto u = static_cast<unsigned char>(c);
    return std::isalpha(u) || c == '_' || u >= 0x80;  // a non-ASCII letter is UTF-8, 0x80 and up
}
bool ident_char(char c) { return ident_start(c) || std::isdigit(static_cast<unsigned char>(c)); }

// r, u, b, f and the pairs br/rb/fr/rf, in any case.
bool is_string_prefix(std::string_view word) {
    std::string low;
    for (char c : word) low += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return low == "r" || low == "u" || low == "b" || low == "f" || low == "br" || low == "rb" || low == "fr" ||
           low == "rf";
}
bool has_letter(std::string_view prefix, char letter) {
    for (char c : prefix)
        if (std::tolower(static_cast<unsigned char>(c)) == letter) return true;
    return false;
}

// What the tokenizer yields that matters here: a name, an operator, or a whole string.
struct Token {
    std::string_view text;
    int line = 0;
    bool name = false;
};

// `input` as a name, followed by `(`, and not an attribute (`.input(`) or a definition.
void add_calls(const std::vector<Token>& toks, int at_line, std::vector<int>& lines) {
    for (std::size_t i = 0; i < toks.size(); ++i) {
        if (!toks[i].name || toks[i].text != "input") continue;
        if (i + 1 >= toks.size() || toks[i + 1].text != "(") continue;
        if (i > 0 && (toks[i - 1].text == "." || (toks[i - 1].name && toks[i - 1].text == "def"))) continue;
        lines.push_back(at_line ? at_line : toks[i].line);
    }
}

int fstring_calls(std::string_view body, bool raw);

// Reads Python source from `pos`: the whole text, or (in a field) the expression of an
// f-string's replacement field, which ends at a '}', ':' or '!' outside brackets.
class Lexer {
public:
    Lexer(std::string_view src, std::size_t pos, bool field) : s_(src), i_(pos), field_(field) {}

    void run() {
        while (i_ < s_.size() && error_.empty()) {
            const char c = s_[i_];
            if (c == '\n') {
                ++line_;
                ++i_;
            } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
                ++i_;
            } else if (c == '#') {
                while (i_ < s_.size() && s_[i_] != '\n') ++i_;
            } else if (c == '\\' && continues_line()) {
                continue;
            } else if (ident_start(c)) {
                word();
            } else if (c == '"' || c == '\'') {
                string(i_);
            } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                       (c == '.' && i_ + 1 < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_ + 1])))) {
                number();
            } else if (field_ && depth_ == 0 && ends_field(c)) {
                return;
            } else {
                op(c);
            }
        }
        if (error_.empty() && !field_ && depth_ > 0)
            error_ = "a bracket opened on line " + std::to_string(open_line_) + " is never closed";
    }

    const std::vector<Token>& tokens() const { return toks_; }
    const std::vector<int>& fstring_lines() const { return fstring_lines_; }
    int nested_calls() const { return nested_; }
    const std::string& error() const { return error_; }
    std::size_t end() const { return i_; }

private:
    bool continues_line() {
        std::size_t j = i_ + 1;
        if (j < s_.size() && s_[j] == '\r') ++j;
        if (j >= s_.size() || s_[j] != '\n') return false;
        i_ = j + 1;
        ++line_;
        return true;
    }

    bool ends_field(char c) const {
        if (c == '}' || c == ':') return true;
        return c == '!' && !(i_ + 1 < s_.size() && s_[i_ + 1] == '=');
    }

    void word() {
        const std::size_t start = i_;
        while (i_ < s_.size() && ident_char(s_[i_])) ++i_;
        const std::string_view w = s_.substr(start, i_ - start);
        if (i_ < s_.size() && (s_[i_] == '"' || s_[i_] == '\'') && is_string_prefix(w)) return string(start);
        toks_.push_back({w, line_, true});
    }

    void number() {
        const std::size_t start = i_;
        while (i_ < s_.size()) {
            const char c = s_[i_];
            const bool exponent_sign = (c == '+' || c == '-') && i_ > start &&
                                       (s_[i_ - 1] == 'e' || s_[i_ - 1] == 'E') && s_.substr(start, 2) != "0x" &&
                                       s_.substr(start, 2) != "0X";
            if (!(ident_char(c) || c == '.' || exponent_sign)) break;
            ++i_;
        }
        toks_.push_back({s_.substr(start, i_ - start), line_, false});
    }

    void op(char c) {
        if (c == '.' && s_.substr(i_, 3) == "...") {
            toks_.push_back({s_.substr(i_, 3), line_, false});
            i_ += 3;
            return;
        }
        if (c == '(' || c == '[' || c == '{') {
            if (depth_++ == 0) open_line_ = line_;
        } else if ((c == ')' || c == ']' || c == '}') && depth_ > 0) {
            --depth_;
        }
        toks_.push_back({s_.substr(i_, 1), line_, false});
        ++i_;
    }

    // A string from its prefix at `start`; i_ is at its first quote. A backslash always keeps
    // the next character in the string (in raw strings too, where it stays as written).
    void string(std::size_t start) {
        const std::string_view prefix = s_.substr(start, i_ - start);
        const char q = s_[i_];
        const bool triple = s_.substr(i_, 3) == std::string(3, q);
        const int first_line = line_;
        std::size_t j = i_ + (triple ? 3 : 1);
        const std::size_t body = j;
        int newlines = 0;
        for (;; ++j) {
            if (j >= s_.size() || (!triple && s_[j] == '\n')) {
                if (triple) {
                    error_ =
                        "a triple-quoted string that starts on line " + std::to_string(first_line) + " is never closed";
                    return;
                }
                // Python's tokenizer gives up on the lone quote and reads on after it.
                toks_.push_back({s_.substr(i_, 1), line_, false});
                ++i_;
                return;
            }
            if (s_[j] == '\\') {
                if (j + 1 < s_.size() && s_[j + 1] == '\n') ++newlines;
                ++j;
                continue;
            }
            if (s_[j] == '\n') ++newlines;
            if (s_[j] == q && (!triple || s_.substr(j, 3) == std::string(3, q))) break;
        }
        const std::size_t close = j;
        i_ = close + (triple ? 3 : 1);
        line_ += newlines;
        toks_.push_back({s_.substr(start, i_ - start), first_line, false});
        if (!has_letter(prefix, 'f')) return;
        const int calls = fstring_calls(s_.substr(body, close - body), has_letter(prefix, 'r'));
        if (field_) nested_ += calls;
        else fstring_lines_.insert(fstring_lines_.end(), static_cast<std::size_t>(calls), first_line);
    }

    std::string_view s_;
    std::size_t i_;
    bool field_;
    int line_ = 1;
    int depth_ = 0;
    int open_line_ = 0;
    std::vector<Token> toks_;
    std::vector<int> fstring_lines_;
    int nested_ = 0;
    std::string error_;
};

int field_calls(std::string_view body, bool raw, std::size_t& i);

// A format spec after ':': text with nested fields, up to the '}' that closes the field.
int spec_calls(std::string_view body, bool raw, std::size_t& i) {
    int n = 0;
    while (i < body.size()) {
        const char c = body[i++];
        if (c == '{') n += field_calls(body, raw, i);
        else if (c == '}') break;
    }
    return n;
}

// One replacement field; `i` is just past its '{' and ends just past its '}'.
int field_calls(std::string_view body, bool raw, std::size_t& i) {
    Lexer expr(body, i, true);
    expr.run();
    std::vector<int> lines;
    add_calls(expr.tokens(), 1, lines);
    int n = static_cast<int>(lines.size()) + expr.nested_calls();
    i = expr.end();
    if (i < body.size() && body[i] == '!')
        while (i < body.size() && body[i] != ':' && body[i] != '}') ++i;
    if (i < body.size() && body[i] == ':') {
        ++i;
        return n + spec_calls(body, raw, i);
    }
    if (i < body.size()) ++i;  // the closing '}'
    return n;
}

// Past a backslash escape of a non-raw f-string: a named one (\N{...}) whole, an escaped
// backslash, or the backslash alone (what follows is read as usual).
std::size_t past_escape(std::string_view body, std::size_t i) {
    if (body.substr(i, 3) == "\\N{") {
        const std::size_t close = body.find('}', i);
        return close == std::string_view::npos ? body.size() : close + 1;
    }
    return i + (body.substr(i, 2) == "\\\\" ? 2 : 1);
}

// The input() calls in an f-string's replacement fields; `{{` and `}}` are literal braces, and
// so is the `{` of a named escape (\N{BULLET}) outside a raw string.
int fstring_calls(std::string_view body, bool raw) {
    int n = 0;
    for (std::size_t i = 0; i < body.size();) {
        const char c = body[i];
        if (c == '\\' && !raw) {
            i = past_escape(body, i);
        } else if (c == '{' && body.substr(i, 2) == "{{") {
            i += 2;
        } else if (c == '{') {
            ++i;
            n += field_calls(body, raw, i);
        } else {
            ++i;
        }
    }
    return n;
}

}  // namespace

InputScan scan_input_calls(std::string_view source) {
    Lexer lexer(source, 0, false);
    lexer.run();
    InputScan scan;
    if (!lexer.error().empty()) {
        scan.error = lexer.error();
        return scan;
    }
    // In source order, as the tokens come: a call in an f-string counts at the string's line.
    std::vector<int> lines;
    add_calls(lexer.tokens(), 0, lines);
    lines.insert(lines.end(), lexer.fstring_lines().begin(), lexer.fstring_lines().end());
    std::sort(lines.begin(), lines.end());
    scan.lines = std::move(lines);
    return scan;
}

}  // namespace hub
