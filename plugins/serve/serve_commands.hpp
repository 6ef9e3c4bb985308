// SPDX-License-Identifier: MIT
// The serve commands and the helpers they share (host-side: they use the
// services; the pure parts are in serve_logic.hpp).
#pragma once

#include "serve_logic.hpp"

#include <mgpux/plugin.hpp>

#include <functional>
#include <string>
#include <vector>

namespace serve {

// serve_keys.cpp
int keys_create(mgpux::Host& host, const mgpux::Args& args);
int keys_list(mgpux::Host& host, const mgpux::Args& args);
int keys_show(mgpux::Host& host, const mgpux::Args& args);
int keys_revoke(mgpux::Host& host, const mgpux::Args& args);
int keys_rotate(mgpux::Host& host, const mgpux::Args& args);

// serve_proxy.cpp
int proxy(mgpux::Host& host, const mgpux::Args& args);
// The directory of the shipped native proxy sources: <parent of a template
// dir>/proxy holding main.cpp, the user override first. Throws
// Error(MGPUX_E_CONFIG) naming every place looked at.
std::string find_proxy_sources(const mgpux::Host& host);

// serve_deploy.cpp
int deploy(mgpux::Host& host, const mgpux::Args& args);
int logs(mgpux::Host& host, const mgpux::Args& args);
int stop(mgpux::Host& host, const mgpux::Args& args);
// serve_monitor.cpp
int warmup(mgpux::Host& host, const mgpux::Args& args);
int dashboard(mgpux::Host& host, const mgpux::Args& args);

// Shared helpers (serve_keys.cpp).
bool dry_run(const mgpux::Args& args);
bool json_out(const mgpux::Args& args);
std::vector<ApiKey> read_keys(const mgpux::Host& host);
std::vector<ApiKey> edit_keys(const mgpux::Host& host, const std::function<bool(std::vector<ApiKey>&)>& edit);
ApiKey make_key(const std::string& name);
// {name, key (full or masked), created, active}.
Json key_json(const ApiKey& k, bool full);
// Recorded serve deployments (sessions of kind "serve") not known stopped.
std::vector<mgpux::SessionRecord> serve_sessions(const mgpux::Host& host);
void sync_deployments(const mgpux::Host& host, const mgpux::Args& args, const std::vector<ApiKey>& keys);
// The key to send to an endpoint: $MGPUX_API_KEY, else --key NAME, else the first active key.
std::string client_key(const mgpux::Host& host, const mgpux::Args& args);
// The endpoint: --url, else the URL recorded for the deployment (--name), else asked.
std::string endpoint_url(const mgpux::Host& host, const mgpux::Args& args);

}  // namespace serve
