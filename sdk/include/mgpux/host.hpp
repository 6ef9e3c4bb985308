// SPDX-License-Identifier: MIT
// mgpux/host.hpp — the host table of mgpux/host.h as a C++ class (Host), whose
// failing calls throw mgpux::Error (mgpux/error.hpp).
#ifndef MGPUX_HOST_HPP
#define MGPUX_HOST_HPP

#include "contracts.hpp"
#include "error.hpp"
#include "host.h"
#include "json.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mgpux {

namespace detail {

// The message the host recorded for the call that just failed ("" from a host
// older than mgpux_host.last_error).
inline std::string last_host_error(const mgpux_host* h) {
    if (!h || !MGPUX_HAS_MEMBER(h, last_error) || !h->last_error) return std::string();
    const char* m = h->last_error(h);
    return m ? std::string(m) : std::string();
}

}  // namespace detail

// Thin RAII-free wrapper over the host table; every failing call throws
// mgpux::Error with the host's status and message (Error::what()), which the
// trampoline turns back into a status (the host already holds the message).
class Host {
public:
    explicit Host(const mgpux_host* host) : h_(host) {}
    const mgpux_host* raw() const { return h_; }

    void text(const std::string& s, int32_t kind = MGPUX_TEXT_PLAIN) const { h_->write_text(h_, kind, s.c_str()); }
    void info(const std::string& s) const { text(s, MGPUX_TEXT_INFO); }
    void warn(const std::string& s) const { text(s, MGPUX_TEXT_WARNING); }
    void success(const std::string& s) const { text(s, MGPUX_TEXT_SUCCESS); }
    void log(int32_t level, const std::string& s) const { h_->log(h_, level, s.c_str()); }

    void table(const std::vector<std::string>& columns, const std::vector<std::vector<Json>>& rows,
               const std::string& title = std::string()) const {
        Json t = Json::object();
        if (!title.empty()) t.set("title", title);
        Json cols = Json::array();
        for (const auto& c : columns) cols.push(c);
        t.set("columns", cols);
        Json rs = Json::array();
        for (const auto& r : rows) rs.push(Json(r));
        t.set("rows", rs);
        check(h_->write_table(h_, t.dump().c_str()));
    }
    void json(const Json& doc) const { check(h_->write_json(h_, doc.dump().c_str())); }
    void progress(const char* message) const { h_->progress(h_, message); }

    // Asks one question (mgpux/contracts.hpp's Prompt) through the host
    // table's prompt_select, prompt_text or prompt_confirm; the answer's
    // member of the prompt's kind is set. select, ask and confirm below are
    // shorthands for it.
    PromptAnswer prompt(const Prompt& p) const {
        const char* hint = p.flag_hint ? p.flag_hint->c_str() : nullptr;
        const uint32_t flags = (p.secret ? MGPUX_PROMPT_SECRET : 0u) | (p.destructive ? MGPUX_PROMPT_DESTRUCTIVE : 0u);
        PromptAnswer a;
        if (p.kind == "select") {
            std::vector<const char*> l, d;
            for (const auto& s : p.labels) l.push_back(s.c_str());
            for (std::size_t i = 0; i < p.labels.size(); ++i)
                d.push_back(i < p.descriptions.size() ? p.descriptions[i].c_str() : nullptr);
            int32_t out = -1;
            const int32_t default_index = p.default_index ? static_cast<int32_t>(*p.default_index) : -1;
            check(h_->prompt_select(h_, p.message.c_str(), l.data(), d.data(), static_cast<uint32_t>(l.size()),
                                    default_index, hint, &out));
            a.index = out;
        } else if (p.kind == "confirm") {
            int32_t out = 0;
            check(h_->prompt_confirm(h_, p.message.c_str(), p.default_yes ? 1 : 0, flags & MGPUX_PROMPT_DESTRUCTIVE,
                                     hint, &out));
            a.yes = out != 0;
        } else {
            const char* out = nullptr;
            check(h_->prompt_text(h_, p.message.c_str(), p.default_value ? p.default_value->c_str() : nullptr, flags,
                                  hint, &out));
            a.text = out ? out : "";
        }
        return a;
    }
    int select(const std::string& title, const std::vector<std::string>& labels,
               const std::vector<std::string>& descriptions = {}, int default_index = 0,
               const char* flag_hint = nullptr) const {
        Prompt p = question("select", title, flag_hint);
        p.labels = labels;
        p.descriptions = descriptions;
        if (default_index >= 0) p.default_index = default_index;
        return static_cast<int>(prompt(p).index.value_or(-1));
    }
    // `destructive`: under --no-input without --yes the question is a usage
    // error naming `flag_hint` instead of taking its default.
    std::string ask(const std::string& message, const char* default_value = nullptr, const char* flag_hint = nullptr,
                    bool secret = false, bool destructive = false) const {
        Prompt p = question("text", message, flag_hint);
        if (default_value) p.default_value = default_value;
        p.secret = secret;
        p.destructive = destructive;
        return prompt(p).text.value_or("");
    }
    bool confirm(const std::string& message, bool default_yes, const char* flag_hint = nullptr,
                 bool destructive = false) const {
        Prompt p = question("confirm", message, flag_hint);
        p.default_yes = default_yes;
        p.destructive = destructive;
        return prompt(p).yes.value_or(false);
    }
    std::string render(const std::string& name, const Json& context) const {
        const char* out = nullptr;
        check(h_->render_template(h_, name.c_str(), context.dump().c_str(), &out));
        return out ? out : "";
    }
    // Renders template text the plugin holds itself (`name` is for errors).
    std::string render_text(const std::string& name, const std::string& text, const Json& context) const {
        const char* out = nullptr;
        check(h_->render_string(h_, name.c_str(), text.c_str(), context.dump().c_str(), &out));
        return out ? out : "";
    }
    Json hostinfo(bool versions = false) const {
        const char* out = nullptr;
        check(h_->hostinfo(h_, versions ? MGPUX_HOSTINFO_VERSIONS : 0u, &out));
        return Json::parse(out ? out : "{}");
    }
    // A later service table, or nullptr.
    template <typename Table>
    const Table* service(const char* id) const {
        return static_cast<const Table*>(h_->get_service(h_, id));
    }

private:
    static Prompt question(const char* kind, const std::string& message, const char* flag_hint) {
        Prompt p;
        p.kind = kind;
        p.message = message;
        if (flag_hint) p.flag_hint = flag_hint;
        return p;
    }
    const mgpux_host* h_;
    void check(int32_t status) const {
        if (status != MGPUX_OK) throw Error(status, detail::last_host_error(h_));
    }
};

}  // namespace mgpux

#endif  // MGPUX_HOST_HPP
