# SPDX-License-Identifier: MIT
"""Process-wide record of everything a script declares through the stand-in `modal`.

Every object (App, Image, Volume, Secret, Function, ...) registers itself here when it is
created, and validation failures are appended to `errors` / `warnings` instead of being
raised, so that one import of a generated script reports all of its problems at once.
"""
import math
import os
import sys
from pathlib import PurePath

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class Registry:
    def __init__(self):
        self.reset()

    def reset(self):
        self.apps = []
        self.images = []
        self.volumes = []  # volume records (dicts), in creation order
        self.secrets = []  # secret records (dicts), in creation order
        self.functions = []  # Function objects, in registration order
        self.local_entrypoints = []
        self.classes = []
        self.sandboxes = []
        self.partials = []
        self.tunnels = []
        self.warnings = []
        self.errors = []
        self._counters = {}

    def next_id(self, prefix):
        n = self._counters.get(prefix, 0) + 1
        self._counters[prefix] = n
        return f"{prefix}-{n}"

    def error(self, code, message, where=None):
        self.errors.append(_issue(code, message, where))

    def warn(self, code, message, where=None):
        self.warnings.append(_issue(code, message, where))


def _issue(code, message, where):
    return {"code": code, "message": message, "where": where, "location": user_location()}


def user_location():
    """`file:line` of the innermost stack frame outside this package (the script's call site)."""
    try:
        frame = sys._getframe(1)
    except ValueError:
        return None
    while frame is not None:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(PACKAGE_DIR + os.sep):
            return f"{os.path.basename(filename)}:{frame.f_lineno}"
        frame = frame.f_back
    return None


STATE = Registry()


def jsonable(value, _depth=0):
    """A JSON-safe rendering of a decorator or builder argument.

    Stand-in objects are replaced by small references ({"$image": id}, ...); secrets never
    carry values; anything unknown becomes {"$object": type name} (never its repr, which
    could contain a secret).
    """
    if _depth > 20:
        return {"$object": "<too deep>"}
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    ref = getattr(value, "_shim_ref", None)
    if callable(ref):
        return ref()
    if isinstance(value, dict):
        return {str(k): jsonable(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
        if isinstance(value, (set, frozenset)):
            items = sorted(items, key=repr)
        return [jsonable(v, _depth + 1) for v in items]
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, bytes):
        return {"$bytes": len(value)}
    if callable(value):
        return {"$callable": getattr(value, "__qualname__", type(value).__name__)}
    return {"$object": type(value).__name__}
