// SPDX-License-Identifier: MIT
#include "services/templates.hpp"

#include "services/template_engine.hpp"

#include <boost/json.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mgpux::services {

namespace fs = std::filesystem;

namespace {

bool safe_name(const std::string& name) {
    if (name.empty() || name.front() == '/') return false;
    for (const auto& part : fs::path(name))
        if (part == ".." || part == ".") return false;
    return true;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read template " + p.string());
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

fs::path plugin_template_dir(const fs::path& plugin_file, const std::string& plugin_id) {
    return plugin_file.parent_path() / plugin_id / "templates";
}

std::optional<fs::path> TemplateStore::locate(const std::string& name) const {
    if (!safe_name(name)) return std::nullopt;
    for (const auto& dir : dirs_) {
        std::error_code ec;
        fs::path p = dir / name;
        if (fs::is_regular_file(p, ec)) return p;
    }
    return std::nullopt;
}

TemplateStore TemplateStore::with_plugin_dir(const fs::path& plugin_templates) const {
    std::vector<fs::path> dirs = dirs_;
    dirs.insert(dirs.empty() ? dirs.end() : dirs.begin() + 1, plugin_templates);
    return TemplateStore(std::move(dirs));
}

std::string TemplateStore::render_text(const std::string& name, const std::string& text,
                                       const boost::json::object& context) const {
    PartialLoader loader = [this](const std::string& partial) -> std::optional<std::string> {
        auto p = locate(partial);
        if (!p) return std::nullopt;
        return read_file(*p);
    };
    return render_template(name, text, context, loader);
}

std::string TemplateStore::render_file(const std::string& name, const boost::json::object& context) const {
    auto p = locate(name);
    if (!p) {
        std::string where;
        for (const auto& d : dirs_) where += (where.empty() ? "" : ", ") + d.string();
        throw std::runtime_error("template '" + name + "' not found (looked in " + where + ")");
    }
    return render_text(name, read_file(*p), context);
}

}  // namespace mgpux::services
