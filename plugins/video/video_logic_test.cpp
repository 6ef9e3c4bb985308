// SPDX-License-Identifier: MIT
#include "video_logic.hpp"

#include <gtest/gtest.h>

using namespace video;

namespace {

// The message of the usage error `f` throws (fails the test when it throws none).
template <typename F>
std::string usage_message(F&& f) {
    try {
        f();
    } catch (const mgpux::Error& e) {
        EXPECT_EQ(e.code(), MGPUX_E_USAGE);
        return e.what();
    }
    ADD_FAILURE() << "no usage error";
    return std::string();
}

}  // namespace

TEST(VideoValues, ResolutionPresetsAndMultiplesOf32) {
    for (const auto& p : resolution_presets()) EXPECT_EQ(parse_resolution(p.size.text()).text(), p.size.text());
    EXPECT_EQ(parse_resolution("640X352").text(), "640x352");
    EXPECT_EQ(parse_resolution(" 1280x704 ").width, 1280);
    for (const char* bad :
         {"", "768", "768x500", "770x512", "x512", "768x", "-768x512", "32x32", "4128x512", "7e2x512"})
        EXPECT_NE(usage_message([&] { parse_resolution(bad); }).find("--resolution"), std::string::npos) << bad;
}

TEST(VideoValues, FramesAre8kPlus1) {
    for (int f : {25, 49, 97, 121, 9, 257, 1025}) EXPECT_EQ(check_frames(f), f);
    for (long long f : {0LL, 1LL, 24LL, 50LL, 96LL, 1033LL, -7LL})
        EXPECT_NE(usage_message([&] { check_frames(f); }).find("8k+1"), std::string::npos) << f;
    EXPECT_EQ(parse_frames("97"), 97);
    EXPECT_NE(usage_message([] { parse_frames("ninety"); }).find("--frames"), std::string::npos);
}

TEST(VideoValues, SeedIsANonNegativeWholeNumber) {
    EXPECT_EQ(parse_seed("0"), 0u);
    EXPECT_EQ(parse_seed("42"), 42u);
    EXPECT_EQ(parse_seed("4294967295"), 4294967295u);
    for (const char* bad : {"-1", "abc", "", "1.5", "4294967296", "99999999999", "+3"})
        EXPECT_NE(usage_message([&] { parse_seed(bad); }).find("--seed"), std::string::npos) << bad;
}

TEST(VideoValues, StrengthClampsAndRefusesNonNumbers) {
    EXPECT_DOUBLE_EQ(parse_strength("0.3"), 0.3);
    EXPECT_DOUBLE_EQ(parse_strength("7"), 1.0);
    EXPECT_DOUBLE_EQ(parse_strength("-2"), 0.0);
    for (const char* bad : {"", "strong", "0.5x", "nan", "inf"})
        EXPECT_NE(usage_message([&] { parse_strength(bad); }).find("--anchor-strength"), std::string::npos) << bad;
}

TEST(VideoValues, PipelinesLtxRefAndEnvName) {
    EXPECT_EQ(pipeline_named("distilled").checkpoint, "ltx-2.3-22b-distilled-1.1.safetensors");
    EXPECT_TRUE(pipeline_named("ti2vid_two_stages").needs_lora);
    EXPECT_NE(usage_message([] { pipeline_named("fast"); }).find("--pipeline"), std::string::npos);
    EXPECT_EQ(check_ltx_ref(kDefaultLtxCommit), kDefaultLtxCommit);
    EXPECT_EQ(check_ltx_ref("v2.3.1"), "v2.3.1");
    for (const char* bad : {"", "-x", "a b", "x;rm -rf /", "$(id)", "a..b"})
        EXPECT_NE(usage_message([&] { check_ltx_ref(bad); }).find("--ltx-ref"), std::string::npos) << bad;
    check_env_name("HF_TOKEN");
    for (const char* bad : {"", "1X", "A-B", "hf_abc def"})
        EXPECT_NE(usage_message([&] { check_env_name(bad); }).find("--hf-token-env"), std::string::npos) << bad;
}

TEST(VideoValues, RunIdPreviewAndSeconds) {
    EXPECT_EQ(make_run_id(1780000000, "a1b2c3"), "20260528-202640-a1b2c3");
    EXPECT_EQ(seconds_text(97), "3.9");
    EXPECT_EQ(seconds_text(121), "4.8");
    EXPECT_EQ(preview("abcdef", 3), "abc...");
    EXPECT_EQ(preview("a\nb", 10), "a b");
    EXPECT_EQ(preview("ĐồÁn", 2), "Đồ...");
}

