// SPDX-License-Identifier: MIT
// serve hashes its API keys with the plugins' SHA-256; the proxy that checks a
// presented key hashes it with its own copy inside its standalone sources. The
// two must agree byte for byte, or no key would ever be accepted.
#include "proxy_core.hpp"
#include "sha256.hpp"

#include <gtest/gtest.h>

#include <string>

TEST(Sha256Agreement, PluginAndProxyGiveTheSameDigests) {
    std::string message;
    // Every length across the one- and two-block padding edges, and beyond.
    for (int length = 0; length <= 300; ++length) {
        EXPECT_EQ(mgpux::digest::sha256_hex(message), mgpux_proxy::sha256_hex(message)) << "length " << length;
        message += static_cast<char>((length * 131 + 7) & 0xff);
    }
    const std::string key = "sk-mgpux-0123456789abcdefghijklmnopqrstuv";
    EXPECT_EQ(mgpux::digest::sha256_hex(key), mgpux_proxy::sha256_hex(key));
}
