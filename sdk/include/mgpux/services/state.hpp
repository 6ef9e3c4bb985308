// SPDX-License-Identifier: MIT
// mgpux/services/state.hpp — the C++ wrapper over mgpux/service/state.h.
#ifndef MGPUX_SERVICES_STATE_HPP
#define MGPUX_SERVICES_STATE_HPP

#include "service.hpp"
#include "../contracts.hpp"
#include "../service/state.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>
#include <exception>
#include <functional>

namespace mgpux {

// State documents in ~/.m-gpux (mgpux.state/1).
class State {
public:
    // Fills `replacement` and returns true to write it; false writes nothing.
    using EditFn = std::function<bool(const Json& current, Json& replacement)>;
    explicit State(const Host& host)
        : h_(host.raw()), t_(detail::require_service<mgpux_state_service>(host, MGPUX_SERVICE_STATE)) {}
    Json read(const std::string& document) const {
        const char* out = nullptr;
        detail::check_status(h_, t_->read(h_, document.c_str(), &out));
        return detail::parse_out(out);
    }
    // `edit` gets the current document; it fills `replacement` and returns
    // true to write it, or returns false to leave the file alone. An
    // exception thrown by `edit` aborts without writing and is rethrown.
    Json modify(const std::string& document, const EditFn& edit) const {
        EditContext ctx{&edit, std::string(), nullptr};
        const char* out = nullptr;
        const int32_t status = t_->modify(h_, document.c_str(), &edit_trampoline, &ctx, &out);
        if (ctx.error) std::rethrow_exception(ctx.error);
        detail::check_status(h_, status);
        return detail::parse_out(out);
    }
    Json session_save(const Json& session) const { return call1(t_->session_save, session.dump()); }
    Json session_get(const std::string& ref) const {
        const char* out = nullptr;
        detail::check_status(h_, t_->session_get(h_, ref.c_str(), &out));
        return detail::parse_out(out);
    }
    Json session_update(const std::string& ref, const Json& fields) const {
        const char* out = nullptr;
        detail::check_status(h_, t_->session_update(h_, ref.c_str(), fields.dump().c_str(), &out));
        return detail::parse_out(out);
    }
    // sessions.json's entries as records. An entry that is not one (not an
    // object, or a named member of the wrong type: another tool's record) is
    // left out rather than failing the whole list.
    std::vector<SessionRecord> sessions() const {
        std::vector<SessionRecord> out;
        const Json doc = read("sessions");
        if (!doc.is_array()) return out;
        for (const Json& item : doc.as_array()) {
            try {
                out.push_back(SessionRecord::from_json(item));
            } catch (const ContractError&) {}
        }
        return out;
    }
    // The typed forms (mgpux/contracts.hpp). session_find is session_get with
    // "no such session" as an empty optional; session_update sends only the
    // members `fields` sets and answers the merged session (empty when none
    // matched).
    SessionRecord session_save(const SessionRecord& session) const {
        return SessionRecord::from_json(session_save(session.to_json()));
    }
    std::optional<SessionRecord> session_find(const std::string& ref) const {
        return optional_session(session_get(ref));
    }
    std::optional<SessionRecord> session_update(const std::string& ref, const SessionRecord& fields) const {
        return optional_session(session_update(ref, fields.to_json()));
    }
    uint32_t session_forget(const std::string& ref) const {
        uint32_t n = 0;
        detail::check_status(h_, t_->session_forget(h_, ref.c_str(), &n));
        return n;
    }
    Json preset_list() const {
        const char* out = nullptr;
        detail::check_status(h_, t_->preset_list(h_, &out));
        return detail::parse_out(out);
    }
    Json preset_get(const std::string& name) const { return call1(t_->preset_get, name); }
    Json preset_save(const std::string& name, const Json& fields) const {
        const char* out = nullptr;
        detail::check_status(h_, t_->preset_save(h_, name.c_str(), fields.dump().c_str(), &out));
        return detail::parse_out(out);
    }
    // The typed forms: preset_find is preset_get with "no such preset" as an
    // empty optional; preset_save answers the preset as saved.
    std::optional<PresetFields> preset_find(const std::string& name) const {
        const Json doc = preset_get(name);
        if (doc.is_null()) return std::nullopt;
        return PresetFields::from_json(doc);
    }
    PresetFields preset_save(const std::string& name, const PresetFields& fields) const {
        return PresetFields::from_json(preset_save(name, fields.to_json()));
    }
    bool preset_delete(const std::string& name) const {
        int32_t deleted = 0;
        detail::check_status(h_, t_->preset_delete(h_, name.c_str(), &deleted));
        return deleted != 0;
    }

private:
    static std::optional<SessionRecord> optional_session(const Json& doc) {
        if (doc.is_null()) return std::nullopt;
        return SessionRecord::from_json(doc);
    }
    struct EditContext {
        const EditFn* fn;
        std::string replacement;
        std::exception_ptr error;
    };
    static int32_t edit_trampoline(void* user, const char* current, const char** out) noexcept {
        auto* ctx = static_cast<EditContext*>(user);
        try {
            Json replacement;
            *out = nullptr;
            if ((*ctx->fn)(Json::parse(current ? current : "null"), replacement)) {
                ctx->replacement = replacement.dump();
                *out = ctx->replacement.c_str();
            }
            return MGPUX_OK;
        } catch (...) {
            ctx->error = std::current_exception();
            return MGPUX_E_FAILED;
        }
    }
    template <typename Fn>
    Json call1(Fn fn, const std::string& arg) const {
        const char* out = nullptr;
        detail::check_status(h_, fn(h_, arg.c_str(), &out));
        return detail::parse_out(out);
    }
    const mgpux_host* h_;
    const mgpux_state_service* t_;
};

}  // namespace mgpux

#endif  // MGPUX_SERVICES_STATE_HPP
