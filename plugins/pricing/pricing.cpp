// `m-gpux pricing`: the rates behind every price m-gpux shows (the pickers,
// the launch summary, the budget warnings), read from the host's catalog so
// that this table and those prices cannot disagree. A plugin of its own
// rather than part of `budget`: it needs no account and no billing call.
#include <mgpux/plugin.hpp>

#include <cstdio>

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

int show(const mgpux::Host& host, const mgpux::Args& args) {
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
        doc.set("age_s", Json());  // a static table has no age
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
    host.info(source == "static" ? "Source: the static table built into m-gpux (Modal's published rates); age: fixed "
                                   "at build time. Check modal.com/pricing for today's.\n"
                                 : "Source: " + source + "\n");
    return MGPUX_OK;
}

const mgpux::Commands kCommands{
    mgpux::command("pricing", "Show the Modal rates behind m-gpux's price estimates", show)
        .help("GPU prices per hour, CPU per core-hour, memory per GiB-hour, sandbox rates and volume\n"
              "storage, with where the table comes from. The pickers and the launch summary use these\n"
              "rates; a GPU count multiplies the GPU's price.\n\n"
              "Example:\n  m-gpux pricing\n  m-gpux pricing --json")
        .flags(MGPUX_CMDF_JSON),
};

}  // namespace
}  // namespace pricing

MGPUX_CPP_PLUGIN_COMMANDS("pricing", "0.1.0", "The Modal rates behind price estimates", "Accounts", pricing::kCommands)
