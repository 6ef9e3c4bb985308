// libFuzzer target for the pasted `modal token set …` parser: never crash,
// and a parse always yields non-empty tokens without whitespace that occur in
// the input.
#include "services/profile_store.hpp"

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace mgpux::services;

namespace {

bool plain_token(const std::string& t, std::string_view input) {
    if (t.empty() || input.find(t) == std::string_view::npos) return false;
    for (unsigned char c : t)
        if (std::isspace(c)) return false;
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto parsed = parse_token_command(input);
    if (!parsed) return 0;
    if (!plain_token(parsed->token_id, input) || !plain_token(parsed->token_secret, input)) std::abort();
    if (parsed->profile && !plain_token(*parsed->profile, input)) std::abort();
    return 0;
}
