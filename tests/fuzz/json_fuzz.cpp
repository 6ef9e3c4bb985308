// libFuzzer target for util::parse_json and pretty_json: anything that
// parses must pretty-print to text that parses back to the same value.
#include "util/json.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    try {
        boost::json::value v = mgpux::util::parse_json(input);
        boost::json::value again = mgpux::util::parse_json(mgpux::util::pretty_json(v));
        if (again != v) std::abort();
    } catch (const mgpux::util::JsonParseError& e) {
        if (e.offset > size) std::abort();
    }
    return 0;
}
