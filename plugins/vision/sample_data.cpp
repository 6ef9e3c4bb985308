// SPDX-License-Identifier: MIT
#include "sample_data.hpp"

#include "vision_logic.hpp"

#include <mgpux/plugin.hpp>

#include <png.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <system_error>

namespace fs = std::filesystem;

namespace vision {
namespace {

using Rgb = std::array<int, 3>;

struct Palette {
    Rgb background, fill, border;
};

Palette palette_of(Shape s) {
    switch (s) {
        case Shape::Circle: return {{236, 246, 255}, {25, 118, 210}, {11, 65, 143}};
        case Shape::Square: return {{241, 250, 244}, {46, 125, 50}, {23, 74, 30}};
        case Shape::Triangle: break;
    }
    return {{255, 248, 235}, {239, 108, 0}, {141, 60, 0}};
}

uint8_t clamp_channel(double v) {
    // nearbyint rounds half to even in the default rounding mode.
    return static_cast<uint8_t>(std::clamp(std::nearbyint(v), 0.0, 255.0));
}

Rgb jitter(const Rgb& c, int amount, SampleRng& rng) {
    Rgb out{};
    for (int i = 0; i < 3; ++i) out[i] = clamp_channel(c[i] + static_cast<double>(rng.randint(-amount, amount)));
    return out;
}

struct Point {
    double x, y;
};

double edge_sign(Point p, Point a, Point b) { return (p.x - b.x) * (a.y - b.y) - (a.x - b.x) * (p.y - b.y); }

// Points on an edge count as inside.
bool in_triangle(Point p, Point a, Point b, Point c) {
    const double d1 = edge_sign(p, a, b), d2 = edge_sign(p, b, c), d3 = edge_sign(p, c, a);
    const bool negative = d1 < 0 || d2 < 0 || d3 < 0;
    const bool positive = d1 > 0 || d2 > 0 || d3 > 0;
    return !(negative && positive);
}

struct Hit {
    bool inside = false;
    bool edge = false;
};

Hit hit_test(Shape s, const ShapeImage& g, double x, double y) {
    const double half = g.shape_size / 2.0;
    const double dx = x - g.cx, dy = y - g.cy;
    if (s == Shape::Circle) {
        const double d = std::hypot(dx, dy);
        return {d <= half, d <= half && d >= half - 3};
    }
    if (s == Shape::Square) {
        const bool inside = std::fabs(dx) <= half && std::fabs(dy) <= half;
        const bool edge = std::fabs(std::fabs(dx) - half) <= 3 || std::fabs(std::fabs(dy) - half) <= 3;
        return {inside, inside && edge};
    }
    const Point p{x, y};
    const bool outer = in_triangle(p, {g.cx, g.cy - half}, {g.cx - 0.95 * half, g.cy + 0.78 * half},
                                   {g.cx + 0.95 * half, g.cy + 0.78 * half});
    const bool inner = in_triangle(p, {g.cx, g.cy - half + 5}, {g.cx - 0.86 * half, g.cy + 0.70 * half},
                                   {g.cx + 0.86 * half, g.cy + 0.70 * half});
    return {outer, outer && !inner};
}

void require_at_least(const char* flag, long long value, long long least, long long most) {
    if (value < least || value > most)
        throw mgpux::usage_error(std::string("--") + flag + " must be between " + std::to_string(least) + " and " +
                                 std::to_string(most) + " (got " + std::to_string(value) + ")");
}

bool non_empty_dir(const fs::path& p) {
    std::error_code ec;
    return fs::directory_iterator(p, ec) != fs::directory_iterator();
}

}  // namespace

std::string normalise_layout(const std::string& text) {
    std::string s;
    for (unsigned char c : text) s += c == '_' ? '-' : static_cast<char>(std::tolower(c));
    if (s == "root" || s == "single") s = "single-root";
    if (s != "split" && s != "single-root")
        throw mgpux::usage_error("--layout must be split or single-root, not " + mgpux::Json(text).dump());
    return s;
}

void check_sample_options(const SampleOptions& o) {
    require_at_least("image-size", o.image_size, 32, 2048);
    require_at_least("images-per-class", o.images_per_class, 1, 100000);
    require_at_least("train-per-class", o.train_per_class, 1, 100000);
    require_at_least("val-per-class", o.val_per_class, 1, 100000);
    require_at_least("test-per-class", o.test_per_class, 0, 100000);
}

SampleRng::SampleRng(long long seed) {
    const auto u = static_cast<uint64_t>(seed);
    std::seed_seq seq{static_cast<uint32_t>(u & 0xffffffffu), static_cast<uint32_t>(u >> 32)};
    mt_.seed(seq);
}

uint32_t SampleRng::bits(int k) { return static_cast<uint32_t>(mt_()) >> (32 - k); }

long long SampleRng::randint(long long low, long long high) {
    const uint64_t n = static_cast<uint64_t>(high - low) + 1;  // at most 2^31 here
    int k = 0;
    while (k < 32 && (n >> k) != 0) ++k;
    uint64_t r = bits(k);
    while (r >= n) r = bits(k);
    return low + static_cast<long long>(r);
}

const std::vector<std::pair<Shape, std::string>>& sample_classes() {
    static const std::vector<std::pair<Shape, std::string>> v = {
        {Shape::Circle, "circle"}, {Shape::Square, "square"}, {Shape::Triangle, "triangle"}};
    return v;
}

ShapeImage draw_shape(Shape shape, int size, uint32_t seed) {
    SampleRng rng(seed);
    const Palette base = palette_of(shape);
    const Rgb background = jitter(base.background, 10, rng);
    const Rgb fill = jitter(base.fill, 24, rng);
    const Rgb border = jitter(base.border, 12, rng);
    ShapeImage img;
    img.size = size;
    const long long lo = -((size + 9) / 10), hi = size / 10;  // floor(-S/10), floor(S/10)
    img.cx = size / 2.0 + static_cast<double>(rng.randint(lo, hi));
    img.cy = size / 2.0 + static_cast<double>(rng.randint(lo, hi));
    img.shape_size =
        static_cast<int>(rng.randint(static_cast<long long>(size * 0.42), static_cast<long long>(size * 0.62)));
    img.rgb.resize(static_cast<std::size_t>(size) * size * 3);
    const double span = std::max(1, size - 1);
    std::size_t i = 0;
    for (int y = 0; y < size; ++y) {
        for (int x = 0; x < size; ++x, i += 3) {
            const double noise = static_cast<double>(rng.randint(-5, 5));
            Rgb px{};
            for (int c = 0; c < 3; ++c) px[c] = clamp_channel(background[c] + 10.0 * y / span + noise);
            const Hit h = hit_test(shape, img, x, y);
            if (h.inside) px = h.edge ? border : jitter(fill, 8, rng);
            for (int c = 0; c < 3; ++c) img.rgb[i + c] = static_cast<uint8_t>(px[c]);
        }
    }
    return img;
}

void write_png(const fs::path& file, const ShapeImage& image) {
    png_image png{};
    png.version = PNG_IMAGE_VERSION;
    png.width = static_cast<png_uint_32>(image.size);
    png.height = static_cast<png_uint_32>(image.size);
    png.format = PNG_FORMAT_RGB;
    const int ok = png_image_write_to_file(&png, file.c_str(), 0, image.rgb.data(), 0, nullptr);
    const std::string message = png.message;
    png_image_free(&png);
    if (!ok) throw mgpux::Error(MGPUX_E_FAILED, "cannot write " + file.string() + ": " + message);
}

std::vector<fs::path> prepare_output(const SampleOptions& o) {
    std::error_code ec;
    const fs::path& out = o.output;
    if (fs::exists(out, ec) && !fs::is_directory(out, ec))
        throw mgpux::usage_error("--output " + out.string() + " exists and is not a folder");
    std::vector<fs::path> removed;
    if (fs::is_directory(out, ec) && non_empty_dir(out)) {
        if (!o.force)
            throw mgpux::usage_error(
                "--output " + out.string() +
                " is not empty; pass --force to replace the sample data in it, or name another folder");
        std::vector<fs::path> targets = {out / "train", out / "val", out / "test"};
        for (const auto& [shape, name] : sample_classes()) targets.push_back(out / name);
        // A single-root dataset is every class folder: an old one would join the new classes.
        if (o.layout == "single-root")
            for (const auto& c : scan_classes(out).classes) targets.push_back(out / c);
        for (const auto& t : targets) {
            if (std::find(removed.begin(), removed.end(), t) != removed.end() || !fs::exists(fs::symlink_status(t, ec)))
                continue;
            if (o.dry_run) {
                removed.push_back(t);
                continue;
            }
            fs::remove_all(t, ec);
            if (ec) throw mgpux::Error(MGPUX_E_FAILED, "cannot remove " + t.string() + ": " + ec.message());
            removed.push_back(t);
        }
    }
    if (o.dry_run) return removed;
    fs::create_directories(out, ec);
    if (ec) throw mgpux::Error(MGPUX_E_FAILED, "cannot create " + out.string() + ": " + ec.message());
    return removed;
}

long long sample_image_count(const SampleOptions& o) {
    const long long classes = static_cast<long long>(sample_classes().size());
    if (o.layout != "split") return classes * o.images_per_class;
    return classes * (static_cast<long long>(o.train_per_class) + o.val_per_class + o.test_per_class);
}

std::vector<fs::path> generate_samples(const SampleOptions& o) {
    std::vector<std::pair<std::string, int>> splits;
    if (o.layout == "split") {
        splits = {{"train", o.train_per_class}, {"val", o.val_per_class}};
        if (o.test_per_class > 0) splits.emplace_back("test", o.test_per_class);
    } else {
        splits = {{"", o.images_per_class}};
    }
    SampleRng master(o.seed);
    std::vector<fs::path> written;
    for (const auto& [split, count] : splits) {
        for (const auto& [shape, name] : sample_classes()) {
            const fs::path dir = split.empty() ? o.output / name : o.output / split / name;
            std::error_code ec;
            fs::create_directories(dir, ec);
            if (ec) throw mgpux::Error(MGPUX_E_FAILED, "cannot create " + dir.string() + ": " + ec.message());
            for (int i = 1; i <= count; ++i) {
                const auto seed = static_cast<uint32_t>(master.randint(0, 2147483647LL));
                char file[64];
                std::snprintf(file, sizeof file, "%s-%03d.png", name.c_str(), i);
                write_png(dir / file, draw_shape(shape, o.image_size, seed));
                written.push_back(dir / file);
            }
        }
    }
    return written;
}

}  // namespace vision
