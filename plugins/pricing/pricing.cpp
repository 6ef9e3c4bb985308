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

// One row of the table: a resource, its rate and unit, and whether the rate
// is the workspace's own (live) or the built-in one (static).
struct Row {
    std::string resource;
    Json usd;  // null: no rate of its own
    std::string unit;
    Json source;  // "live" | "static" | null
};

std::vector<Row> table_rows(const Json& cat) {
    std::vector<Row> rows;
    if (const Json* gs = cat.find("gpus"); gs && gs->is_array())
        for (const Json& g : gs->as_array()) {
            const Json* p = g.find("price_per_hour");
            const Json* src = g.find("price_source");
            rows.push_back({"GPU " + g.string_or("name"), p ? *p : Json(), "GPU-hour", src ? *src : Json()});
        }
    const Json* r = cat.find("rates");
    const Json none = Json::object();
    const Json& rates = r ? *r : none;
    const Json* sources = rates.find("sources");
    const auto add = [&](const char* resource, const char* key, const char* unit) {
        const Json* v = rates.find(key);
        const Json* src = sources ? sources->find(key) : nullptr;
        rows.push_back({resource, v ? *v : Json(), unit, src ? *src : Json("static")});
    };
    add("CPU", "cpu_core_hour", "core-hour");
    add("Memory", "memory_gib_hour", "GiB-hour");
    add("Sandbox CPU", "sandbox_cpu_core_hour", "core-hour");
    add("Sandbox memory", "sandbox_memory_gib_hour", "GiB-hour");
    add("Volume storage", "volume_gib_month", "GiB-month");
    return rows;
}

std::string rate_cell(const Row& row) {
    return row.usd.is_number() ? usd(row.usd.as_float(), (" per " + row.unit).c_str()) : "no rate of its own";
}

// Where the prices come from, in words: "static", "live (fetched 2 h ago)", "mixed (...)".
std::string source_words(const Json& rates) {
    const std::string source = rates.string_or("source", "static");
    if (source == "static") return "the static table built into m-gpux (Modal's published rates)";
    const Json* age = rates.find("live_age_s");
    const std::string when =
        age && age->is_number() ? "fetched " + age_text(static_cast<long long>(age->as_float())) + " ago" : "";
    if (source == "live") return "your workspace's rates (" + when + ")";
    return "your workspace's rates (" + when + ") where it names them, the static table elsewhere";
}

// Whether the host's catalog prices with this cache: the host alone decides
// how long a cache stays fresh (7 days) and what a usable one looks like.
bool catalog_uses(const mgpux::Host& host, const LiveRates& cached) {
    const Json cat = mgpux::Catalog(host).get();
    const Json* rates = cat.find("rates");
    const Json* at = rates ? rates->find("live_fetched_at") : nullptr;
    return at && at->is_number() && static_cast<long long>(at->as_float()) == cached.fetched_at;
}

