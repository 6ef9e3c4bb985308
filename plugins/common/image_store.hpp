// SPDX-License-Identifier: MIT
// The published images m-gpux knows about (~/.m-gpux/images.json, the state
// document "images"): name -> {profiles, python, summary, updated_at}. `image
// build` writes it; every workload's --image (and its picker) reads it, so a
// launch names an image that was really published to the profile it runs on.
#pragma once

#include <mgpux/plugin.hpp>

#include <optional>
#include <string>
#include <vector>

namespace mgpux::images {

inline constexpr const char* kDocument = "images";

struct PublishedImage {
    std::string name;
    std::vector<std::string> profiles;  // the Modal profiles it was published to
    std::string python;                 // "3.12"
    std::string summary;                // "debian_slim + 3 pip, 1 apt"
    std::string updated_at;             // ISO-8601 UTC
    bool published_to(const std::string& profile) const;
};

// Image names: 1-64 of [A-Za-z0-9._-], starting with a letter or digit (a
// Modal object name). Throws usage_error naming `flag`.
void validate_image_name(const std::string& name, const std::string& flag);

// The document's entries sorted by name (null = no file = none). Members that
// are not objects are skipped; a top level that is not an object is exit 3.
std::vector<PublishedImage> parse_images(const Json& doc);

// One entry as stored (without its name, which is the key).
Json image_json(const PublishedImage& image);

// The entry called `name`, or nullptr.
const PublishedImage* find_image(const std::vector<PublishedImage>& images, const std::string& name);

// The images published to `profile` (all of them when `profile` is empty).
std::vector<PublishedImage> images_for(const std::vector<PublishedImage>& images, const std::string& profile);

// Checks a --image NAME against the store: a known name published to
// `profile` (any profile when it is empty); otherwise usage_error saying what
// to run (`image list`, `image build NAME -a PROFILE`).
const PublishedImage& checked_image(const std::vector<PublishedImage>& images, const std::string& name,
                                    const std::string& profile);

// ---------------------------------------------------------------- host side

// The store through the state service (exit 3 when the file is unreadable).
std::vector<PublishedImage> read_images(const Host& host);

// --image NAME checked against the store for `profile`; with no --image, on
// a terminal (asks_questions) and with images published to that profile, the
// menu "Base image": "build from scratch" first, then the images. nullopt =
// build from scratch. Use it after the profile is known.
std::optional<PublishedImage> choose_image(const Host& host, const Args& args, const std::string& profile);

// The template context value: the image name, or null to build from scratch.
Json base_image_context(const std::optional<PublishedImage>& image);

}  // namespace mgpux::images
