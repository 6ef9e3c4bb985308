// SPDX-License-Identifier: MIT
// Template files: the installed set, with a user override directory in
// front, rendered by the strict engine (services/template_engine.hpp).
#pragma once

#include <boost/json/fwd.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mgpux::services {

// Where a plugin ships its own templates: <its file's directory>/<its id>/templates.
std::filesystem::path plugin_template_dir(const std::filesystem::path& plugin_file, const std::string& plugin_id);

class TemplateStore {
public:
    // `dirs` in lookup order: the user override directory first.
    explicit TemplateStore(std::vector<std::filesystem::path> dirs) : dirs_(std::move(dirs)) {}

    const std::vector<std::filesystem::path>& dirs() const { return dirs_; }
    // This store with a plugin's own template folder searched after the user
    // override directory (the first) and before the installed templates.
    TemplateStore with_plugin_dir(const std::filesystem::path& plugin_templates) const;
    // The file a template name resolves to, or nullopt. Names are relative
    // paths without ".." ("hub/jupyter.py"); partials use the same names.
    std::optional<std::filesystem::path> locate(const std::string& name) const;

    // Throw TemplateError (naming template and line) or std::runtime_error.
    std::string render_file(const std::string& name, const boost::json::object& context) const;
    std::string render_text(const std::string& name, const std::string& text, const boost::json::object& context) const;

private:
    std::vector<std::filesystem::path> dirs_;
};

}  // namespace mgpux::services
