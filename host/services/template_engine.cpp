// SPDX-License-Identifier: MIT
#include "services/template_engine.hpp"

#include <algorithm>
#include <cstddef>
#include <map>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "services/python_literal.hpp"

namespace mgpux {
namespace {

constexpr int kMaxPartialDepth = 16;
constexpr std::size_t kMaxSectionNesting = 128;
constexpr std::size_t kMaxSteps = 20'000'000;              // nodes visited in one render
constexpr std::size_t kMaxOutput = std::size_t{64} << 20;  // 64 MiB of output

std::string make_what(const std::string& name, int line, const std::string& message) {
    return name + ":" + std::to_string(line) + ": " + message;
}

}  // namespace

TemplateError::TemplateError(std::string name, int line_no, std::string message)
    : std::runtime_error(make_what(name, line_no, message)),
      template_name(std::move(name)),
      line(line_no),
      detail(std::move(message)) {}

namespace {

enum class NodeKind { Text, Variable, Section, Inverted, Partial };

struct Node {
    NodeKind kind = NodeKind::Text;
    std::string text;    // Text: the text; otherwise the name
    int line = 0;        // line of the tag (Text: line where the text starts)
    std::string indent;  // Partial: indentation of a standalone partial tag
    std::vector<Node> children;
};

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

// A name character: printable, not whitespace, not a brace.
bool is_name_char(char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c > 0x20 && c != 0x7F && c != '{' && c != '}';
}

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

class Parser {
public:
    Parser(std::string_view name, std::string_view text) : name_(name), text_(text) {}

    std::vector<Node> parse() {
        std::vector<Node> root;
        std::vector<Node> open;  // sections being built, innermost last
        auto target = [&]() -> std::vector<Node>& { return open.empty() ? root : open.back().children; };

        std::size_t pos = 0;  // start of text not yet emitted
        int line = 1;         // line number at `pos`
        for (;;) {
            const std::size_t tag_start = text_.find("{{", pos);
            if (tag_start == std::string_view::npos) {
                emit_text(target(), pos, text_.size(), line);
                break;
            }
            const int tag_line = line + count_newlines(pos, tag_start);

            // Find the tag's end and its content.
            std::size_t content_begin = 0;
            std::size_t content_end = 0;
            std::size_t tag_end = 0;
            const bool triple = text_.compare(tag_start, 3, "{{{") == 0;
            if (triple) {
                const std::size_t close = text_.find("}}}", tag_start + 3);
                if (close == std::string_view::npos) fail(tag_line, "unclosed tag (missing '}}}')");
                content_begin = tag_start + 3;
                content_end = close;
                tag_end = close + 3;
            } else {
                const std::size_t close = text_.find("}}", tag_start + 2);
                if (close == std::string_view::npos) fail(tag_line, "unclosed tag (missing '}}')");
                content_begin = tag_start + 2;
                content_end = close;
                tag_end = close + 2;
            }
            const std::string_view content = trim(text_.substr(content_begin, content_end - content_begin));

            // Classify.
            char sigil = 0;
            std::string_view tag_name;
            if (triple) {
                tag_name = content;
            } else if (!content.empty() &&
                       (content[0] == '#' || content[0] == '^' || content[0] == '/' || content[0] == '>' ||
                        content[0] == '&' || content[0] == '!' || content[0] == '=')) {
                sigil = content[0];
                tag_name = trim(content.substr(1));
            } else {
                tag_name = content;
            }
            if (sigil == '=') fail(tag_line, "set-delimiter tags are not supported");
            if (sigil != '!') check_name(tag_name, tag_line, sigil == '>');

            // Standalone lines: only whitespace and this one non-variable tag on the line.
            const bool can_stand_alone = sigil == '#' || sigil == '^' || sigil == '/' || sigil == '!' || sigil == '>';
            bool standalone = false;
            std::size_t line_start = 0;
            std::size_t after = tag_end;  // where scanning resumes
            if (can_stand_alone) {
                const std::size_t nl = tag_start == 0 ? std::string_view::npos : text_.rfind('\n', tag_start - 1);
                line_start = nl == std::string_view::npos ? 0 : nl + 1;
                if (line_start >= pos &&
                    std::all_of(text_.begin() + static_cast<std::ptrdiff_t>(line_start),
                                text_.begin() + static_cast<std::ptrdiff_t>(tag_start), is_blank)) {
                    std::size_t p = tag_end;
                    while (p < text_.size() && is_blank(text_[p])) ++p;
                    if (p == text_.size()) {
                        standalone = true;
                        after = p;
                    } else if (text_[p] == '\n') {
                        standalone = true;
                        after = p + 1;
                    } else if (text_[p] == '\r' && p + 1 < text_.size() && text_[p + 1] == '\n') {
                        standalone = true;
                        after = p + 2;
                    }
                }
            }
            emit_text(target(), pos, standalone ? line_start : tag_start, line);

            Node node;
            node.text = std::string(tag_name);
            node.line = tag_line;
            switch (sigil) {
                case '!': break;
                case '#':
                case '^':
                    if (open.size() >= kMaxSectionNesting) fail(tag_line, "sections nested too deeply");
                    node.kind = sigil == '#' ? NodeKind::Section : NodeKind::Inverted;
                    open.push_back(std::move(node));
                    break;
                case '/': {
                    if (open.empty()) fail(tag_line, "closing tag " + quoted(tag_name) + " without an open section");
                    if (open.back().text != tag_name) {
                        fail(tag_line, "closing tag " + quoted(tag_name) + " does not match section " +
                                           quoted(open.back().text) + " opened on line " +
                                           std::to_string(open.back().line));
                    }
                    Node done = std::move(open.back());
                    open.pop_back();
                    target().push_back(std::move(done));
                    break;
                }
                case '>':
                    node.kind = NodeKind::Partial;
                    if (standalone) {
                        node.indent = std::string(text_.substr(line_start, tag_start - line_start));
                    }
                    target().push_back(std::move(node));
                    break;
                default:  // '&', triple or plain variable
                    node.kind = NodeKind::Variable;
                    target().push_back(std::move(node));
                    break;
            }

            line = tag_line + count_newlines(tag_start, after);
            pos = after;
        }
        if (!open.empty()) fail(open.back().line, "unclosed section " + quoted(open.back().text));
        return root;
    }

private:
    [[noreturn]] void fail(int line, std::string message) const {
        throw TemplateError(std::string(name_), line, std::move(message));
    }

