// SPDX-License-Identifier: MIT
// A small strict mustache renderer for generated scripts.
// Our own instead of kainjow: kainjow renders unknown names as empty text and cannot render one
// name both as a section list and as a whole literal.
#pragma once

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/json/fwd.hpp>

namespace mgpux {

// A template that is malformed or that names something the context lacks.
// what() is "<template name>:<line>: <detail>".
struct TemplateError : std::runtime_error {
    TemplateError(std::string template_name, int line, std::string message);
    std::string template_name;
    int line;
    std::string detail;
};

// Returns the text of the partial called `name`, or nullopt if there is none.
using PartialLoader = std::function<std::optional<std::string>(const std::string& name)>;

// Renders `text` (the template called `name`, used in errors) with `context`.
// Every variable tag ({{x}}, {{{x}}}, {{& x}}) inserts the Python literal of its value
// (render_python_literal); a list or object renders as one literal. Sections iterate lists and
// push objects; an unknown name or partial is a TemplateError. A value without a Python literal
// throws LiteralError whose message is prefixed with "<template>:<line>: value of '<name>': ".
std::string render_template(std::string_view name, std::string_view text, const boost::json::object& context,
                            const PartialLoader& partials);

}  // namespace mgpux
