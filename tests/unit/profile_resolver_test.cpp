// SPDX-License-Identifier: MIT
// One profile precedence for every service: a plugin's override, else --profile, else
// $MODAL_PROFILE, else the active profile of the file; a name that is not there is a usage error.
#include "host_context.hpp"
#include "services/modal_service.hpp"
#include "services/profile_store.hpp"
#include "services/service_error.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

namespace mgpux::services {
namespace {

// Sets (or unsets, with nullptr) an environment variable for one test.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = std::string(old);
        value ? ::setenv(name, value, 1) : ::unsetenv(name);
    }
    ~ScopedEnv() { old_ ? ::setenv(name_, old_->c_str(), 1) : ::unsetenv(name_); }

private:
    const char* name_;
    std::optional<std::string> old_;
};

using Name = std::optional<std::string>;

TEST(ProfileResolver, OverrideThenCommandLineThenEnvironment) {
    ScopedEnv env("MODAL_PROFILE", "from-env");
    EXPECT_EQ(named_profile(Name("plugin"), Name("cli")), Name("plugin"));
    EXPECT_EQ(named_profile(std::nullopt, Name("cli")), Name("cli"));
    EXPECT_EQ(named_profile(std::nullopt, std::nullopt), Name("from-env"));
}

TEST(ProfileResolver, EmptyNamesCountAsNone) {
    ScopedEnv env("MODAL_PROFILE", "");
    EXPECT_EQ(named_profile(Name(""), Name("cli")), Name("cli"));
    EXPECT_EQ(named_profile(Name(""), Name("")), std::nullopt);
    EXPECT_EQ(named_profile(std::nullopt, std::nullopt), std::nullopt);
}

class ProfileServices : public ::testing::Test {
protected:
    mgpux::testing::TempDir dir;
    ScopedEnv config{
        "MODAL_CONFIG_PATH",
        dir.file("modal.toml", "[alice]\ntoken_id = \"a\"\n\n[work]\ntoken_id = \"w\"\nactive = true\n", 0600).c_str()};
    ScopedEnv env{"MODAL_PROFILE", nullptr};
    HostContext ctx;
};

// The modal service pins what the resolver names and checks it against the file.
TEST_F(ProfileServices, ModalServicePinsTheSameProfile) {
    ctx.globals.profile = "alice";
    const ModalService modal(ctx);
    EXPECT_EQ(modal.pin_profile(std::nullopt), Name("alice"));
    EXPECT_EQ(modal.pin_profile(Name("work")), Name("work"));
    // An empty override is no override: the command's --profile still holds.
    EXPECT_EQ(modal.pin_profile(Name("")), Name("alice"));
    try {
        (void)modal.pin_profile(Name("nobody"));
        FAIL() << "an unknown profile was pinned";
    } catch (const ServiceError& e) {
        EXPECT_EQ(e.code, kExitUsage);
    }
}

TEST_F(ProfileServices, NothingNamedFallsBackToTheActiveProfile) {
    const ProfileStore store(modal_config_path());
    EXPECT_EQ(store.resolve(named_profile(std::nullopt, std::nullopt)), Name("work"));
    ScopedEnv named("MODAL_PROFILE", "alice");
    EXPECT_EQ(store.resolve(named_profile(std::nullopt, std::nullopt)), Name("alice"));
}

}  // namespace
}  // namespace mgpux::services
