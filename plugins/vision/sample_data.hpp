// SPDX-License-Identifier: MIT
// `vision sample-data`: a small shapes dataset (circle, square, triangle)
// drawn locally, the same bytes for the same seed on every platform, and
// written as PNG files through libpng.
#pragma once

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace vision {

inline constexpr const char* kDefaultSampleDir = "data/m-gpux-vision-sample";

struct SampleOptions {
    std::filesystem::path output;  // absolute
    std::string layout = "split";  // split | single-root
    int image_size = 128;
    int images_per_class = 24;  // single-root
    int train_per_class = 12;
    int val_per_class = 4;
    int test_per_class = 4;  // 0 = no test split
    long long seed = 42;
    bool force = false;
    bool dry_run = false;  // prepare_output only lists what it would delete
};

// How many images the options make.
long long sample_image_count(const SampleOptions& o);

// split | single-root from what a user types: any case, "_" for "-", and
// "root" / "single" for single-root. Anything else is a usage error.
std::string normalise_layout(const std::string& text);

// The counts and sizes (usage errors naming the flag).
void check_sample_options(const SampleOptions& o);

// A Mersenne Twister (std::mt19937, whose output the standard fixes) with
// its own uniform integers: rejection sampling on the fewest bits, so the
// numbers do not depend on the standard library.
class SampleRng {
public:
    explicit SampleRng(long long seed);
    long long randint(long long low, long long high);  // inclusive

private:
    uint32_t bits(int k);  // the top k bits of one draw
    std::mt19937 mt_;
};

enum class Shape { Circle, Square, Triangle };
const std::vector<std::pair<Shape, std::string>>& sample_classes();

struct ShapeImage {
    int size = 0;
    std::vector<uint8_t> rgb;  // size x size x 3, row-major
    double cx = 0, cy = 0;     // the shape's centre
    int shape_size = 0;        // diameter / side / triangle height scale
};

// One image: jittered palette, position and size, a vertical gradient with
// per-pixel noise, the filled shape with a darker edge.
ShapeImage draw_shape(Shape shape, int size, uint32_t seed);

// An 8-bit RGB PNG; throws mgpux::Error (exit 1) naming the file on failure.
void write_png(const std::filesystem::path& file, const ShapeImage& image);

// Makes `o.output` ready: an existing non-directory is a usage error; a
// non-empty folder needs --force, which deletes only what the new dataset
// replaces (train/, val/, test/ and, for single-root, the class folders).
// Returns the paths it deleted (or, with dry_run, would delete).
std::vector<std::filesystem::path> prepare_output(const SampleOptions& o);

// Draws and writes every image; returns the files written, in order.
std::vector<std::filesystem::path> generate_samples(const SampleOptions& o);

}  // namespace vision
