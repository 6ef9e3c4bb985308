// SPDX-License-Identifier: MIT
// libFuzzer target for the pasted `modal token set …` parser: never crash,
// a refusal is a usage error, and a parse always yields non-empty tokens
// without whitespace or quotes that occur in the input.
#include "services/profile_store.hpp"
#include "services/service_error.hpp"

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

using namespace mgpux::services;

namespace {

bool plain_token(const std::string& t, std::string_view input) {
    if (t.empty() || input.find(t) == std::string_view::npos) return false;
    for (unsigned char c : t)
        if (std::isspace(c) || c == '"' || c == '\'') return false;
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    std::optional<TokenCommand> parsed;
    try {
        parsed = parse_token_command(input);
    } catch (const ServiceError& e) {
        if (e.code != kExitUsage) std::abort();  // an unclosed quote is refused as a usage error
        return 0;
    }
    if (!parsed) return 0;
    if (!plain_token(parsed->token_id, input) || !plain_token(parsed->token_secret, input)) std::abort();
    if (parsed->profile && !plain_token(*parsed->profile, input)) std::abort();
    return 0;
}