TEST(VideoCharacters, WholeWordsOnly) {
    const std::vector<Character> cast{{"Ann", "a tall woman in a red coat"}, {"Bob", "a boy who likes Ann's dog"}};
    EXPECT_EQ(substitute_characters("Ann meets Bob.", cast),
              "Ann (a tall woman in a red coat) meets Bob (a boy who likes Ann's dog).");
    // Not inside other words, and not inside a description written in.
    EXPECT_EQ(substitute_characters("Annabel and Bobby watch Ann", cast),
              "Annabel and Bobby watch Ann (a tall woman in a red coat)");
    EXPECT_EQ(substitute_characters("ann is lower case", cast), "ann is lower case");
    EXPECT_EQ(substitute_characters("Zoë_Ann, Ann_x", cast), "Zoë_Ann, Ann_x");
}

TEST(VideoCharacters, LongestNameWins) {
    const std::vector<Character> cast{{"Mary", "a nurse"}, {"Mary Jane", "a pilot"}};
    EXPECT_EQ(substitute_characters("Mary Jane greets Mary", cast), "Mary Jane (a pilot) greets Mary (a nurse)");
}

TEST(VideoStoryboard, SceneSeedsCountFromTheBase) {
    EXPECT_EQ(scene_seed(100, 1), 100u);
    EXPECT_EQ(scene_seed(100, 3), 102u);
    EXPECT_EQ(scene_seed(4294967295u, 2), 0u);
    ClipSettings s;
    s.seed = 7;
    s.frames = 121;
    const auto scenes =
        resolve_scenes({{"one", std::nullopt, std::nullopt}, {"two", 25, 999}, {"three", {}, {}}}, {}, s);
    ASSERT_EQ(scenes.size(), 3u);
    EXPECT_EQ((std::vector<uint32_t>{scenes[0].seed, scenes[1].seed, scenes[2].seed}),
              (std::vector<uint32_t>{7, 999, 9}));
    EXPECT_EQ((std::vector<int>{scenes[0].frames, scenes[1].frames, scenes[2].frames}),
              (std::vector<int>{121, 25, 121}));
    EXPECT_EQ(scenes[2].number, 3);
    EXPECT_EQ(total_frames(scenes), 267);
    EXPECT_DOUBLE_EQ(estimated_gpu_minutes(pipeline_named("distilled"), scenes, true), 8.0);
}

TEST(VideoStoryboard, JsonFile) {
    const auto f = parse_storyboard(R"({"pipeline": "ti2vid_two_stages", "resolution": "512x512", "frames": 49,
        "seed": 5, "fp8": false, "max_parallel": 2,
        "characters": {"Ann": "a red coat"}, "anchor": {"prompt": "Ann portrait", "strength": 3},
        "scenes": [{"prompt": "Ann walks"}, {"prompt": "Ann runs", "frames": 97, "seed": 40}, "Ann rests"]})",
                                    "sb.json");
    EXPECT_EQ(*f.pipeline, "ti2vid_two_stages");
    EXPECT_EQ(f.resolution->text(), "512x512");
    EXPECT_EQ(*f.max_parallel, 2);
    EXPECT_EQ(*f.frames, 49);
    EXPECT_EQ(*f.seed, 5u);
    EXPECT_FALSE(*f.fp8);
    ASSERT_EQ(f.characters.size(), 1u);
    EXPECT_DOUBLE_EQ(f.anchor->strength, 1.0);
    ASSERT_EQ(f.scenes.size(), 3u);
    EXPECT_EQ(*f.scenes[1].frames, 97);
    EXPECT_EQ(*f.scenes[1].seed, 40u);
    EXPECT_EQ(f.scenes[2].prompt, "Ann rests");
    EXPECT_FALSE(f.scenes[0].frames.has_value());
}

TEST(VideoStoryboard, YamlFileWithOverrides) {
    const auto f = parse_storyboard(
        "frames: 121\n"
        "characters:\n  Ann: a red coat\n"
        "scenes:\n"
        "  - prompt: |\n      Ann walks\n      in the rain\n"
        "  - prompt: Ann runs\n    frames: 25\n",
        "sb.yaml");
    EXPECT_FALSE(f.pipeline.has_value());
    ASSERT_EQ(f.scenes.size(), 2u);
    EXPECT_EQ(f.scenes[0].prompt, "Ann walks\nin the rain");
    EXPECT_EQ(*f.scenes[1].frames, 25);
    ClipSettings s;
    s.frames = *f.frames;
    const auto scenes = resolve_scenes(f.scenes, f.characters, s);
    EXPECT_EQ(scenes[1].prompt, "Ann (a red coat) runs");
    EXPECT_EQ(scenes[0].frames, 121);
    EXPECT_EQ(scenes[1].frames, 25);
}

