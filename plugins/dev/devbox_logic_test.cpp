// SPDX-License-Identifier: MIT
#include "devbox_logic.hpp"

#include <gtest/gtest.h>

using namespace dev::box;
using mgpux::Json;

TEST(DevBoxLogic, Names) {
    EXPECT_TRUE(valid_name("gpu-1"));
    EXPECT_FALSE(valid_name(""));
    EXPECT_FALSE(valid_name("-x"));
    EXPECT_FALSE(valid_name("Box"));
    EXPECT_FALSE(valid_name("a b"));
    EXPECT_FALSE(valid_name(std::string(41, 'a')));
    EXPECT_EQ(alias("gpu"), "m-gpux-gpu");
}

TEST(DevBoxLogic, ACorruptDocumentIsRefusedAsAConfigError) {
    EXPECT_EQ(boxes_document(Json(), "dev.json"), Json::object());
    try {
        boxes_document(Json::parse("[1]"), "dev.json");
        FAIL();
    } catch (const mgpux::Error& e) {
        EXPECT_EQ(e.code(), MGPUX_E_CONFIG);
    }
    EXPECT_THROW(boxes_document(Json::parse(R"({"a": 3})"), "dev.json"), mgpux::Error);
}

TEST(DevBoxLogic, ExpiryOnlyForRunningBoxes) {
    const Json running = Json::parse(R"({"state": "running", "expires_at": 1000})");
    EXPECT_FALSE(expired(running, 999));
    EXPECT_TRUE(expired(running, 1000));
    EXPECT_EQ(status(running, 2000), "expired");
    EXPECT_EQ(status(Json::parse(R"({"state": "paused", "expires_at": 1000})"), 2000), "paused");
    EXPECT_EQ(status(running, 999, "stopped"), "stopped");
    EXPECT_EQ(status(running, 999, "running"), "running");
}

TEST(DevBoxLogic, TheLastResultLineWins) {
    const auto r = parse_result("noise\n[m-gpux] RESULT {\"a\": 1}\r\n[m-gpux] RESULT {\"a\": 2}\nbye\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->find("a")->as_int(), 2);
    EXPECT_FALSE(parse_result("[m-gpux] RESULT not json\n"));
}

TEST(DevBoxLogic, KnownHosts) {
    EXPECT_EQ(known_hosts_line("gpu", "ssh-ed25519 AAAAC3 root@box\n"), "m-gpux-gpu ssh-ed25519 AAAAC3");
    EXPECT_EQ(known_hosts_line("gpu", ""), "");
    EXPECT_EQ(known_hosts_line("gpu", "garbage"), "");
    const std::string text = "other ssh-rsa AAA\nm-gpux-gpu ssh-ed25519 OLD\nm-gpux-gpu2 ssh-ed25519 K2";
    EXPECT_EQ(replace_known_host(text, "gpu", "m-gpux-gpu ssh-ed25519 NEW"),
              "other ssh-rsa AAA\nm-gpux-gpu2 ssh-ed25519 K2\nm-gpux-gpu ssh-ed25519 NEW\n");
    EXPECT_EQ(replace_known_host(text, "gpu", ""), "other ssh-rsa AAA\nm-gpux-gpu2 ssh-ed25519 K2\n");
}

TEST(DevBoxLogic, RsyncKeepsTheUploadRulesMeaning) {
    const auto push = rsync_args(true, "/p", "gpu", {"**/node_modules", "data/raw", "!**/keep.txt", "**/.env"}, false);
    EXPECT_EQ(push, (std::vector<std::string>{"-az", "--human-readable", "-e", "ssh", "--exclude=.env",
                                              "--include=keep.txt", "--exclude=data/raw", "--exclude=node_modules",
                                              "/p/", "m-gpux-gpu:/workspace/"}));
    const auto pull = rsync_args(false, "/p/", "gpu", {}, true);
    EXPECT_EQ(pull, (std::vector<std::string>{"-az", "--human-readable", "-e", "ssh", "--delete",
                                              "m-gpux-gpu:/workspace/", "/p/"}));
}

TEST(DevBoxLogic, VsCodeRemote) {
    EXPECT_EQ(code_args("gpu"), (std::vector<std::string>{"--remote", "ssh-remote+m-gpux-gpu", "/workspace"}));
}
