// SPDX-License-Identifier: MIT
// `m-gpux pricing`: the rates behind every price m-gpux shows (the pickers,
// the launch summary, the budget warnings), read from the host's catalog so
// that this table and those prices cannot disagree. A plugin of its own
// rather than part of `budget`: it needs no account and no billing call.
#include "pricing_logic.hpp"

#include <mgpux/plugin.hpp>

#include <cstdio>
#include <ctime>

namespace pricing {
namespace {

using mgpux::Json;

std::string usd(double v, const char* unit) {
    char buf[64];
    std::snprintf(buf, sizeof buf, v < 0.10 ? "$%.4f%s" : "$%.2f%s", v, unit);
    return buf;
}

double rate(const Json& rates, const char* key) {
    const Json* v = rates.find(key);
    return v && v->is_number() ? v->as_float() : 0.0;
}

// The workspace's own rates (`modal billing rates`, Modal 1.5.4+), from the
// cache while it is under 7 days old; nullopt (and why, in `note`) when the
// installed Modal cannot give them.
std::optional<LiveRates> live_rates(const mgpux::Host& host, bool refresh, std::string& note) {
    const long long now = static_cast<long long>(std::time(nullptr));
    const auto cached = parse_cache(mgpux::State(host).read(kDocument));
    if (cached && is_fresh(*cached, now) && !refresh) return cached;
    host.progress("Fetching the workspace's rates");
    Json r = Json::object();
    try {
        r = mgpux::Modal(host).call({"billing", "rates", "--json"}, "", 30);
    } catch (const mgpux::Error& e) {
        // No account, an old modal or none at all: the static table still answers.
        if (e.code() != MGPUX_E_FAILED && e.code() != MGPUX_E_MISSING_PROGRAM && e.code() != MGPUX_E_CONFIG) throw;
        r.set("error", std::string(e.what()));
    }
    host.progress(nullptr);
    const Json* answer = r.find("json");
    const auto live = r.bool_or("ok") && answer ? from_answer(*answer, now) : std::nullopt;
    if (!live) {
        note = "live rates unavailable (" + r.string_or("error", "an answer that is not a table of rates") +
               "); `modal billing rates` needs Modal 1.5.4 or newer";
        return std::nullopt;
    }
    mgpux::State(host).modify(kDocument, [&](const Json&, Json& replacement) {
        replacement = cache_json(*live);
        return true;
    });
    return live;
}

Json live_json(const LiveRates& live) {
    const Json doc = cache_json(live);
    return *doc.find("rates");
}

int show(const mgpux::Host& host, const mgpux::Args& args) {
    std::string note;
    const auto live = live_rates(host, args.flag("refresh-rates"), note);
    const long long age = live ? static_cast<long long>(std::time(nullptr)) - live->fetched_at : 0;
    const Json cat = mgpux::Catalog(host).get();
    const Json* rates = cat.find("rates");
    const Json none = Json::object();
    const Json& r = rates ? *rates : none;
    const std::string source = r.string_or("source", "static");
    if (args.global_flag("json")) {
        Json doc = Json::object();
        Json gpus = Json::array();
        if (const Json* gs = cat.find("gpus"); gs && gs->is_array())
            for (const Json& g : gs->as_array()) {
                Json row = Json::object();
                row.set("name", g.string_or("name"));
                const Json* p = g.find("price_per_hour");
                row.set("price_per_hour", p ? *p : Json());
                gpus.push(row);
            }
        doc.set("gpus", gpus);
        doc.set("rates", r);
        doc.set("source", source);
        doc.set("live_rates", live ? live_json(*live) : Json());
        doc.set("live_age_s", live ? Json(age) : Json());
        doc.set("note", note.empty() ? Json() : Json(note));
        host.json(doc);
        return MGPUX_OK;
    }
    std::vector<std::vector<Json>> rows;
    if (const Json* gs = cat.find("gpus"); gs && gs->is_array())
        for (const Json& g : gs->as_array()) {
            const Json* p = g.find("price_per_hour");
            rows.push_back({Json("GPU " + g.string_or("name")),
                            Json(p && p->is_number() ? usd(p->as_float(), " per GPU-hour") : "no rate of its own")});
        }
    rows.push_back({Json("CPU"), Json(usd(rate(r, "cpu_core_hour"), " per core-hour"))});
    rows.push_back({Json("Memory"), Json(usd(rate(r, "memory_gib_hour"), " per GiB-hour"))});
    rows.push_back({Json("Sandbox CPU"), Json(usd(rate(r, "sandbox_cpu_core_hour"), " per core-hour"))});
    rows.push_back({Json("Sandbox memory"), Json(usd(rate(r, "sandbox_memory_gib_hour"), " per GiB-hour"))});
    rows.push_back({Json("Volume storage"), Json(usd(rate(r, "volume_gib_month"), " per GiB-month"))});
    host.table({"Resource", "Rate (USD)"}, rows, "Modal rates");
    host.info(
        "Source: the static table built into m-gpux (Modal's published rates), which the pickers and "
        "launch summaries use.\n");
    if (live) {
        std::vector<std::vector<Json>> live_rows;
        for (const auto& [name, value] : live->rates) live_rows.push_back({Json(name), Json(value)});
        host.table({"Rate", "USD"}, live_rows, "Your workspace's rates (modal billing rates)");
        host.info("Fetched " + age_text(age) + " ago; kept for 7 days (--refresh-rates fetches them again).\n");
    } else {
        host.info(note + "\n");
    }
    return MGPUX_OK;
}

const mgpux_option kOptions[] = {
    mgpux::option("refresh-rates").flag().help("fetch the workspace's rates again even when the cache is fresh"),
};

const mgpux::Commands kCommands{
    mgpux::command("pricing", "Show the Modal rates behind m-gpux's price estimates", kOptions, show)
        .help("GPU prices per hour, CPU per core-hour, memory per GiB-hour, sandbox rates and volume\n"
              "storage, with where the table comes from. The pickers and the launch summary use these\n"
              "rates; a GPU count multiplies the GPU's price. The workspace's own rates (`modal billing\n"
              "rates`, Modal 1.5.4+) are shown too, cached in ~/.m-gpux/rates.json for 7 days.\n\n"
              "Example:\n  m-gpux pricing\n  m-gpux pricing --json")
        .flags(MGPUX_CMDF_JSON),
};

}  // namespace
}  // namespace pricing

MGPUX_CPP_PLUGIN_COMMANDS("pricing", "0.1.0", "The Modal rates behind price estimates", "Accounts", pricing::kCommands)