    int count_newlines(std::size_t from, std::size_t to) const {
        return static_cast<int>(std::count(text_.begin() + static_cast<std::ptrdiff_t>(from),
                                           text_.begin() + static_cast<std::ptrdiff_t>(to), '\n'));
    }

    void emit_text(std::vector<Node>& into, std::size_t from, std::size_t to, int line) const {
        if (to <= from) return;
        Node node;
        node.kind = NodeKind::Text;
        node.text = std::string(text_.substr(from, to - from));
        node.line = line;
        into.push_back(std::move(node));
    }

    void check_name(std::string_view n, int line, bool partial) const {
        if (n.empty()) fail(line, "empty name in tag");
        if (!std::all_of(n.begin(), n.end(), is_name_char)) fail(line, "invalid name " + quoted(n));
        if (partial || n == ".") return;
        // Dotted names: no empty segments.
        if (n.front() == '.' || n.back() == '.' || n.find("..") != std::string_view::npos) {
            fail(line, "invalid name " + quoted(n));
        }
    }

    std::string_view name_;
    std::string_view text_;
};

// Prepends `indent` to every line of `text` (a standalone partial's indentation).
std::string indent_lines(std::string_view text, std::string_view indent) {
    std::string out;
    out.reserve(text.size() + indent.size() * 4);
    bool at_line_start = true;
    for (const char c : text) {
        if (at_line_start) out.append(indent);
        out += c;
        at_line_start = c == '\n';
    }
    return out;
}

bool is_falsy(const boost::json::value& v) {
    switch (v.kind()) {
        case boost::json::kind::null: return true;
        case boost::json::kind::bool_: return !v.get_bool();
        case boost::json::kind::array: return v.get_array().empty();
        case boost::json::kind::string: return v.get_string().empty();
        default: return false;
    }
}

class Renderer {
public:
    Renderer(std::string root_name, const boost::json::object& root, const PartialLoader& loader)
        : root_name_(std::move(root_name)), root_(root), loader_(loader) {}