TEST(VideoStoryboard, ErrorsNameTheField) {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"scenes: []", "sb.yaml: scenes"},
        {"frames: 100\nscenes: [a]", "sb.yaml: frames must be 8k+1"},
        {"scenes:\n  - prompt: a\n  - prompt: b\n    frames: 50", "scenes[2].frames"},
        {"scenes:\n  - prompt: a\n    seed: -4", "scenes[1].seed"},
        {"scenes:\n  - frames: 25", "scenes[1].prompt is required"},
        {"scenes:\n  - prompt: a\n    fps: 30", "scenes[1].fps"},
        {"resolution: 700x512\nscenes: [a]", "sb.yaml: resolution"},
        {"pipeline: fast\nscenes: [a]", "--pipeline"},
        {"anchor: {prompt: p, strength: lots}\nscenes: [a]", "anchor.strength"},
        {"fp8: maybe\nscenes: [a]", "fp8 must be true or false"},
        {"max_parallel: 0\nscenes: [a]", "max_parallel must be between 1 and 16"},
        {"scene: [a]", "scene is not a storyboard setting"},
        {"{\"scenes\": [", "neither JSON nor YAML"},
        {"- a\n- b", "must be an object"},
    };
    for (const auto& [text, want] : cases)
        EXPECT_NE(usage_message([&] { parse_storyboard(text, "sb.yaml"); }).find(want), std::string::npos) << text;
}

TEST(VideoBulkPaste, BlankLinesKeptEndTerminatesCharactersBlock) {
    const auto p =
        parse_bulk_paste({"CHARACTERS: Ann: a red coat", "Bob: a blue hat", "---", "Ann walks", "", "  into the rain  ",
                          "---", "", "---", "Bob waves", "END", "ignored", "---", "also ignored"});
    ASSERT_EQ(p.characters.size(), 2u);
    EXPECT_EQ(p.characters[0].name, "Ann");
    EXPECT_EQ(p.characters[1].description, "a blue hat");
    EXPECT_EQ(p.scenes, (std::vector<std::string>{"Ann walks into the rain", "Bob waves"}));
}

TEST(VideoBulkPaste, WithoutCharactersAndCharactersHeaderAlone) {
    EXPECT_EQ(parse_bulk_paste({"a cat", "", "", "sleeps"}).scenes, (std::vector<std::string>{"a cat sleeps"}));
    const auto p = parse_bulk_paste({"characters", "Cat: orange", "---", "Cat sleeps"});
    ASSERT_EQ(p.characters.size(), 1u);
    EXPECT_EQ(p.scenes, (std::vector<std::string>{"Cat sleeps"}));
    EXPECT_TRUE(parse_bulk_paste({"END", "a"}).scenes.empty());
    EXPECT_TRUE(is_end_line(" END "));
    EXPECT_FALSE(is_end_line("THE END"));
}

TEST(VideoResult, FindsTheRunsResult) {
    Json good = Json::parse(R"({"kind":"video","run_id":"r1","files":["r1/video_1.mp4"],"video":"r1/video_1.mp4"})");
    Json other = Json::parse(R"({"kind":"video","run_id":"r0","files":[],"video":"x"})");
    EXPECT_FALSE(find_result({other}, "r1", "video").has_value());
    EXPECT_EQ(find_result({other, good}, "r1", "video")->string_or("video"), "r1/video_1.mp4");
    EXPECT_FALSE(find_result({good}, "r1", "storyboard").has_value());
    EXPECT_FALSE(find_result({Json::parse(R"({"kind":"video","run_id":"r1","files":[]})")}, "r1", "video").has_value());
    EXPECT_TRUE(
        find_result({Json::parse(R"({"kind":"video","files":[],"video":"v.mp4"})")}, "r1", "video").has_value());
}

TEST(VideoContext, GenerateAndStoryboard) {
    RenderCommon c;
    c.run_id = "20260101-000000-abcdef";
    c.ltx_commit = kDefaultLtxCommit;
    c.settings.pipeline = "ti2vid_two_stages";
    c.compute.cores = 8;
    c.hf_token = true;
    const Json g = generate_context(c, "a cat");
    EXPECT_EQ(g.string_or("app_name"), "m-gpux-video-gen");
    EXPECT_TRUE(g.find("gpu")->is_null());
    EXPECT_EQ(g.find("cpu")->int_or("memory_mb"), 16384);
    EXPECT_TRUE(g.bool_or("needs_lora"));
    EXPECT_TRUE(g.bool_or("hf_token"));
    const Json s = storyboard_context(c, {{1, "p", 25, 3}}, Anchor{"a", 0.5}, 3);
    EXPECT_EQ(s.string_or("app_name"), "m-gpux-video-storyboard");
    EXPECT_EQ(s.int_or("max_parallel"), 3);
    EXPECT_EQ(s.find("scenes")->as_array().at(0).int_or("seed"), 3);
}
