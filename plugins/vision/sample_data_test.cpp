// SPDX-License-Identifier: MIT
#include "sample_data.hpp"

#include "vision_logic.hpp"

#include <gtest/gtest.h>
#include <png.h>

#include <array>
#include <cmath>
#include <functional>
#include <fstream>
#include <iterator>
#include <set>

namespace fs = std::filesystem;
using namespace vision;

namespace {

struct TempDir {
    fs::path root = fs::temp_directory_path() / ("mgpux-vision-sample-" + mgpux::launch::random_hex(6));
    TempDir() { fs::create_directories(root); }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(root, ec);
    }
};

std::string read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

struct Decoded {
    png_uint_32 width = 0, height = 0, format = 0;
    std::vector<uint8_t> rgb;
};

// Decodes with libpng, as any reader of the files would.
Decoded decode(const fs::path& file) {
    png_image img{};
    img.version = PNG_IMAGE_VERSION;
    Decoded d;
    if (!png_image_begin_read_from_file(&img, file.c_str())) {
        ADD_FAILURE() << "libpng cannot read " << file << ": " << img.message;
        return d;
    }
    d.width = img.width;
    d.height = img.height;
    d.format = img.format;
    img.format = PNG_FORMAT_RGB;
    d.rgb.resize(PNG_IMAGE_SIZE(img));
    EXPECT_TRUE(png_image_finish_read(&img, nullptr, d.rgb.data(), 0, nullptr)) << img.message;
    png_image_free(&img);
    return d;
}

// Pixels of the shape (fill or edge): far darker than the light background.
long long shape_pixels(const std::vector<uint8_t>& rgb) {
    long long n = 0;
    for (std::size_t i = 0; i + 2 < rgb.size(); i += 3)
        if (rgb[i] + rgb[i + 1] + rgb[i + 2] < 600) ++n;
    return n;
}

std::string usage_message(const std::function<void()>& f) {
    try {
        f();
    } catch (const mgpux::Error& e) {
        EXPECT_EQ(e.code(), MGPUX_E_USAGE) << e.what();
        return e.what();
    }
    return "";
}

SampleOptions small_split(const fs::path& out, long long seed) {
    SampleOptions o;
    o.output = out;
    o.image_size = 32;
    o.train_per_class = 2;
    o.val_per_class = 1;
    o.test_per_class = 1;
    o.seed = seed;
    return o;
}

}  // namespace

TEST(VisionSample, RngIsDeterministicAndCoversItsRange) {
    SampleRng a(42), b(42), c(43);
    std::set<long long> seen;
    bool differs = false;
    for (int i = 0; i < 2000; ++i) {
        const long long x = a.randint(-5, 5);
        EXPECT_EQ(x, b.randint(-5, 5));
        differs = differs || x != c.randint(-5, 5);
        ASSERT_GE(x, -5);
        ASSERT_LE(x, 5);
        seen.insert(x);
    }
    EXPECT_EQ(seen.size(), 11u);
    EXPECT_TRUE(differs);
    SampleRng big(7);
    for (int i = 0; i < 100; ++i) {
        const long long x = big.randint(0, 2147483647LL);
        EXPECT_GE(x, 0);
        EXPECT_LE(x, 2147483647LL);
    }
    // std::mt19937 seeded through seed_seq{42, 0}: its first output is fixed by the standard.
    std::seed_seq seq{42u, 0u};
    std::mt19937 ref(seq);
    SampleRng mine(42);
    EXPECT_EQ(mine.randint(0, 0xffffffffLL), static_cast<long long>(ref()));
}

TEST(VisionSample, GeometryStaysInItsRanges) {
    for (uint32_t seed = 0; seed < 40; ++seed) {
        const ShapeImage img = draw_shape(Shape::Circle, 128, seed);
        EXPECT_GE(img.cx, 64 - 13);
        EXPECT_LE(img.cx, 64 + 12);
        EXPECT_GE(img.cy, 64 - 13);
        EXPECT_LE(img.cy, 64 + 12);
        EXPECT_GE(img.shape_size, 53);
        EXPECT_LE(img.shape_size, 79);
        EXPECT_EQ(img.rgb.size(), 128u * 128u * 3u);
    }
}

