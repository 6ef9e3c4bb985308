# SPDX-License-Identifier: MIT
"""modal.Function / FunctionCall stand-ins.

A Function carries the introspection record the inspect report prints. Calls run the raw
function in-process (best effort): `.local()` always, `.remote()` / `.map()` / `.spawn()`
only while the App is running (`with app.run():`), like Modal.
"""
import re
import threading

from . import _local
from ._state import STATE, jsonable
from .exception import ExecutionError, InvalidError


def _slug(text):
    return re.sub(r"[^a-z0-9-]+", "-", str(text).lower()).strip("-") or "fn"


class Function:
    """Created by `@app.function`; use `Function.from_name` for a deployed one."""

    def __init__(self, _app, _raw_f, _name, _record):
        self.object_id = STATE.next_id("fu")
        self._app = _app
        self._raw_f = _raw_f
        self._name = _name
        self._record = _record
        self._objects = {}
        if _raw_f is not None:
            for attr in ("__name__", "__qualname__", "__doc__", "__module__"):
                try:
                    setattr(self, attr, getattr(_raw_f, attr))
                except (AttributeError, TypeError):
                    pass

    # -- introspection -----------------------------------------------------------------------
    @property
    def name(self):
        return self._name

    @property
    def app(self):
        return self._app

    def get_raw_f(self):
        return self._raw_f

    def _shim_ref(self):
        return {"$function": self._name}

    def __repr__(self):
        return f"Function({self._name!r})"

    @property
    def _is_web(self):
        return self._record is not None and self._record.get("web") is not None

    def _late_web(self, web):
        """A web decorator was (wrongly) applied above @app.function: still record it."""
        self._record["web"] = web
        self._record["kind"] = web["type"]
        self._record["runnable_by_modal_run"] = False
        if self._app is not None and self._name not in self._app._web_endpoints:
            self._app._web_endpoints.append(self._name)

    def _late_concurrent(self, params):
        self._record["concurrent"] = dict(params)

    def _report(self):
        return jsonable(self._record)

    # -- invocation --------------------------------------------------------------------------
    def _require_running(self, verb):
        if self._raw_f is None:
            raise ExecutionError(f"Function {self._name!r} was looked up by name; the stand-in cannot call it.")
        if self._app is None or not self._app._running:
            raise ExecutionError(
                f"Function has not been hydrated with the metadata it needs to run on Modal, because the App it is "
                f"defined on is not running (called .{verb}() on {self._name!r} outside `modal run` / `app.run()`)."
            )

    def local(self, *args, **kwargs):
        if self._raw_f is None:
            raise ExecutionError(f"Function {self._name!r} has no local definition.")
        return self._raw_f(*args, **kwargs)

    def remote(self, *args, **kwargs):
        self._require_running("remote")
        if self._is_web:
            raise InvalidError(f"A web endpoint function ({self._name}) cannot be called with .remote().")
        return self._call(args, kwargs)

    def _call(self, args, kwargs):
        """One input: in a container of its own when the local backend runs the app, else in-process."""
        if _local.MODE == "app" and _local.call_remote is not None:
            return _local.call_remote(self, args, kwargs)
        return self._raw_f(*args, **kwargs)

    def remote_gen(self, *args, **kwargs):
        self._require_running("remote_gen")
        yield from self._call(args, kwargs)  # a local container sends the generated values as a list

    def map(self, *input_iterators, kwargs={}, order_outputs=True, return_exceptions=False,  # noqa: B006
            wrap_returned_exceptions=True):
        self._require_running("map")
        for args in zip(*input_iterators):
            try:
                yield self._call(args, kwargs)
            except Exception as exc:  # noqa: BLE001 - mirrors return_exceptions
                if not return_exceptions:
                    raise
                yield exc

    def starmap(self, input_iterator, *, kwargs={}, order_outputs=True, return_exceptions=False,  # noqa: B006
                wrap_returned_exceptions=True):
        self._require_running("starmap")
        for args in input_iterator:
            try:
                yield self._call(args, kwargs)
            except Exception as exc:  # noqa: BLE001
                if not return_exceptions:
                    raise
                yield exc

    def for_each(self, *input_iterators, kwargs={}, ignore_exceptions=False):  # noqa: B006
        for _ in self.map(*input_iterators, kwargs=kwargs, return_exceptions=ignore_exceptions):
            pass

    def spawn(self, *args, **kwargs):
        self._require_running("spawn")
        if self._is_web:
            raise InvalidError(f"A web endpoint function ({self._name}) cannot be spawned.")
        call = FunctionCall(_function_name=self._name)
        if _local.MODE == "app":
            # Runs beside the caller, as on Modal; .get() waits for it.
            call._thread = threading.Thread(target=call._settle, args=(lambda: self._call(args, kwargs),), daemon=True)
            call._thread.start()
        else:
            call._settle(lambda: self._raw_f(*args, **kwargs))
        return call

    def spawn_map(self, *input_iterators, kwargs={}):  # noqa: B006
        self._require_running("spawn_map")
        for args in zip(*input_iterators):
            self._call(args, kwargs)

    def get_web_url(self):
        if not self._is_web:
            return None
        web = self._record["web"]
        app_name = self._app.name if self._app is not None and self._app.name else "app"
        host = web.get("label") or f"{_slug(app_name)}-{_slug(self._name)}"
        return f"https://shim--{host}.modal.run"

    @property
    def web_url(self):
        return self.get_web_url()

    def hydrate(self, client=None):
        return self

    def update_autoscaler(self, *, min_containers=None, max_containers=None, buffer_containers=None, scaledown_window=None):
        return None

    @staticmethod
    def from_name(app_name, name, *, environment_name=None, client=None):
        return Function(None, None, name, {"name": name, "app": app_name, "lookup": True})


class FunctionCall:
    """Handle returned by `.spawn()`; the stand-in runs the call eagerly."""

    def __init__(self, _function_name=None, _object_id=None):
        self.object_id = _object_id or STATE.next_id("fc")
        self._function_name = _function_name
        self._result = None
        self._exception = None
        self._thread = None

    def _settle(self, compute):
        try:
            self._result = compute()
        except Exception as exc:  # noqa: BLE001 - delivered by .get()
            self._exception = exc

    def get(self, timeout=None):
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise TimeoutError(f"the call of {self._function_name} did not finish within {timeout} s")
        if self._exception is not None:
            raise self._exception
        return self._result

    def get_call_graph(self):
        return []

    def cancel(self, terminate_containers=False):
        return None

    @staticmethod
    def from_id(function_call_id, client=None):
        return FunctionCall(_object_id=function_call_id)

    @staticmethod
    def gather(*function_calls):
        return [fc.get() for fc in function_calls]


class LocalEntrypoint:
    """Created by `@app.local_entrypoint()`; calling it runs the body (inside `app.run()`)."""

    def __init__(self, _app, _raw_f, _name, _record):
        self._app = _app
        self._raw_f = _raw_f
        self._name = _name
        self._record = _record

    @property
    def info(self):
        return self._record

    def __call__(self, *args, **kwargs):
        return self._raw_f(*args, **kwargs)

    def _shim_ref(self):
        return {"$local_entrypoint": self._name}
