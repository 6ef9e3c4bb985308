# SPDX-License-Identifier: MIT
"""Decorators that mark a function before `@app.function` registers it.

`@modal.concurrent`, the web decorators and the class markers wrap the raw function in a
_PartialFunction record; they stack in any order, and `@app.function` (which must be the
outermost decorator) consumes the record. Misuse is recorded in STATE.errors.
"""
import inspect
import numbers

from ._state import STATE, user_location
from .exception import DeprecationError


class _PartialFunction:
    def __init__(self, raw_f):
        self.raw_f = raw_f
        self.web = None
        self.concurrent = None
        self.batched = None
        self.markers = set()  # method / enter / exit
        self.registered = False
        self.location = user_location()
        self.__name__ = getattr(raw_f, "__name__", "<partial>")
        self.__qualname__ = getattr(raw_f, "__qualname__", self.__name__)
        STATE.partials.append(self)

    def __call__(self, *args, **kwargs):
        return self.raw_f(*args, **kwargs)

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return self.raw_f.__get__(obj, objtype)

    def _shim_ref(self):
        return {"$partial": self.__qualname__}

    def __repr__(self):
        return f"_PartialFunction({self.__qualname__})"


def _qualname(obj):
    return getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or type(obj).__name__


def is_method_qualname(qualname):
    parts = qualname.split(".")
    return len(parts) > 1 and parts[-2] != "<locals>"


def _target(obj, dec):
    """What a decorator applies to: a _PartialFunction, a Function (wrong order) or None (class)."""
    from .functions import Function

    if isinstance(obj, Function):
        STATE.error(
            "decorator_order",
            f"`@modal.{dec}` was applied on top of `@app.function` for `{obj.name}`. `@app.function` must be the "
            f"outermost decorator: write `@app.function(...)` above `@modal.{dec}`.",
            f"@modal.{dec} on {obj.name}",
        )
        return obj
    if inspect.isclass(obj):
        STATE.error("decorator_on_class", f"`@modal.{dec}` cannot decorate a class ({obj.__name__}).", f"@modal.{dec} on {obj.__name__}")
        return None
    if isinstance(obj, _PartialFunction):
        return obj
    if callable(obj):
        return _PartialFunction(obj)
    raise TypeError(f"@modal.{dec} must decorate a function, not {type(obj).__name__}")


def _positional(dec, value):
    if value is not None:
        STATE.error(
            "positional_args",
            f"Positional arguments are not allowed. Did you forget parentheses? Suggestion: `@modal.{dec}()`.",
            f"@modal.{dec}",
        )
        return True
    return False


def _required_params(raw_f):
    try:
        sig = inspect.signature(raw_f)
    except (TypeError, ValueError):
        return []
    params = list(sig.parameters.values())
    if params and is_method_qualname(_qualname(raw_f)):
        params = params[1:]  # self
    return [
        p.name for p in params
        if p.default is inspect.Parameter.empty
        and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]


def _check_web_callable(raw_f, dec, *, nullary=True, sync=True):
    where = f"@modal.{dec} on {_qualname(raw_f)}"
    if sync and (inspect.iscoroutinefunction(raw_f) or inspect.isasyncgenfunction(raw_f)):
        STATE.error(
            "web_function_async",
            f"`@modal.{dec}` function `{_qualname(raw_f)}` can't be async: it must be a plain function that "
            + ("starts the server and returns." if dec == "web_server" else "returns the app."),
            where,
        )
    if nullary:
        required = _required_params(raw_f)
        if required:
            STATE.error(
                "web_function_params",
                f"`@modal.{dec}` function `{_qualname(raw_f)}` has required parameters ({', '.join(required)}); "
                "web functions must not take arguments.",
                where,
            )


def _apply_web(obj, dec, web, *, nullary=True, sync=True):
    target = _target(obj, dec)
    if target is None:
        return obj
    from .functions import Function

    if isinstance(target, Function):
        target._late_web(web)
        return target
    if target.web is not None:
        STATE.error(
            "multiple_web_decorators",
            f"`{_qualname(target.raw_f)}` has two web decorators (@modal.{dec} and one for {target.web['type']}).",
            f"@modal.{dec} on {_qualname(target.raw_f)}",
        )
    _check_web_callable(target.raw_f, dec, nullary=nullary, sync=sync)
    target.web = web
    return target


def _check_common_web(dec, label, custom_domains):
    where = f"@modal.{dec}"
    if label is not None and not isinstance(label, str):
        STATE.error("invalid_label", f"`label` must be a string, not {type(label).__name__}.", where)
    if custom_domains is not None and (
        isinstance(custom_domains, str) or not all(isinstance(d, str) for d in custom_domains)
    ):
        STATE.error("invalid_custom_domains", "`custom_domains` must be a list of domain names.", where)
        return None
    return list(custom_domains) if custom_domains is not None else None


def concurrent(_warn_parentheses_missing=None, *, max_inputs, target_inputs=None):
    bare = _positional("concurrent", _warn_parentheses_missing)
    where = "@modal.concurrent"
    if not isinstance(max_inputs, int) or isinstance(max_inputs, bool) or max_inputs < 1:
        STATE.error("invalid_concurrency", f"`max_inputs` must be a positive int, got {max_inputs!r}.", where)
    if target_inputs is not None:
        if not isinstance(target_inputs, int) or isinstance(target_inputs, bool) or target_inputs < 1:
            STATE.error("invalid_concurrency", f"`target_inputs` must be a positive int, got {target_inputs!r}.", where)
        elif isinstance(max_inputs, int) and target_inputs > max_inputs:
            STATE.error("invalid_concurrency", "`target_inputs` parameter cannot be greater than `max_inputs`.", where)
    params = {"max_inputs": max_inputs, "target_inputs": target_inputs}

    def wrapper(obj):
        target = _target(obj, "concurrent")
        if target is None:
            return obj
        from .functions import Function

        if isinstance(target, Function):
            target._late_concurrent(params)
            return target
        if target.concurrent is not None:
            STATE.error("duplicate_decorator", f"`@modal.concurrent` applied twice to `{_qualname(target.raw_f)}`.", where)
        target.concurrent = dict(params)
        return target

    return wrapper(_warn_parentheses_missing) if bare and callable(_warn_parentheses_missing) else wrapper


