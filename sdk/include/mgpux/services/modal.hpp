// SPDX-License-Identifier: MIT
// mgpux/services/modal.hpp — the C++ wrapper over mgpux/service/modal.h.
#ifndef MGPUX_SERVICES_MODAL_HPP
#define MGPUX_SERVICES_MODAL_HPP

#include "service.hpp"
#include "../contracts.hpp"
#include "../service/modal.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mgpux {

// Every `modal` call but running a script (mgpux.modal/1).
class Modal {
public:
    explicit Modal(const Host& host)
        : h_(host.raw()), t_(detail::require_service<mgpux_modal_service>(host, MGPUX_SERVICE_MODAL)) {}
    // `profile` empty = the command's --profile. Returns the result object;
    // a failing call throws (the status says why).
    Json call(const std::vector<std::string>& args, const std::string& profile = std::string(), double timeout_s = 60,
              bool inherit_output = false) const {
        Json req = request(args, timeout_s);
        req.set("profile", profile.empty() ? Json() : Json(profile));
        if (inherit_output) req.set("output", "inherit");
        const char* out = nullptr;
        detail::check_status(h_, t_->call(h_, req.dump().c_str(), &out));
        return detail::parse_out(out);
    }
    // The same call, but a failing `modal` is not thrown: the result comes
    // back with "ok": false and the host's "error" message. A missing
    // program, a bad request or Ctrl-C still throw.
    Json try_call(const std::vector<std::string>& args, const std::string& profile = std::string(),
                  double timeout_s = 60) const {
        Json req = request(args, timeout_s);
        req.set("profile", profile.empty() ? Json() : Json(profile));
        const char* out = nullptr;
        const int32_t status = t_->call(h_, req.dump().c_str(), &out);
        if (status != MGPUX_OK && !(status == MGPUX_E_FAILED && out)) detail::check_status(h_, status);
        return detail::parse_out(out);
    }
    // One row per profile, in profile order (empty list = every profile).
    Json fan_out(const std::vector<std::string>& args, const std::vector<std::string>& profiles = {},
                 double timeout_s = 15) const {
        Json req = request(args, timeout_s);
        if (!profiles.empty()) {
            Json names = Json::array();
            for (const auto& p : profiles) names.push(p);
            req.set("profiles", names);
        }
        const char* out = nullptr;
        detail::check_status(h_, t_->fan_out(h_, req.dump().c_str(), &out));
        return detail::parse_out(out);
    }
    // Several different calls at once: each request is {"args": [...],
    // "profile": str|null, "timeout_s": n}. Rows in request order, each with
    // "ok" and "error"; a failing row never stops the others.
    Json call_many(const std::vector<Json>& requests) const {
        if (!MGPUX_HAS_MEMBER(t_, call_many))
            throw Error(MGPUX_E_FAILED, "this m-gpux host cannot run modal calls concurrently; update m-gpux");
        Json arr = Json::array();
        for (const auto& r : requests) arr.push(r);
        const char* out = nullptr;
        detail::check_status(h_, t_->call_many(h_, arr.dump().c_str(), &out));
        return detail::parse_out(out);
    }
    Json app_stop(const std::string& app_id, const std::string& profile = std::string()) const {
        const char* out = nullptr;
        detail::check_status(h_, t_->app_stop(h_, profile.empty() ? nullptr : profile.c_str(), app_id.c_str(), &out));
        return detail::parse_out(out);
    }
    void secret_create(const std::string& name, const Json& values, const std::string& profile = std::string()) const {
        detail::check_status(h_, t_->secret_create(h_, profile.empty() ? nullptr : profile.c_str(), name.c_str(),
                                                   values.dump().c_str()));
    }
    void secret_delete(const std::string& name, const std::string& profile = std::string()) const {
        detail::check_status(h_, t_->secret_delete(h_, profile.empty() ? nullptr : profile.c_str(), name.c_str()));
    }
    // The typed form of call (mgpux/contracts.hpp); a failing call throws as call does.
    ModalCallResult call(const ModalCallRequest& request) const {
        const char* out = nullptr;
        detail::check_status(h_, t_->call(h_, request.to_json().dump().c_str(), &out));
        return ModalCallResult::from_json(detail::parse_out(out));
    }

private:
    static Json request(const std::vector<std::string>& args, double timeout_s) {
        Json req = Json::object();
        Json a = Json::array();
        for (const auto& w : args) a.push(w);
        req.set("args", a);
        req.set("timeout_s", timeout_s);
        return req;
    }
    const mgpux_host* h_;
    const mgpux_modal_service* t_;
};

}  // namespace mgpux

#endif  // MGPUX_SERVICES_MODAL_HPP