    void render(const std::vector<Node>& nodes, const std::string& tpl) {
        for (const Node& node : nodes) {
            if (++steps_ > kMaxSteps) {
                throw TemplateError(tpl, node.line, "rendering exceeds " + std::to_string(kMaxSteps) + " steps");
            }
            switch (node.kind) {
                case NodeKind::Text: out_ += node.text; break;
                case NodeKind::Variable: {
                    const Found f = lookup(node, tpl);
                    try {
                        out_ += f.value != nullptr ? render_python_literal(*f.value)
                                                   : render_python_literal(boost::json::value(root_));
                    } catch (const LiteralError& e) {
                        throw LiteralError(tpl + ":" + std::to_string(node.line) + ": value of " + quoted(node.text) +
                                           ": " + e.what());
                    }
                    break;
                }
                case NodeKind::Section: {
                    const Found f = lookup(node, tpl);
                    if (f.value == nullptr) {  // the root object
                        render(node.children, tpl);
                    } else if (f.value->is_array()) {
                        for (const auto& item : f.value->get_array()) {
                            stack_.push_back(&item);
                            render(node.children, tpl);
                            stack_.pop_back();
                        }
                    } else if (f.value->is_object()) {
                        stack_.push_back(f.value);
                        render(node.children, tpl);
                        stack_.pop_back();
                    } else if (!is_falsy(*f.value)) {
                        render(node.children, tpl);
                    }
                    break;
                }
                case NodeKind::Inverted: {
                    const Found f = lookup(node, tpl);
                    if (f.value != nullptr && is_falsy(*f.value)) render(node.children, tpl);
                    break;
                }
                case NodeKind::Partial: render_partial(node, tpl); break;
            }
            if (out_.size() > kMaxOutput) {
                throw TemplateError(tpl, node.line, "output larger than " + std::to_string(kMaxOutput) + " bytes");
            }
        }
    }

    std::string take() { return std::move(out_); }

private:
    // value == nullptr means the root object itself.
    struct Found {
        const boost::json::value* value;
    };

    Found lookup(const Node& node, const std::string& tpl) const {
        const std::string& name = node.text;
        if (name == ".") return Found{stack_.empty() ? nullptr : stack_.back()};

        const std::size_t dot = name.find('.');
        const std::string_view first = std::string_view(name).substr(0, dot);
        const boost::json::value* cur = nullptr;
        for (auto it = stack_.rbegin(); it != stack_.rend() && cur == nullptr; ++it) {
            if ((*it)->is_object()) cur = (*it)->get_object().if_contains(first);
        }
        if (cur == nullptr) cur = root_.if_contains(first);
        if (cur == nullptr) throw TemplateError(tpl, node.line, unknown_name(name, tpl));

        std::size_t pos = dot;
        while (pos != std::string::npos) {
            const std::size_t next = name.find('.', pos + 1);
            const std::string_view seg =
                std::string_view(name).substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1);
            const boost::json::value* child = cur->is_object() ? cur->get_object().if_contains(seg) : nullptr;
            if (child == nullptr) {
                throw TemplateError(tpl, node.line,
                                    "unknown name " + quoted(name) + " (" + quoted(name.substr(0, pos)) +
                                        " has no member " + quoted(seg) + ")");
            }
            cur = child;
            pos = next;
        }
        return Found{cur};
    }

    // Inside a partial the name had to come from the context of the template being rendered,
    // so the message says which partial needs it and where to pass it.
    std::string unknown_name(const std::string& name, const std::string& tpl) const {
        std::string message = "unknown name " + quoted(name);
        if (depth_ == 0) return message;
        return message + ": the partial " + quoted(tpl) + " needs " + quoted(name) +
               " in the context; pass it in the context given to render " + quoted(root_name_);
    }

    void render_partial(const Node& node, const std::string& tpl) {
        if (depth_ >= kMaxPartialDepth) {
            throw TemplateError(tpl, node.line,
                                "partial " + quoted(node.text) + " nested deeper than " +
                                    std::to_string(kMaxPartialDepth) + " levels (recursive partial?)");
        }
        // Parsed partials are cached per name and indentation (std::map keeps references stable).
        std::string key = node.text;
        key += '\0';
        key += node.indent;
        auto it = partials_.find(key);
        if (it == partials_.end()) {
            std::optional<std::string> source;
            if (loader_) source = loader_(node.text);
            if (!source) throw TemplateError(tpl, node.line, "unknown partial " + quoted(node.text));
            const std::string text = node.indent.empty() ? std::move(*source) : indent_lines(*source, node.indent);
            it = partials_.emplace(std::move(key), Parser(node.text, text).parse()).first;
        }
        ++depth_;
        render(it->second, node.text);
        --depth_;
    }

    const std::string root_name_;  // the template being rendered, which includes the partials
    const boost::json::object& root_;
    const PartialLoader& loader_;
    std::vector<const boost::json::value*> stack_;  // pushed section values, innermost last
    std::map<std::string, std::vector<Node>> partials_;
    std::string out_;
    std::size_t steps_ = 0;
    int depth_ = 0;
};

}  // namespace

std::string render_template(std::string_view name, std::string_view text, const boost::json::object& context,
                            const PartialLoader& partials) {
    const std::vector<Node> nodes = Parser(name, text).parse();
    Renderer renderer(std::string(name), context, partials);
    renderer.render(nodes, std::string(name));
    return renderer.take();
}

}  // namespace mgpux
