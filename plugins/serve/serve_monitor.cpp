// SPDX-License-Identifier: MIT
// `serve warmup` and `serve dashboard`: HTTP through the host's http service,
// always sending an API key (the proxy refuses /v1 and /stats without one).
#include "serve_commands.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <thread>

namespace serve {

namespace {

using Clock = std::chrono::steady_clock;

Json headers_for(const std::string& key, bool json_body = false) {
    Json h = Json::object();
    if (!key.empty()) h.set("Authorization", "Bearer " + key);
    if (json_body) h.set("Content-Type", "application/json");
    return h;
}

// One request; a transport failure (refused, DNS, timeout) is {"status": 0, "error": why}.
Json try_request(const mgpux::Http& http, const std::string& method, const std::string& url, const std::string& key,
                 double timeout_s, const std::string& body = std::string()) {
    Json req = Json::object();
    req.set("method", method);
    req.set("url", url);
    req.set("headers", headers_for(key, !body.empty()));
    if (!body.empty()) req.set("body", body);
    req.set("timeout_s", timeout_s);
    req.set("connect_timeout_s", timeout_s < 10 ? timeout_s : 10.0);
    try {
        return http.request(req);
    } catch (const mgpux::Error& e) {
        if (e.code() != MGPUX_E_FAILED) throw;  // usage errors and Ctrl-C are not retried
        Json failed = Json::object();
        failed.set("status", 0);
        failed.set("error", std::string(e.what()));
        return failed;
    }
}

// " (why)" for a request that got no answer, from the host's message.
std::string why_no_answer(const Json& r) {
    const std::string why = r.string_or("error");
    return why.empty() ? std::string() : " (" + why + ")";
}

Json body_json(const Json& r) {
    try {
        return Json::parse(r.string_or("body"));
    } catch (const mgpux::JsonError&) {
        return Json();
    }
}

std::string seconds(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1fs", s);
    return buf;
}

// Seconds since `since`, to the millisecond.
double elapsed(Clock::time_point since) {
    const double s = std::chrono::duration<double>(Clock::now() - since).count();
    return static_cast<double>(static_cast<long long>(s * 1000 + 0.5)) / 1000;
}

std::string short_body(const Json& r) {
    std::string b = r.string_or("body");
    for (auto& c : b)
        if (c == '\n' || c == '\r') c = ' ';
    return b.size() > 200 ? b.substr(0, 200) + "..." : b;
}

// Phase 1: /v1/models until it answers 200. While the container or vLLM
// starts, Modal holds the request or the proxy answers 502/503/504: retried.
Json wait_ready(const mgpux::Host& host, const mgpux::Http& http, const std::string& url, const std::string& key,
                double timeout_s) {
    const auto start = Clock::now();
    host.progress("waiting for the container (a cold start loads the model: minutes)");
    std::string last = "no answer";
    while (true) {
        const double left = timeout_s - elapsed(start);
        if (left <= 0) break;
        const Json r = try_request(http, "GET", url + "/v1/models", key, left < 120 ? left : 120);
        const long long st = r.int_or("status");
        if (st == 200) {
            host.progress(nullptr);
            return r;
        }
        if (st == 401 || st == 403) {
            host.progress(nullptr);
            throw mgpux::Error(MGPUX_E_FAILED, "the endpoint refused the API key (HTTP " + std::to_string(st) +
                                                   "); check MGPUX_API_KEY or --key");
        }
        if (st != 0 && st != 502 && st != 503 && st != 504) {
            host.progress(nullptr);
            throw mgpux::Error(MGPUX_E_FAILED,
                               "GET " + url + "/v1/models answered HTTP " + std::to_string(st) + ": " + short_body(r));
        }
        last = st == 0 ? "no connection" + why_no_answer(r) : "HTTP " + std::to_string(st);
        std::this_thread::sleep_for(std::chrono::milliseconds(left > 2 ? 2000 : 200));
    }
    host.progress(nullptr);
    throw mgpux::Error(MGPUX_E_FAILED,
                       "the endpoint was not ready after " + seconds(timeout_s) + " (last: " + last + ")");
}

}  // namespace

int warmup(mgpux::Host& host, const mgpux::Args& args) {
    const std::string url = endpoint_url(host, args);
    const std::string key = client_key(host, args);
    const double timeout_s = args.number("timeout", 600);
    if (!(timeout_s > 0)) throw mgpux::usage_error("--timeout: must be above 0");
    if (dry_run(args)) {
        host.text("dry run: would GET " + url + "/v1/models, then POST " + url + "/v1/chat/completions\n");
        return MGPUX_OK;
    }
    const mgpux::Http http(host);
    host.info("Warming up " + url + "\n");
    const auto start = Clock::now();
    const Json models = wait_ready(host, http, url, key, timeout_s);
    const double ready_s = elapsed(start);
    if (!json_out(args)) host.success("Container ready in " + seconds(ready_s) + "\n");
    std::string model = args.str("model");
    if (model.empty()) model = first_model_id(body_json(models));
    if (model.empty()) throw mgpux::usage_error("/v1/models listed no model: pass --model");

    Json body = Json::object();
    body.set("model", model);
    Json msg = Json::object();
    msg.set("role", "user");
    msg.set("content", "Hi");
    body.set("messages", Json(Json::Array{msg}));
    body.set("max_tokens", 1);
    const auto t2 = Clock::now();
    host.progress(("first inference with " + model).c_str());
    const Json r = try_request(http, "POST", url + "/v1/chat/completions", key, 120, body.dump());
    host.progress(nullptr);
    const double inference_s = elapsed(t2);
    const long long st = r.int_or("status");
    if (json_out(args)) {
        Json doc = Json::object();
        doc.set("url", url);
        doc.set("model", model);
        doc.set("ready_s", ready_s);
        doc.set("inference_s", st == 200 ? Json(inference_s) : Json());
        doc.set("inference_status", st == 0 ? Json() : Json(st));
        doc.set("ok", st == 200);
        host.json(doc);
    }
    if (st != 200)
        throw mgpux::Error(MGPUX_E_FAILED, "the first inference failed: " +
                                               (st == 0 ? "no answer" + why_no_answer(r)
                                                        : "HTTP " + std::to_string(st) + ": " + short_body(r)));
    if (!json_out(args)) host.success("First inference (" + model + ") done in " + seconds(inference_s) + "\n");
    return MGPUX_OK;
}

// ---------------------------------------------------------------- dashboard

namespace {

Json poll(const mgpux::Http& http, const std::string& url, const std::string& key) {
    std::string error;
    Json stats, health;
    const Json s = try_request(http, "GET", url + "/stats", key, 5);
    if (s.int_or("status") == 200) stats = body_json(s);
    else
        error = s.int_or("status") == 0 ? "cannot reach " + url + "/stats" + why_no_answer(s)
                                        : "/stats answered HTTP " + std::to_string(s.int_or("status"));
    const Json h = try_request(http, "GET", url + "/health", "", 5);
    if (h.int_or("status") != 0) health = body_json(h);
    else if (error.empty()) error = "cannot reach /health" + why_no_answer(h);
    return dashboard_snapshot(url, stats.is_object() ? stats : Json(), health.is_object() ? health : Json(), error);
}

std::string clock_text() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
    return buf;
}

std::string frame(const Json& snap) {
    std::string text;
    for (const auto& line : dashboard_lines(snap, clock_text())) text += line + "\n";
    return text;
}

}  // namespace

