# SPDX-License-Identifier: MIT
"""Builds the inspect report (one JSON-safe dict) from STATE after a script was imported."""
from ._state import STATE, jsonable


def _main_app(module):
    from .app import App

    if module is not None:
        candidate = getattr(module, "app", None)
        if isinstance(candidate, App):
            return candidate
    apps = [a for a in STATE.apps if not a._lookup] or list(STATE.apps)
    return apps[0] if apps else None


def _modal_run(app):
    """What `modal run FILE` (no ::target) would pick, following modal 1.5.4's order."""
    if app is None:
        return {"runnable": False, "target": None, "candidates": [], "reason": "no modal.App found"}
    entrypoints = list(app._local_entrypoints)
    if entrypoints:
        candidates = entrypoints
    else:
        candidates = [n for n, f in app._functions.items() if f._record.get("runnable_by_modal_run")]
        candidates += list(app._classes)
    if not candidates:
        return {
            "runnable": False,
            "target": None,
            "candidates": [],
            "reason": "has no functions or local entrypoints (web endpoints are not runnable with `modal run`; "
                      "use `modal serve` or `modal deploy`)",
        }
    if len(candidates) == 1:
        return {"runnable": True, "target": candidates[0], "candidates": candidates, "reason": None}
    return {
        "runnable": True,
        "target": None,
        "candidates": candidates,
        "reason": "several candidates: `modal run FILE::NAME` is needed",
    }


def build_report(module=None, caught_warnings=()):
    app = _main_app(module)
    images = [im for im in STATE.images if im._used or im._children == 0]

    warnings_out = list(STATE.warnings)
    for partial in STATE.partials:
        if not partial.registered and (partial.web is not None or partial.concurrent is not None):
            warnings_out.append({
                "code": "partial_not_registered",
                "message": f"`{partial.__qualname__}` has Modal decorators but was never registered with "
                           "`@app.function` (or `@app.cls`).",
                "where": partial.__qualname__,
                "location": partial.location,
            })
    seen = {w["message"] for w in warnings_out}
    for w in caught_warnings:
        category = getattr(w, "category", None)
        if str(w.message) in seen:
            continue  # already recorded by the stand-in itself
        warnings_out.append({
            "code": "python_warning",
            "message": f"{getattr(category, '__name__', 'Warning')}: {w.message}",
            "where": None,
            "location": f"{w.filename.rsplit('/', 1)[-1]}:{w.lineno}" if getattr(w, "filename", None) else None,
        })

    report = {
        "shim": {"modal_version": "1.5.4"},
        "app": None if app is None else {"name": app.name, "tags": dict(app._tags)},
        "apps": [a._report() for a in STATE.apps],
        "images": [im._record() for im in images],
        "volumes": [
            {
                "id": v["id"],
                "name": v["name"],
                "create_if_missing": v["create_if_missing"],
                "environment_name": v["environment_name"],
                "version": v["version"],
                "mounts": sorted(v["mounts"]),
            }
            for v in STATE.volumes
        ],
        "secrets": [dict(s) for s in STATE.secrets],
        "functions": [fn._report() for fn in STATE.functions],
        "local_entrypoints": [dict(e._record) for e in STATE.local_entrypoints],
        "classes": [dict(c) for c in STATE.classes],
        "sandboxes": [dict(s) for s in STATE.sandboxes],
        "modal_run": _modal_run(app),
        "warnings": warnings_out,
        "errors": list(STATE.errors),
    }
    return jsonable(report)