// The workspace's own rates (`modal billing rates`, Modal 1.5.4+), from the
// cache while the catalog still uses it; nullopt (and why, in `note`) when the
// installed Modal cannot give them.
std::optional<LiveRates> live_rates(const mgpux::Host& host, bool refresh, std::string& note) {
    const long long now = static_cast<long long>(std::time(nullptr));
    const auto cached = parse_cache(mgpux::State(host).read(kDocument));
    if (cached && !refresh && catalog_uses(host, *cached)) return cached;
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

Json rows_json(const std::vector<Row>& rows) {
    Json out = Json::array();
    for (const Row& row : rows) {
        Json j = Json::object();
        j.set("resource", row.resource);
        j.set("usd", row.usd);
        j.set("unit", row.unit);
        j.set("source", row.source);
        out.push(j);
    }
    return out;
}

Json gpus_json(const Json& cat) {
    Json gpus = Json::array();
    if (const Json* gs = cat.find("gpus"); gs && gs->is_array())
        for (const Json& g : gs->as_array()) {
            Json row = Json::object();
            row.set("name", g.string_or("name"));
            const Json* p = g.find("price_per_hour");
            const Json* src = g.find("price_source");
            row.set("price_per_hour", p ? *p : Json());
            row.set("source", src ? *src : Json());
            gpus.push(row);
        }
    return gpus;
}

void print_json(const mgpux::Host& host, const Json& cat, const Json& rates, const std::optional<LiveRates>& live,
                const std::string& note) {
    const long long age = live ? static_cast<long long>(std::time(nullptr)) - live->fetched_at : 0;
    Json doc = Json::object();
    doc.set("gpus", gpus_json(cat));
    doc.set("rows", rows_json(table_rows(cat)));
    doc.set("rates", rates);
    doc.set("source", rates.string_or("source", "static"));
    doc.set("live_rates", live ? live_json(*live) : Json());
    doc.set("live_age_s", live ? Json(age) : Json());
    const Json* unrecognised = rates.find("unrecognised");
    doc.set("unrecognised", unrecognised ? *unrecognised : Json(Json::Array{}));
    doc.set("note", note.empty() ? Json() : Json(note));
    host.json(doc);
}

void print_live_table(const mgpux::Host& host, const Json& rates, const LiveRates& live) {
    const Json* recognised = rates.find("recognised");
    std::vector<std::vector<Json>> rows;
    for (const auto& [name, value] : live.rates) {
        const Json* what = recognised ? recognised->find(name) : nullptr;
        rows.push_back({Json(name), Json(value),
                        Json(what && what->is_string() ? what->as_string() : "not recognised, not used")});
    }
    host.table({"Rate", "USD", "Prices"}, rows, "Your workspace's rates (modal billing rates)");
    const long long age = static_cast<long long>(std::time(nullptr)) - live.fetched_at;
    host.info("Fetched " + age_text(age) + " ago; kept for 7 days (--refresh-rates fetches them again).\n");
}

int show(const mgpux::Host& host, const mgpux::Args& args) {
    std::string note;
    const auto live = live_rates(host, args.flag("refresh-rates"), note);
    const Json cat = mgpux::Catalog(host).get();  // read after the fetch: it prices with the fresh cache
    const Json* r = cat.find("rates");
    const Json rates = r ? *r : Json::object();
    if (args.global_flag("json")) {
        print_json(host, cat, rates, live, note);
        return MGPUX_OK;
    }
    std::vector<std::vector<Json>> rows;
    for (const Row& row : table_rows(cat))
        rows.push_back(
            {Json(row.resource), Json(rate_cell(row)), Json(row.source.is_string() ? row.source : Json("-"))});
    host.table({"Resource", "Rate (USD)", "Source"}, rows, "Modal rates");
    host.info("Source: " + source_words(rates) + "; the pickers and launch summaries use these rates.\n");
    if (live) print_live_table(host, rates, *live);
    else host.info(note + "\n");
    return MGPUX_OK;
}

const mgpux_option kOptions[] = {
    mgpux::option("refresh-rates").flag().help("fetch the workspace's rates again even when the cache is fresh"),
};

const mgpux::Commands kCommands{
    mgpux::command("pricing", "Show the Modal rates behind m-gpux's price estimates", kOptions, show)
        .help("GPU prices per hour, CPU per core-hour, memory per GiB-hour, sandbox rates and volume\n"
              "storage, each marked live or static. The pickers and the launch summary use these rates;\n"
              "a GPU count multiplies the GPU's price. The workspace's own rates (`modal billing rates`,\n"
              "Modal 1.5.4+) are cached in ~/.m-gpux/rates.json for 7 days; while fresh, each rate they\n"
              "name replaces the built-in one. Names that cannot be placed are listed and not used.\n\n"
              "Example:\n  m-gpux pricing\n  m-gpux pricing --json")
        .flags(MGPUX_CMDF_JSON),
};

}  // namespace
}  // namespace pricing

MGPUX_CPP_PLUGIN_COMMANDS("pricing", "0.1.0", "The Modal rates behind price estimates", "Accounts", pricing::kCommands)