int dashboard(mgpux::Host& host, const mgpux::Args& args) {
    const bool once = args.flag("once");
    if (json_out(args) && !once) throw mgpux::usage_error("--json prints one snapshot: add --once");
    const double interval = args.number("interval", 3.0);
    if (!(interval >= 0.5) || interval > 3600) throw mgpux::usage_error("--interval: 0.5 to 3600 seconds");
    const std::string url = endpoint_url(host, args);
    const std::string key = client_key(host, args);
    if (dry_run(args)) {
        host.text("dry run: would poll " + url + "/stats and " + url + "/health\n");
        return MGPUX_OK;
    }
    const mgpux::Http http(host);
    if (once) {
        const Json snap = poll(http, url, key);
        if (json_out(args)) host.json(snap);
        else host.text(frame(snap));
        if (snap.string_or("status") == "offline")
            throw mgpux::Error(MGPUX_E_FAILED, "no answer from " + url + ": " + snap.string_or("error"));
        return MGPUX_OK;
    }
    // Redrawn in place on a terminal; elsewhere one frame after another.
    const bool tty = ::isatty(STDOUT_FILENO) != 0;
    host.info("Dashboard of " + url + " every " + seconds(interval) + "; Ctrl+C to stop\n");
    while (true) {
        const Json snap = poll(http, url, key);
        host.text((tty ? "\x1b[H\x1b[2J" : "") + frame(snap));
        std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<long long>(interval * 1000)));
    }
}

}  // namespace serve
