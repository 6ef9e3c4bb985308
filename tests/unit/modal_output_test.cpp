// SPDX-License-Identifier: MIT
#include "services/modal_output.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

using namespace mgpux::services;
namespace json = boost::json;

TEST(ModalOutput, AppIdShape) {
    EXPECT_TRUE(is_app_id("ap-Ab12Cd34Ef56Gh78Ij90Kl"));
    EXPECT_FALSE(is_app_id("ap-Ab12Cd34Ef56Gh78Ij90K"));
    EXPECT_FALSE(is_app_id("ap-Ab12Cd34Ef56Gh78Ij90Kl1"));
    EXPECT_FALSE(is_app_id("ap-Ab12Cd34Ef56Gh78Ij9-Kl"));
    EXPECT_FALSE(is_app_id("fu-Ab12Cd34Ef56Gh78Ij90Kl"));
}

TEST(ModalOutput, AppIdOnlyFromModalsOwnLines) {
    EXPECT_EQ(app_id_in_line("✓ Initialized. View run at https://modal.com/apps/ws/main/ap-Ab12Cd34Ef56Gh78Ij90Kl"),
              "ap-Ab12Cd34Ef56Gh78Ij90Kl");
    EXPECT_EQ(app_id_in_line("Stream App logs: modal app logs ap-Zz98Yy76Xx54Ww32Vv10Uu"), "ap-Zz98Yy76Xx54Ww32Vv10Uu");
    // a container printing an id is not Modal naming the app it runs
    EXPECT_FALSE(app_id_in_line("container says ap-Ab12Cd34Ef56Gh78Ij90Kl"));
    // too long to be an id
    EXPECT_FALSE(app_id_in_line("View run at https://modal.com/apps/ws/main/ap-Ab12Cd34Ef56Gh78Ij90Klx"));
}

TEST(ModalOutput, MarkersReadyResultAndWebUrls) {
    MarkerScanner s;
    s.feed("✓ Initialized. View run at https://modal.com/apps/ws/main/ap-Ab12Cd34Ef56Gh78Ij90Kl");
    s.feed("[m-gpux] READY https://abc.modal.host  ");
    s.feed("2026-01-01 [m-gpux] RESULT {\"loss\": 0.5, \"ok\": true}");
    s.feed("[m-gpux] RESULT {broken");
    s.feed("├── 🔨 Created web function serve => https://ws--app-serve-dev.modal.run 🔑");
    s.feed("[m-gpux] READY");  // no URL: ignored
    ASSERT_TRUE(s.app_id());
    EXPECT_EQ(*s.app_id(), "ap-Ab12Cd34Ef56Gh78Ij90Kl");
    EXPECT_EQ(s.ready_urls(), std::vector<std::string>{"https://abc.modal.host"});
    ASSERT_EQ(s.results().size(), 1u);
    EXPECT_EQ(s.results()[0].at("loss").as_double(), 0.5);
    EXPECT_EQ(s.bad_results(), std::vector<std::string>{"{broken"});
    EXPECT_EQ(s.web_urls(), std::vector<std::string>{"https://ws--app-serve-dev.modal.run"});
}

TEST(ModalOutput, FirstAppIdWins) {
    MarkerScanner s;
    s.feed("View run at https://modal.com/apps/ws/main/ap-Ab12Cd34Ef56Gh78Ij90Kl");
    s.feed("View run at https://modal.com/apps/ws/main/ap-Zz98Yy76Xx54Ww32Vv10Uu");
    EXPECT_EQ(*s.app_id(), "ap-Ab12Cd34Ef56Gh78Ij90Kl");
}

TEST(ModalOutput, KeysNormalisedFromBothSpellings) {
    const auto titled = json::parse(R"([{"App ID": "ap-1", "Description": "d", "State": "deployed",
                                         "Tasks": "1", "Created at": "x", "Stopped at": null}])");
    const auto snake = json::parse(R"([{"app_id": "ap-1", "description": "d", "state": "deployed",
                                        "tasks": "1", "created_at": "x", "stopped_at": null}])");
    EXPECT_EQ(normalise_keys(titled), snake);
    EXPECT_EQ(normalise_keys(snake), snake);
    EXPECT_EQ(snake_key("App ID"), "app_id");
    EXPECT_EQ(normalise_keys(json::value(3)), json::value(3));
}

TEST(ModalOutput, DeploymentPageAndItsEnvironment) {
    MarkerScanner s;
    s.feed("✓ App deployed in 2.104s! 🎉");
    s.feed("View Deployment: https://modal.com/apps/ws/dev-env/deployed/m-gpux-host-demo");
    s.feed("View Deployment: https://modal.com/apps/ws/other/deployed/second");  // the first one wins
    ASSERT_TRUE(s.deployment_url());
    EXPECT_EQ(*s.deployment_url(), "https://modal.com/apps/ws/dev-env/deployed/m-gpux-host-demo");
    EXPECT_FALSE(s.app_id());  // a deploy names no app id
    EXPECT_EQ(environment_of_deployment(*s.deployment_url()), "dev-env");
    EXPECT_EQ(environment_of_deployment("https://modal.com/apps/ws/main/deployed/x"), "main");
    EXPECT_FALSE(environment_of_deployment("https://modal.com/apps/ws/main/ap-Ab12Cd34Ef56Gh78Ij90Kl"));
    EXPECT_FALSE(environment_of_deployment("https://modal.com/apps/ws/ma in/deployed/x"));
    EXPECT_FALSE(environment_of_deployment("http://modal.com/apps/ws/main/deployed/x"));
    MarkerScanner plain;
    plain.feed("View Deployment: not-a-url");
    EXPECT_FALSE(plain.deployment_url());
}
