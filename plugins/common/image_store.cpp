// SPDX-License-Identifier: MIT
#include "image_store.hpp"

#include "launch_args.hpp"

#include <algorithm>

namespace mgpux::images {
namespace {

bool name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
}

std::vector<std::string> string_list(const Json* value) {
    std::vector<std::string> out;
    if (!value || !value->is_array()) return out;
    for (const Json& item : value->as_array())
        if (item.is_string() && !item.as_string().empty()) out.push_back(item.as_string());
    return out;
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
    return out;
}

}  // namespace

bool PublishedImage::published_to(const std::string& profile) const {
    return profile.empty() || std::find(profiles.begin(), profiles.end(), profile) != profiles.end();
}

void validate_image_name(const std::string& name, const std::string& flag) {
    const bool ok = !name.empty() && name.size() <= 64 && name_char(name.front()) && name.front() != '.' &&
                    name.front() != '_' && name.front() != '-' && std::all_of(name.begin(), name.end(), name_char);
    if (!ok)
        throw usage_error(flag + ": '" + name +
                          "' is not an image name (1-64 letters, digits, '.', '_' or '-', starting with a letter or "
                          "digit)");
}

std::vector<PublishedImage> parse_images(const Json& doc) {
    std::vector<PublishedImage> out;
    if (doc.is_null()) return out;
    if (!doc.is_object())
        throw Error(MGPUX_E_CONFIG,
                    "images.json: the top level must be an object of image names; fix or move the file away");
    for (const auto& [name, entry] : doc.as_object()) {
        if (!entry.is_object()) continue;
        PublishedImage image;
        image.name = name;
        image.profiles = string_list(entry.find("profiles"));
        image.python = entry.string_or("python");
        image.summary = entry.string_or("summary");
        image.updated_at = entry.string_or("updated_at");
        out.push_back(std::move(image));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
}

Json image_json(const PublishedImage& image) {
    Json entry = Json::object();
    entry.set("profiles", Json::array_of(image.profiles));
    entry.set("python", image.python);
    entry.set("summary", image.summary);
    entry.set("updated_at", image.updated_at);
    return entry;
}

const PublishedImage* find_image(const std::vector<PublishedImage>& images, const std::string& name) {
    for (const auto& image : images)
        if (image.name == name) return &image;
    return nullptr;
}

std::vector<PublishedImage> images_for(const std::vector<PublishedImage>& images, const std::string& profile) {
    std::vector<PublishedImage> out;
    for (const auto& image : images)
        if (image.published_to(profile)) out.push_back(image);
    return out;
}

const PublishedImage& checked_image(const std::vector<PublishedImage>& images, const std::string& name,
                                    const std::string& profile) {
    validate_image_name(name, "--image");
    const PublishedImage* image = find_image(images, name);
    if (!image)
        throw usage_error("--image: no published image called '" + name +
                          "'; see `m-gpux image list`, or publish it with `m-gpux image build " + name + "`");
    if (!image->published_to(profile))
        throw usage_error("--image: '" + name + "' is published to " +
                          (image->profiles.empty() ? std::string("no profile") : joined(image->profiles)) +
                          ", not to '" + profile + "'; publish it there with `m-gpux image build " + name + " -a " +
                          profile + "`, or pick another profile");
    return *image;
}

std::vector<PublishedImage> read_images(const Host& host) { return parse_images(State(host).read(kDocument)); }

std::optional<PublishedImage> choose_image(const Host& host, const Args& args, const std::string& profile) {
    if (args.has("image")) return checked_image(read_images(host), args.str("image"), profile);
    if (!launch::asks_questions(args)) return std::nullopt;
    const std::vector<PublishedImage> offered = images_for(read_images(host), profile);
    if (offered.empty()) return std::nullopt;
    std::vector<std::string> labels{"build from scratch"}, notes{"a fresh debian_slim image"};
    for (const auto& image : offered) {
        labels.push_back(image.name);
        notes.push_back("Python " + image.python + (image.summary.empty() ? "" : ", " + image.summary));
    }
    const int pick = host.select("Base image", labels, notes, 0, "--image");
    if (pick <= 0) return std::nullopt;
    return offered.at(static_cast<std::size_t>(pick - 1));
}

Json base_image_context(const std::optional<PublishedImage>& image) { return image ? Json(image->name) : Json(); }

}  // namespace mgpux::images
