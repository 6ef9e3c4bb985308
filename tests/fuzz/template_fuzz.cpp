// SPDX-License-Identifier: MIT
// libFuzzer target for the strict mustache renderer.
// Input: template bytes, a NUL byte, then the JSON context (an empty object if it does not parse
// or is not an object). The only partial is "p".
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "services/python_literal.hpp"
#include "services/template_engine.hpp"

namespace {

const char* const kPartial =
    "partial {{.}}\n"
    "  {{#rec}}\n"
    "  {{> p}}\n"
    "  {{/rec}}\n";

std::optional<std::string> load_partial(const std::string& name) {
    if (name == "p") return std::string(kPartial);
    return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::size_t nul = input.find('\0');
    const std::string_view tpl = input.substr(0, nul);
    const std::string_view json_text = nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);

    boost::json::object context;
    boost::system::error_code ec;
    boost::json::value parsed = boost::json::parse(json_text, ec);
    if (!ec && parsed.is_object()) context = std::move(parsed.as_object());

    const mgpux::PartialLoader loader = load_partial;
    try {
        const std::string out = mgpux::render_template("fuzz", tpl, context, loader);
        // A template without tags renders as itself.
        if (tpl.find("{{") == std::string_view::npos && out != tpl) std::abort();
    } catch (const mgpux::TemplateError& e) {
        if (e.line < 1) std::abort();
    } catch (const mgpux::LiteralError&) {}
    return 0;
}