TEST(VisionSample, ShapeColourCoversTheShapesArea) {
    for (uint32_t seed = 1; seed <= 12; ++seed) {
        const ShapeImage circle = draw_shape(Shape::Circle, 128, seed);
        const ShapeImage square = draw_shape(Shape::Square, 128, seed);
        const ShapeImage tri = draw_shape(Shape::Triangle, 128, seed);
        const double pi = std::acos(-1.0);
        auto near = [](double got, double want, double slack) { return std::fabs(got - want) <= slack; };
        const double rc = circle.shape_size / 2.0;
        EXPECT_TRUE(near(shape_pixels(circle.rgb), pi * rc * rc, 2 * pi * rc + 8)) << "circle, seed " << seed;
        const double side = square.shape_size;
        EXPECT_TRUE(near(shape_pixels(square.rgb), side * side, 4 * side + 8)) << "square, seed " << seed;
        const double h = tri.shape_size / 2.0;
        EXPECT_TRUE(near(shape_pixels(tri.rgb), 0.5 * 1.9 * h * 1.78 * h, 6 * h + 8)) << "triangle, seed " << seed;
        // At the same size a square covers more than a circle, and a circle more than a triangle.
        const auto per_size = [](const ShapeImage& s) {
            return static_cast<double>(shape_pixels(s.rgb)) / (s.shape_size * s.shape_size);
        };
        EXPECT_GT(per_size(square), per_size(circle));
        EXPECT_GT(per_size(circle), per_size(tri));
    }
}

TEST(VisionSample, ClassesHaveTheirOwnColours) {
    const ShapeImage circle = draw_shape(Shape::Circle, 64, 5);
    const ShapeImage square = draw_shape(Shape::Square, 64, 5);
    const ShapeImage tri = draw_shape(Shape::Triangle, 64, 5);
    auto centre = [](const ShapeImage& s) {
        const std::size_t i = (static_cast<std::size_t>(s.cy) * s.size + static_cast<std::size_t>(s.cx)) * 3;
        return std::array<int, 3>{s.rgb[i], s.rgb[i + 1], s.rgb[i + 2]};
    };
    const auto c = centre(circle), s = centre(square), t = centre(tri);
    EXPECT_GT(c[2], c[0] + 80);  // blue
    EXPECT_GT(s[1], s[0] + 20);  // green
    EXPECT_GT(s[1], s[2] + 20);
    EXPECT_GT(t[0], t[2] + 120);  // orange
}

TEST(VisionSample, PngFilesDecodeToTheDrawnPixels) {
    TempDir t;
    const ShapeImage img = draw_shape(Shape::Triangle, 48, 9);
    const fs::path file = t.root / "t.png";
    write_png(file, img);
    const std::string bytes = read_bytes(file);
    ASSERT_GT(bytes.size(), 33u);
    EXPECT_EQ(bytes.substr(1, 3), "PNG");
    EXPECT_EQ(static_cast<int>(bytes[24]), 8);  // IHDR bit depth
    EXPECT_EQ(static_cast<int>(bytes[25]), 2);  // IHDR colour type: RGB
    const Decoded d = decode(file);
    EXPECT_EQ(d.width, 48u);
    EXPECT_EQ(d.height, 48u);
    EXPECT_EQ(d.format, static_cast<png_uint_32>(PNG_FORMAT_RGB));
    EXPECT_EQ(d.rgb, img.rgb);
    EXPECT_THROW(write_png(t.root / "missing" / "x.png", img), mgpux::Error);
}

