{{! SPDX-License-Identifier: MIT }}
{{> common/generated_header.py}}
"""m-gpux video storyboard: one clip per scene with Lightricks LTX-2.3, joined into one video.

Run it with `modal run` (attached). The weights download on a CPU container; an optional anchor
clip gives a reference frame that every scene is conditioned on (character consistency); the
scenes render in parallel, at most MAX_PARALLEL containers at once; a CPU container joins them.
Everything is written to m-gpux-video-output under <run id>/: scene_NNN.mp4, anchor_ref.mp4,
anchor_frame.jpg, concat.txt and storyboard_<seed>.mp4.
Markers: "[m-gpux] RESULT {"kind": "storyboard", "run_id", "files", "video"}" when the video is
saved; "[m-gpux] ERROR <why>" before the run fails.
"""
import json
import os
import shlex
import subprocess

import modal

app = modal.App({{app_name}})

{{> common/metrics.py}}

{{> video/_ltx.py}}

SCENES = {{scenes}}  # [{"number", "prompt", "frames", "seed"}], characters already written in
BASE_SEED = {{seed}}
ANCHOR_PROMPT = {{anchor_prompt}}
ANCHOR_STRENGTH = {{anchor_strength}}
ANCHOR_FRAMES = {{frames}}
MAX_PARALLEL = {{max_parallel}}


def _scene_clip_name(number):
    return "scene_%03d.mp4" % number


def _final_name():
    return "storyboard_%d.mp4" % BASE_SEED


def _concat_list_text(paths):
    """ffmpeg's concat list: one quoted path a line (a quote inside is closed, escaped, reopened)."""
    return "".join("file '%s'\n" % path.replace("'", "'\\''") for path in paths)


def _concat_commands(list_path, output_path):
    """A stream copy first; a re-encode when the clips' streams differ."""
    copy = ["ffmpeg", "-y", "-f", "concat", "-safe", "0", "-i", list_path, "-c", "copy", output_path]
    encode = ["ffmpeg", "-y", "-f", "concat", "-safe", "0", "-i", list_path, "-c:v", "libx264", "-preset", "fast",
              "-crf", "18", "-c:a", "aac", "-b:a", "192k", "-movflags", "+faststart", output_path]
    return [copy, encode]


def _scene_inputs(anchor_frame):
    return [dict(scene, anchor_frame=anchor_frame) for scene in SCENES]


def _anchor_wanted():
    return bool(ANCHOR_PROMPT) and ANCHOR_STRENGTH > 0


@app.function(
    image=image,
    {{#gpu}}gpu={{gpu}},
    {{/gpu}}{{#cpu}}cpu={{cores}},
    memory={{memory_mb}},
    {{/cpu}}timeout={{timeout_s}},
    volumes=VOLUMES,
)
def generate_anchor():
    """The reference frame: the middle frame of a clip rendered from the anchor prompt."""
    model_cache.reload()
    clip = RUN_DIR + "/anchor_ref.mp4"
    frame = RUN_DIR + "/anchor_frame.jpg"
    ok, why = _render_clip(ANCHOR_PROMPT, clip, ANCHOR_FRAMES, BASE_SEED)
    if not ok:
        raise RuntimeError(why)
    middle = round(ANCHOR_FRAMES / FRAME_RATE / 2, 2)
    proc = subprocess.run(["ffmpeg", "-y", "-i", clip, "-ss", str(middle), "-frames:v", "1", "-q:v", "2", frame])
    if proc.returncode != 0 or not os.path.exists(frame):
        raise RuntimeError("ffmpeg could not take the anchor frame (exit %d)" % proc.returncode)
    output_vol.commit()
    return frame


@app.function(
    image=image,
    {{#gpu}}gpu={{gpu}},
    {{/gpu}}{{#cpu}}cpu={{cores}},
    memory={{memory_mb}},
    {{/cpu}}timeout={{timeout_s}},
    volumes=VOLUMES,
    max_containers=MAX_PARALLEL,
)
def generate_scene(scene):
    """One scene; a failure is returned (not raised) so the other scenes still finish."""
    _print_metrics()
    model_cache.reload()
    output_vol.reload()
    name = _scene_clip_name(scene["number"])
    anchor = scene.get("anchor_frame")
    if anchor and not os.path.exists(anchor):
        anchor = None
    ok, why = _render_clip(scene["prompt"], RUN_DIR + "/" + name, scene["frames"], scene["seed"], anchor,
                           ANCHOR_STRENGTH if anchor else 0.0)
    if not ok:
        return {"number": scene["number"], "file": None, "error": why}
    output_vol.commit()
    return {"number": scene["number"], "file": RUN_ID + "/" + name, "error": None}


@app.function(image=image, cpu=2, memory=4096, timeout={{timeout_s}}, volumes={OUTPUT_DIR: output_vol})
def concat_clips(files):
    """Joins the scene clips (paths relative to the volume, in scene order) into the final video."""
    output_vol.reload()
    list_path = RUN_DIR + "/concat.txt"
    with open(list_path, "w", encoding="utf-8") as handle:
        handle.write(_concat_list_text([OUTPUT_DIR + "/" + f for f in files]))
    output = RUN_DIR + "/" + _final_name()
    for command in _concat_commands(list_path, output):
        if subprocess.run(command).returncode == 0 and os.path.exists(output):
            output_vol.commit()
            return RUN_ID + "/" + _final_name()
        _log("ffmpeg could not join the clips with: " + " ".join(command[-12:]))
    raise RuntimeError("ffmpeg could not join the %d clips" % len(files))


def _failed_scenes_text(failed):
    return "; ".join("scene %d: %s" % (r["number"], r["error"]) for r in failed)


@app.local_entrypoint()
def main():
    _download_or_fail()
    files = []
    anchor_frame = None
    if _anchor_wanted():
        try:
            anchor_frame = generate_anchor.remote()
            files += [RUN_ID + "/anchor_ref.mp4", RUN_ID + "/anchor_frame.jpg"]
        except Exception as exc:  # noqa: BLE001 - the scenes can still render without it
            _log("the anchor frame failed (%s); the scenes render without it" % exc)
    _log("rendering %d scene(s), at most %d at once" % (len(SCENES), MAX_PARALLEL))
    try:
        results = sorted(generate_scene.map(_scene_inputs(anchor_frame)), key=lambda r: r["number"])
    except Exception as exc:  # noqa: BLE001 - reported on the ERROR line, then the run fails
        _fail("the scenes failed: %s" % exc)
    failed = [r for r in results if not r["file"]]
    if failed:
        made = len(results) - len(failed)
        _fail("%d of %d scene(s) failed (%s); the %d made are in %s/ of m-gpux-video-output"
              % (len(failed), len(results), _failed_scenes_text(failed), made, RUN_ID))
    clips = [r["file"] for r in results]
    try:
        video = concat_clips.remote(clips)
    except Exception as exc:  # noqa: BLE001 - reported on the ERROR line, then the run fails
        _fail("joining the clips failed: %s; the clips are in %s/ of m-gpux-video-output" % (exc, RUN_ID))
    _log("saved %s in the volume m-gpux-video-output" % video)
    _result({"kind": "storyboard", "run_id": RUN_ID, "files": files + clips + [video], "video": video})
