// SPDX-License-Identifier: MIT
// mgpux/services/profiles.hpp — the C++ wrapper over mgpux/service/profiles.h.
#ifndef MGPUX_SERVICES_PROFILES_HPP
#define MGPUX_SERVICES_PROFILES_HPP

#include "service.hpp"
#include "../service/profiles.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mgpux {

// Modal profiles (mgpux.profiles/1).
class Profiles {
public:
    explicit Profiles(const Host& host)
        : h_(host.raw()), t_(detail::require_service<mgpux_profiles_service>(host, MGPUX_SERVICE_PROFILES)) {}
    Json list() const {
        const char* out = nullptr;
        detail::check_status(h_, t_->list(h_, &out));
        return detail::parse_out(out);
    }
    // The profile in use: `requested` (empty = the command's --profile) or
    // the active one; empty when there is none.
    std::string resolve(const std::string& requested = std::string()) const {
        const char* out = nullptr;
        detail::check_status(h_, t_->resolve(h_, requested.empty() ? nullptr : requested.c_str(), &out));
        return out ? out : "";
    }
    bool upsert(const std::string& name, const std::string& token_id, const std::string& token_secret,
                bool activate = false) const {
        int32_t created = 0;
        detail::check_status(
            h_, t_->upsert(h_, name.c_str(), token_id.c_str(), token_secret.c_str(), activate ? 1 : 0, &created));
        return created != 0;
    }
    // The newly active profile when the removed one was active, else "".
    std::string remove(const std::string& name) const {
        const char* out = nullptr;
        detail::check_status(h_, t_->remove(h_, name.c_str(), &out));
        return out ? out : "";
    }
    void set_active(const std::string& name) const { detail::check_status(h_, t_->set_active(h_, name.c_str())); }
    Json parse_token_command(const std::string& pasted) const {
        const char* out = nullptr;
        detail::check_status(h_, t_->parse_token_command(h_, pasted.c_str(), &out));
        return detail::parse_out(out);
    }

private:
    const mgpux_host* h_;
    const mgpux_profiles_service* t_;
};

}  // namespace mgpux

#endif  // MGPUX_SERVICES_PROFILES_HPP
