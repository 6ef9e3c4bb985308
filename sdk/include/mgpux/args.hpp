// SPDX-License-Identifier: MIT
// mgpux/args.hpp — typed access to the values `run` receives (mgpux/command.h).
#ifndef MGPUX_ARGS_HPP
#define MGPUX_ARGS_HPP

#include "error.hpp"
#include "json.hpp"

#include <optional>
#include <string>
#include <vector>

namespace mgpux {

// Typed access to the values object the host passes to run.
class Args {
public:
    explicit Args(const char* args_json) : root_(Json::parse(args_json ? args_json : "{}")) {
        if (const Json* v = root_.find("values")) values_ = *v;
        if (const Json* g = root_.find("global")) global_ = *g;
        if (const Json* c = root_.find("command")) command_ = c->as_string();
    }
    const std::string& command() const { return command_; }
    bool has(const std::string& name) const {
        const Json* v = values_.find(name);
        return v && !v->is_null();
    }
    const Json& value(const std::string& name) const {
        const Json* v = values_.find(name);
        if (!v) throw usage_error("missing value for '" + name + "'");
        return *v;
    }
    std::string str(const std::string& name, const std::string& fallback = std::string()) const {
        return has(name) ? value(name).as_string() : fallback;
    }
    long long integer(const std::string& name, long long fallback = 0) const {
        return has(name) ? value(name).as_int() : fallback;
    }
    double number(const std::string& name, double fallback = 0) const {
        return has(name) ? value(name).as_float() : fallback;
    }
    // An on/off flag that was not given is absent (a plain flag is false):
    // flag() reads absent as false, flag_or() as `fallback`, and
    // optional_flag() keeps the three states, so a question can have a flag
    // that answers it (--x / --no-x) and be asked only when neither was given.
    bool flag(const std::string& name) const { return has(name) && value(name).as_bool(); }
    bool flag_or(const std::string& name, bool fallback) const { return has(name) ? value(name).as_bool() : fallback; }
    std::optional<bool> optional_flag(const std::string& name) const {
        if (!has(name)) return std::nullopt;
        return value(name).as_bool();
    }
    std::vector<std::string> list(const std::string& name) const {
        std::vector<std::string> out;
        if (!has(name)) return out;
        for (const auto& v : value(name).as_array()) out.push_back(v.as_string());
        return out;
    }
    // Global options: "json", "yes", "no_input", "dry_run", "interactive"...
    bool global_flag(const std::string& name) const {
        const Json* v = global_.find(name);
        return v && v->is_bool() && v->as_bool();
    }
    std::string global_str(const std::string& name) const { return global_.string_or(name); }
    const Json& values() const { return values_; }

private:
    Json root_;
    Json values_ = Json::object();
    Json global_ = Json::object();
    std::string command_;
};

}  // namespace mgpux

#endif  // MGPUX_ARGS_HPP
