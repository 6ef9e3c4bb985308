// SPDX-License-Identifier: MIT
#include "image_store.hpp"

#include <gtest/gtest.h>

using namespace mgpux::images;
using mgpux::Json;

namespace {

const char* kStore = R"({
  "torch-base": {"profiles": ["work", "play"], "python": "3.11", "summary": "debian_slim + 2 pip",
                 "updated_at": "2026-12-01T10:00:00Z", "extra": 1},
  "alpha": {"profiles": ["work"], "python": "3.12"},
  "broken": "not an object"
})";

int code_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const mgpux::Error& e) {
        return e.code();
    }
    return 0;
}

}  // namespace

TEST(ImageStore, ParsesTheOriginalFormatSortedByName) {
    const auto images = parse_images(Json::parse(kStore));
    ASSERT_EQ(images.size(), 2u);  // the non-object entry is skipped
    EXPECT_EQ(images[0].name, "alpha");
    EXPECT_EQ(images[1].name, "torch-base");
    EXPECT_EQ(images[1].profiles, (std::vector<std::string>{"work", "play"}));
    EXPECT_EQ(images[1].python, "3.11");
    EXPECT_EQ(images[1].summary, "debian_slim + 2 pip");
    EXPECT_EQ(images[1].updated_at, "2026-12-01T10:00:00Z");
}

TEST(ImageStore, NoFileIsNoImagesAndAWrongTopLevelIsAConfigError) {
    EXPECT_TRUE(parse_images(Json()).empty());
    EXPECT_EQ(code_of([] { parse_images(Json::parse("[1, 2]")); }), MGPUX_E_CONFIG);
}

TEST(ImageStore, EntryRoundTrips) {
    const auto images = parse_images(Json::parse(kStore));
    Json doc = Json::object();
    doc.set(images[1].name, image_json(images[1]));
    const auto again = parse_images(doc);
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].profiles, images[1].profiles);
    EXPECT_EQ(again[0].summary, images[1].summary);
}

TEST(ImageStore, NamesAreModalObjectNames) {
    EXPECT_NO_THROW(validate_image_name("torch-2.5_cuda", "--image"));
    for (const char* bad : {"", "-x", ".x", "has space", "quote'd", "slash/name"})
        EXPECT_EQ(code_of([&] { validate_image_name(bad, "--image"); }), MGPUX_E_USAGE) << bad;
    EXPECT_EQ(code_of([] { validate_image_name(std::string(65, 'a'), "--image"); }), MGPUX_E_USAGE);
}

TEST(ImageStore, CheckedImageNeedsAKnownNamePublishedToTheProfile) {
    const auto images = parse_images(Json::parse(kStore));
    EXPECT_EQ(checked_image(images, "torch-base", "play").name, "torch-base");
    EXPECT_EQ(checked_image(images, "alpha", "").name, "alpha");  // no profile: any
    EXPECT_EQ(code_of([&] { checked_image(images, "missing", "work"); }), MGPUX_E_USAGE);
    try {
        checked_image(images, "alpha", "play");
        FAIL();
    } catch (const mgpux::Error& e) {
        EXPECT_NE(std::string(e.what()).find("image build alpha -a play"), std::string::npos) << e.what();
    }
}

TEST(ImageStore, ImagesForAProfileAndTheContextValue) {
    const auto images = parse_images(Json::parse(kStore));
    EXPECT_EQ(images_for(images, "play").size(), 1u);
    EXPECT_EQ(images_for(images, "work").size(), 2u);
    EXPECT_TRUE(base_image_context(std::nullopt).is_null());
    EXPECT_EQ(base_image_context(images[0]), Json("alpha"));
}
