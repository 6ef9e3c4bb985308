{{! SPDX-License-Identifier: MIT }}
{{> common/generated_header.py}}
"""m-gpux video generate: one clip from a text prompt with Lightricks LTX-2.3.

Run it with `modal run` (attached). The weights download on a CPU container into the
m-gpux-ltx-cache volume; the clip renders on the chosen compute into
m-gpux-video-output at <run id>/video_<seed>.mp4.
Markers: "[m-gpux] RESULT {"kind": "video", "run_id", "files", "video"}" when the clip is saved;
"[m-gpux] ERROR <why>" before the run fails.
"""
import json
import os
import shlex
import subprocess

import modal

app = modal.App({{app_name}})

{{> common/metrics.py}}

{{> video/_ltx.py}}

PROMPT = {{prompt}}
FRAMES = {{frames}}
SEED = {{seed}}


def _clip_name(seed):
    return "video_%d.mp4" % seed


@app.function(
    image=image,
    {{#gpu}}gpu={{gpu}},
    {{/gpu}}{{#cpu}}cpu={{cores}},
    memory={{memory_mb}},
    {{/cpu}}timeout={{timeout_s}},
    volumes=VOLUMES,
)
def generate():
    _print_metrics()
    model_cache.reload()
    name = _clip_name(SEED)
    ok, why = _render_clip(PROMPT, RUN_DIR + "/" + name, FRAMES, SEED)
    if not ok:
        raise RuntimeError(why)
    output_vol.commit()
    return RUN_ID + "/" + name


@app.local_entrypoint()
def main():
    _download_or_fail()
    try:
        video = generate.remote()
    except Exception as exc:  # noqa: BLE001 - reported on the ERROR line, then the run fails
        _fail("the generation failed: %s" % exc)
    _log("saved %s in the volume m-gpux-video-output" % video)
    _result({"kind": "video", "run_id": RUN_ID, "files": [video], "video": video})