def web_server(port, *, startup_timeout=5.0, label=None, custom_domains=None, requires_proxy_auth=False):
    where = "@modal.web_server"
    bare_f = None
    if callable(port) and not isinstance(port, numbers.Number):
        STATE.error("invalid_port", "First argument of `@web_server` must be a local port, such as `@web_server(8000)`.", where)
        bare_f, port = port, None
    elif not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        STATE.error("invalid_port", f"First argument of `@web_server` must be a local port between 1 and 65535, got {port!r}.", where)
    if not isinstance(startup_timeout, numbers.Real) or isinstance(startup_timeout, bool) or startup_timeout <= 0:
        STATE.error("invalid_startup_timeout", f"The `startup_timeout` argument of `@web_server` must be positive, got {startup_timeout!r}.", where)
    domains = _check_common_web("web_server", label, custom_domains)
    web = {
        "type": "web_server",
        "port": port,
        "startup_timeout": startup_timeout,
        "label": label,
        "custom_domains": domains,
        "requires_proxy_auth": bool(requires_proxy_auth),
    }

    def wrapper(obj):
        return _apply_web(obj, "web_server", dict(web))

    return wrapper(bare_f) if bare_f is not None else wrapper


def _app_decorator(kind, dec):
    def decorator(_warn_parentheses_missing=None, *, label=None, custom_domains=None, requires_proxy_auth=False):
        bare = _positional(dec, _warn_parentheses_missing)
        domains = _check_common_web(dec, label, custom_domains)
        web = {"type": kind, "label": label, "custom_domains": domains, "requires_proxy_auth": bool(requires_proxy_auth)}

        def wrapper(obj):
            return _apply_web(obj, dec, dict(web))

        return wrapper(_warn_parentheses_missing) if bare and callable(_warn_parentheses_missing) else wrapper

    decorator.__name__ = decorator.__qualname__ = dec
    return decorator


asgi_app = _app_decorator("asgi", "asgi_app")
wsgi_app = _app_decorator("wsgi", "wsgi_app")


def fastapi_endpoint(_warn_parentheses_missing=None, *, method="GET", label=None, custom_domains=None, docs=False,
                     requires_proxy_auth=False):
    bare = _positional("fastapi_endpoint", _warn_parentheses_missing)
    domains = _check_common_web("fastapi_endpoint", label, custom_domains)
    if not isinstance(method, str):
        STATE.error("invalid_method", f"`method` must be an HTTP method name, not {type(method).__name__}.", "@modal.fastapi_endpoint")
    web = {
        "type": "fastapi",
        "method": method,
        "label": label,
        "custom_domains": domains,
        "docs": bool(docs),
        "requires_proxy_auth": bool(requires_proxy_auth),
    }

    def wrapper(obj):
        return _apply_web(obj, "fastapi_endpoint", dict(web), nullary=False, sync=False)

    return wrapper(_warn_parentheses_missing) if bare and callable(_warn_parentheses_missing) else wrapper


def web_endpoint(*args, **kwargs):
    raise DeprecationError(
        "`@modal.web_endpoint` has been removed; use `@modal.fastapi_endpoint` instead (same arguments)."
    )


# Class markers (record-only; used with @app.cls).
def _marker(name):
    def decorator(_warn_parentheses_missing=None, **kwargs):
        bare = _positional(name, _warn_parentheses_missing)

        def wrapper(obj):
            target = _target(obj, name)
            if target is None:
                return obj
            from .functions import Function

            if isinstance(target, Function):
                return target
            target.markers.add(name)
            return target

        return wrapper(_warn_parentheses_missing) if bare and callable(_warn_parentheses_missing) else wrapper

    decorator.__name__ = decorator.__qualname__ = name
    return decorator


def method(_warn_parentheses_missing=None, *, is_generator=None):
    return _marker("method")(_warn_parentheses_missing)


def enter(_warn_parentheses_missing=None, *, snap=False):
    return _marker("enter")(_warn_parentheses_missing)


def exit(_warn_parentheses_missing=None):  # noqa: A001 - Modal's name
    return _marker("exit")(_warn_parentheses_missing)


def batched(_warn_parentheses_missing=None, *, max_batch_size, wait_ms):
    bare = _positional("batched", _warn_parentheses_missing)
    where = "@modal.batched"
    if not isinstance(max_batch_size, int) or max_batch_size < 1:
        STATE.error("invalid_batched", f"`max_batch_size` must be a positive int, got {max_batch_size!r}.", where)
    if not isinstance(wait_ms, int) or wait_ms < 0:
        STATE.error("invalid_batched", f"`wait_ms` must be a non-negative int, got {wait_ms!r}.", where)

    def wrapper(obj):
        target = _target(obj, "batched")
        if target is None:
            return obj
        from .functions import Function

        if isinstance(target, Function):
            return target
        target.batched = {"max_batch_size": max_batch_size, "wait_ms": wait_ms}
        return target

    return wrapper(_warn_parentheses_missing) if bare and callable(_warn_parentheses_missing) else wrapper


_NO_DEFAULT = object()


def parameter(*, default=_NO_DEFAULT, init=True):
    """Class parameter marker for @app.cls classes (record-only: yields the default)."""
    return None if default is _NO_DEFAULT else default
