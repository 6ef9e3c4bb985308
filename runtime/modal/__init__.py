# SPDX-License-Identifier: MIT
"""Stand-in for the `modal` Python SDK (modal 1.5.4 surface), for tests only.

Importing a generated script with this package first on sys.path records everything the
script declares (App, Images, Volumes, Secrets, Functions, ...) and validates it against
Modal's client-side rules, without any network access. `python -m modal_shim inspect FILE`
prints the record as JSON. Rules:

* wrong call signatures raise TypeError, as with the real SDK (the signatures match);
* removed autoscaler kwargs (keep_warm, concurrency_limit, container_idle_timeout,
  allow_concurrent_inputs) raise modal.exception.DeprecationError, as in modal >= 1.4;
* every other problem Modal would report (InvalidError at definition, build or app start)
  is recorded in the report's `errors` list instead of being raised.
"""
from . import billing, client, exception
from ._state import STATE as _STATE
from ._tunnel import Tunnel, enable_output, forward, is_local
from .app import App
from .file_pattern_matcher import FilePatternMatcher
from .functions import Function, FunctionCall
from .image import Image
from .partial_function import (
    asgi_app,
    batched,
    concurrent,
    enter,
    exit,
    fastapi_endpoint,
    method,
    parameter,
    web_endpoint,
    web_server,
    wsgi_app,
)
from .retries import Retries
from .sandbox import Sandbox
from .schedule import Cron, Period
from .secret import Secret
from .volume import CloudBucketMount, Volume

__version__ = "1.5.4"
__modal_shim__ = True

_REMOVED = {
    "Stub": "Module 'modal' has no attribute 'Stub'. Use `modal.App` instead (renamed; the alias was removed in modal 1.0).",
    "Mount": "Module 'modal' has no attribute 'Mount'. Mounts were removed in modal 1.0: use `Image.add_local_dir`, "
             "`Image.add_local_file` or `Image.add_local_python_source`.",
    "gpu": "Module 'modal' has no attribute 'gpu'. GPU objects were removed in modal 1.0: pass strings such as "
           "gpu=\"A100\" or gpu=\"H100:2\".",
}


def __getattr__(name):
    if name in _REMOVED:
        raise AttributeError(_REMOVED[name])
    raise AttributeError(f"module 'modal' has no attribute '{name}'")


def _shim_reset():
    """Forget everything recorded so far (for in-process tests)."""
    _STATE.reset()


__all__ = [
    "App", "billing", "client", "CloudBucketMount", "Cron", "FilePatternMatcher", "Function", "FunctionCall", "Image", "Period",
    "Retries", "Sandbox", "Secret", "Tunnel", "Volume", "asgi_app", "batched", "concurrent", "enable_output",
    "enter", "exception", "exit", "fastapi_endpoint", "forward", "is_local", "method", "parameter",
    "web_endpoint", "web_server", "wsgi_app",
]