TEST(VisionSample, SameSeedSameBytesOtherSeedOtherBytes) {
    TempDir t;
    const auto a = generate_samples(small_split(t.root / "a", 42));
    const auto b = generate_samples(small_split(t.root / "b", 42));
    const auto c = generate_samples(small_split(t.root / "c", 43));
    ASSERT_EQ(a.size(), 12u);  // 3 classes x (2 + 1 + 1)
    ASSERT_EQ(a.size(), b.size());
    EXPECT_EQ(a[0], t.root / "a" / "train" / "circle" / "circle-001.png");
    EXPECT_EQ(a.back(), t.root / "a" / "test" / "triangle" / "triangle-001.png");
    bool any_differs = false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(read_bytes(a[i]), read_bytes(b[i])) << a[i];
        any_differs = any_differs || read_bytes(a[i]) != read_bytes(c[i]);
        const Decoded d = decode(a[i]);
        EXPECT_EQ(d.width, 32u);
    }
    EXPECT_TRUE(any_differs);
    const Dataset ds = validate_dataset(t.root / "a");
    EXPECT_EQ(ds.mode, "pre_split");
    EXPECT_EQ(ds.classes, (std::vector<std::string>{"circle", "square", "triangle"}));
    EXPECT_EQ(ds.train_images, 6);
    EXPECT_EQ(ds.test_images, 3);
}

TEST(VisionSample, SingleRootAndNoTestSplit) {
    TempDir t;
    SampleOptions o = small_split(t.root / "one", 1);
    o.layout = "single-root";
    o.images_per_class = 2;
    EXPECT_EQ(sample_image_count(o), 6);
    EXPECT_EQ(generate_samples(o).size(), 6u);
    EXPECT_EQ(validate_dataset(o.output).mode, "single_root");
    SampleOptions n = small_split(t.root / "notest", 1);
    n.test_per_class = 0;
    EXPECT_EQ(generate_samples(n).size(), 9u);
    EXPECT_FALSE(fs::exists(n.output / "test"));
}

TEST(VisionSample, OptionsAndLayouts) {
    EXPECT_EQ(normalise_layout("split"), "split");
    EXPECT_EQ(normalise_layout("Single_Root"), "single-root");
    EXPECT_EQ(normalise_layout("ROOT"), "single-root");
    EXPECT_EQ(normalise_layout("single"), "single-root");
    EXPECT_NE(usage_message([] { normalise_layout("flat"); }).find("--layout"), std::string::npos);
    SampleOptions o;
    check_sample_options(o);
    o.test_per_class = 0;
    check_sample_options(o);
    o.image_size = 31;
    EXPECT_NE(usage_message([&] { check_sample_options(o); }).find("--image-size"), std::string::npos);
    o.image_size = 32;
    o.val_per_class = 0;
    EXPECT_NE(usage_message([&] { check_sample_options(o); }).find("--val-per-class"), std::string::npos);
    o.val_per_class = 1;
    o.test_per_class = -1;
    EXPECT_NE(usage_message([&] { check_sample_options(o); }).find("--test-per-class"), std::string::npos);
}

TEST(VisionSample, ForceDeletesOnlyWhatTheDatasetReplaces) {
    TempDir t;
    SampleOptions o = small_split(t.root / "ds", 3);
    generate_samples(o);
    std::ofstream(o.output / "README.md") << "mine";
    fs::create_directories(o.output / "notes");
    std::ofstream(o.output / "notes" / "a.txt") << "keep";
    EXPECT_NE(usage_message([&] { prepare_output(o); }).find("--force"), std::string::npos);
    o.force = true;
    o.dry_run = true;
    EXPECT_EQ(prepare_output(o).size(), 3u);  // train, val, test
    EXPECT_TRUE(fs::exists(o.output / "train"));
    o.dry_run = false;
    const auto removed = prepare_output(o);
    EXPECT_EQ(removed.size(), 3u);
    EXPECT_FALSE(fs::exists(o.output / "train"));
    EXPECT_TRUE(fs::exists(o.output / "README.md"));
    EXPECT_TRUE(fs::exists(o.output / "notes" / "a.txt"));

    // single-root also replaces every class folder it finds
    fs::create_directories(o.output / "old-class");
    std::ofstream(o.output / "old-class" / "x.png") << "x";
    o.layout = "single-root";
    const auto again = prepare_output(o);
    EXPECT_EQ(again, (std::vector<fs::path>{o.output / "old-class"}));
    EXPECT_TRUE(fs::exists(o.output / "notes" / "a.txt"));

    std::ofstream(t.root / "file") << "x";
    SampleOptions f = small_split(t.root / "file", 1);
    f.force = true;
    EXPECT_NE(usage_message([&] { prepare_output(f); }).find("not a folder"), std::string::npos);
}
