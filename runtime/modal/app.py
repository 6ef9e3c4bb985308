# SPDX-License-Identifier: MIT
"""modal.App stand-in: registers functions, local entrypoints and classes for inspection."""
import contextlib
import inspect
import warnings

from ._state import STATE, jsonable, user_location
from ._validate import (
    check_autoscaler,
    check_cpu,
    check_gpu,
    check_memory,
    check_mount_points,
    check_timeout,
    name_problem,
)
from .exception import DeprecationError
from .functions import Function, LocalEntrypoint
from .image import Image
from .partial_function import _PartialFunction, is_method_qualname
from .secret import Secret
from .volume import CloudBucketMount, Volume

# Keyword-only parameters of App.function in modal 1.5.4, with their defaults.
FUNCTION_PARAMS = {
    "image": None,
    "schedule": None,
    "env": None,
    "secrets": None,
    "gpu": None,
    "serialized": False,
    "network_file_systems": {},
    "volumes": {},
    "cpu": None,
    "memory": None,
    "ephemeral_disk": None,
    "min_containers": None,
    "max_containers": None,
    "buffer_containers": None,
    "scaledown_window": None,
    "proxy": None,
    "retries": None,
    "timeout": 300,
    "startup_timeout": None,
    "name": None,
    "is_generator": None,
    "cloud": None,
    "region": None,
    "routing_region": None,
    "nonpreemptible": False,
    "enable_memory_snapshot": False,
    "block_network": False,
    "restrict_modal_access": False,
    "single_use_containers": False,
    "i6pn": None,
    "include_source": None,
    "experimental_options": None,
    "_experimental_restrict_output": False,
    "max_inputs": None,
}
CLS_PARAMS = {k: v for k, v in FUNCTION_PARAMS.items() if k not in ("schedule", "name", "is_generator")}

# Removed parameters: passing any of them raises DeprecationError (modal >= 1.4).
_RENAMED = {
    "keep_warm": "min_containers",
    "concurrency_limit": "max_containers",
    "container_idle_timeout": "scaledown_window",
}


def _raise_deprecated(kwargs):
    for old, new in _RENAMED.items():
        if old in kwargs:
            raise DeprecationError(f"Deprecated on 2025-02-24: The '{old}' parameter has been renamed to '{new}'.")
    if "allow_concurrent_inputs" in kwargs:
        raise DeprecationError(
            "Deprecated on 2025-04-09: The 'allow_concurrent_inputs' parameter is deprecated. "
            "Use the '@modal.concurrent' decorator instead."
        )


def _check_kwargs(method, allowed, kwargs):
    _raise_deprecated(kwargs)
    for key in kwargs:
        if key not in allowed:
            raise TypeError(f"App.{method}() got an unexpected keyword argument '{key}'")


def _signature(params):
    p = [
        inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter("_warn_parentheses_missing", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None),
    ]
    p += [inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=v) for k, v in params.items()]
    return inspect.Signature(p)


def _param_records(raw_f):
    try:
        sig = inspect.signature(raw_f)
    except (TypeError, ValueError):
        return []
    out = []
    for p in sig.parameters.values():
        ann = p.annotation
        out.append({
            "name": p.name,
            "kind": p.kind.name.lower(),
            "annotation": None if ann is inspect.Parameter.empty else (ann if isinstance(ann, str) else getattr(ann, "__name__", str(ann))),
            "default": None if p.default is inspect.Parameter.empty else jsonable(p.default),
            "required": p.default is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD),
        })
    return out


def _passed_kwargs(passed):
    """The decorator kwargs as given, JSON-safe; `env` values never leave (keys only)."""
    out = {}
    for key, value in passed.items():
        if key == "env" and isinstance(value, dict):
            out[key] = {"$env_keys": [k for k, v in value.items() if v is not None]}
        else:
            out[key] = jsonable(value)
    return out


class App:
    def __init__(self, name=None, *, tags=None, image=None, secrets=[], volumes={}, include_source=True):  # noqa: B006
        where = f"App({name!r})"
        if name is not None:
            problem = name_problem(name, "App")
            if problem:
                STATE.error("invalid_app_name", problem, where)
        if tags is not None and (not isinstance(tags, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items())):
            STATE.error("invalid_tags", "App `tags` must be a dict[str, str].", where)
        if image is not None and not isinstance(image, Image):
            STATE.error("invalid_image", f"App `image` must be a modal.Image, not {type(image).__name__}.", where)
            image = None
        _check_secret_list(secrets, where)
        self._name = name
        self._tags = dict(tags) if isinstance(tags, dict) else {}
        self._image = image
        self._secrets = list(secrets) if isinstance(secrets, (list, tuple)) else []
        self._volumes = dict(volumes) if isinstance(volumes, dict) else {}
        if volumes:
            check_mount_points("Volume", volumes, where)
        self._include_source = include_source
        self._functions = {}
        self._web_endpoints = []
        self._local_entrypoints = {}
        self._classes = {}
        self._default_image = None
        self._running = False
        self._lookup = False
        self.location = user_location()
        STATE.apps.append(self)

    # -- properties --------------------------------------------------------------------------
    @property
    def name(self):
        return self._name

    @property
    def description(self):
        return self._name

    @property
    def app_id(self):
        return None

    @property
    def tags(self):
        return dict(self._tags)

    @property
    def image(self):
        return self._image

    @image.setter
    def image(self, value):
        self._image = value

    @property
    def registered_functions(self):
        return dict(self._functions)

    @property
    def registered_classes(self):
        return dict(self._classes)

    @property
    def registered_entrypoints(self):
        return dict(self._local_entrypoints)

    @property
    def registered_web_endpoints(self):
        return list(self._web_endpoints)

    @property
    def is_interactive(self):
        return False

    def __repr__(self):
        return f"App({self._name!r})"

    def _shim_ref(self):
        return {"$app": self._name}

    def _report(self):
        return {
            "name": self._name,
            "tags": dict(self._tags),
            "include_source": jsonable(self._include_source),
            "image": self._image.object_id if isinstance(self._image, Image) else None,
            "secrets": [dict(s._record) for s in self._secrets if isinstance(s, Secret)],
            "volumes": {str(k): getattr(v, "name", None) for k, v in self._volumes.items()},
            "functions": list(self._functions),
            "local_entrypoints": list(self._local_entrypoints),
            "classes": list(self._classes),
            "lookup": self._lookup,
        }

    # -- lifecycle ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def run(self, *, client=None, detach=False, interactive=False, environment_name=None):
        previous = self._running
        self._running = True
        try:
            yield self
        finally:
            self._running = previous

    def deploy(self, *, name=None, environment_name=None, tag=None, client=None):
        return self

    def set_tags(self, tags, *, client=None):
        self._tags.update(tags)

    def include(self, other_app, inherit_tags=True):
        for name, fn in other_app._functions.items():
            self._functions.setdefault(name, fn)
        for name, cls in other_app._classes.items():
            self._classes.setdefault(name, cls)
        if inherit_tags:
            for k, v in other_app._tags.items():
                self._tags.setdefault(k, v)
        return self

    @staticmethod
    def lookup(name, *, client=None, environment_name=None, create_if_missing=False):
        app = App(name)
        app._lookup = True
        return app

    # -- decorators --------------------------------------------------------------------------
    def local_entrypoint(self, _warn_parentheses_missing=None, *, name=None):
        where = "@app.local_entrypoint"
        bare_f = None
        if _warn_parentheses_missing is not None:
            STATE.error("positional_args", "Did you forget parentheses? Suggestion: `@app.local_entrypoint()`.", where)
            bare_f = _warn_parentheses_missing if callable(_warn_parentheses_missing) else None
        if name is not None and not isinstance(name, str):
            STATE.error("invalid_name", "Invalid value for `name`: Must be string.", where)
            name = None

        def wrapped(raw_f):
            tag = name if name is not None else raw_f.__qualname__
            if tag in self._local_entrypoints:
                STATE.error(
                    "duplicate_local_entrypoint",
                    f"Duplicate local entrypoint name: {tag}. Local entrypoint names must be unique.",
                    where,
                )
            record = {"name": tag, "app": self._name, "params": _param_records(raw_f), "location": user_location()}
            entrypoint = LocalEntrypoint(self, raw_f, tag, record)
            self._local_entrypoints[tag] = entrypoint
            STATE.local_entrypoints.append(entrypoint)
            return entrypoint

        return wrapped(bare_f) if bare_f is not None else wrapped

    def function(self, _warn_parentheses_missing=None, **kwargs):
        _check_kwargs("function", FUNCTION_PARAMS, kwargs)
        return self._function(_warn_parentheses_missing, kwargs)

    function.__signature__ = _signature(FUNCTION_PARAMS)

    def cls(self, _warn_parentheses_missing=None, **kwargs):
        _check_kwargs("cls", CLS_PARAMS, kwargs)
        where = "@app.cls"
        bare = None
        if _warn_parentheses_missing is not None:
            STATE.error("positional_args", "Did you forget parentheses? Suggestion: `@app.cls()`.", where)
            bare = _warn_parentheses_missing if inspect.isclass(_warn_parentheses_missing) else None
        opts = {**CLS_PARAMS, **kwargs}
        secrets = self._collect_secrets(opts, where)

        def wrapper(user_cls):
            if not inspect.isclass(user_cls):
                STATE.error("cls_not_class", f"`@app.cls` must decorate a class, not {type(user_cls).__name__}.", where)
                return user_cls
            name = user_cls.__name__
            record = self._common_record(name, opts, kwargs, secrets, f"class {name}")
            methods = []
            for attr, value in vars(user_cls).items():
                if isinstance(value, _PartialFunction):
                    value.registered = True
                    methods.append({
                        "name": attr,
                        "markers": sorted(value.markers),
                        "web": value.web,
                        "concurrent": value.concurrent,
                        "batched": value.batched,
                    })
            record["methods"] = methods
            self._classes[name] = user_cls
            STATE.classes.append(record)
            return user_cls

        return wrapper(bare) if bare is not None else wrapper

    cls.__signature__ = _signature(CLS_PARAMS)

    # -- internals ---------------------------------------------------------------------------
    def _get_default_image(self):
        if self._image is not None:
            return self._image
        if self._default_image is None:
            self._default_image = Image.debian_slim()
            self._default_image._base["implicit"] = True
        return self._default_image

    def _collect_secrets(self, opts, where):
        secrets = opts["secrets"] or []
        _check_secret_list(secrets, where)
        secrets = [s for s in secrets if isinstance(s, Secret)] if isinstance(secrets, (list, tuple)) else []
        env = opts.get("env")
        if env:
            if isinstance(env, dict):
                secrets = [*secrets, Secret.from_dict(env)]
            else:
                STATE.error("invalid_env", f"`env` must be a dict[str, str | None], not {type(env).__name__}.", where)
        return [*self._secrets, *secrets]

    def _function(self, positional, passed):
        where = "@app.function"
        opts = {**FUNCTION_PARAMS, **passed}
        bare_f = None
        if positional is not None:
            if isinstance(positional, Image):
                STATE.error("positional_args", "`image` needs to be a keyword argument: `@app.function(image=image)`.", where)
                if "image" not in passed:
                    opts["image"] = positional
            else:
                STATE.error("positional_args", "Did you forget parentheses? Suggestion: `@app.function()`.", where)
                bare_f = positional if callable(positional) else None
        max_inputs = opts["max_inputs"]
        if max_inputs is not None:
            if not isinstance(max_inputs, int) or isinstance(max_inputs, bool) or max_inputs <= 0:
                STATE.error("invalid_max_inputs", f"`max_inputs` must be a positive int, got {max_inputs!r}.", where)
            elif max_inputs > 1:
                STATE.error("invalid_max_inputs", "Only `max_inputs=1` is currently supported", where)
            else:
                message = "2025-12-16: The `max_inputs` parameter is deprecated. Please set `single_use_containers=True` instead."
                STATE.warn("deprecated_max_inputs", message, where)
                warnings.warn(message, DeprecationError, stacklevel=3)
                opts["single_use_containers"] = True
        secrets = self._collect_secrets(opts, where)

        def wrapped(f):
            return self._register(f, opts, passed, secrets)

        return wrapped(bare_f) if bare_f is not None else wrapped

    def _common_record(self, name, opts, passed, secrets, where):
        image = opts["image"]
        if image is None:
            image = self._get_default_image()
        elif not isinstance(image, Image):
            STATE.error("invalid_image", f"`image` must be a modal.Image, not {type(image).__name__}.", where)
            image = self._get_default_image()
        image._used = True

        gpu = check_gpu(opts["gpu"], where)
        check_cpu(opts["cpu"], where)
        check_memory(opts["memory"], where)
        disk = opts["ephemeral_disk"]
        if disk is not None and (not isinstance(disk, int) or isinstance(disk, bool) or disk <= 0):
            STATE.error("invalid_ephemeral_disk", f"`ephemeral_disk` must be a positive int (MiB), got {disk!r}.", where)
        check_timeout(opts["timeout"], "timeout", where)
        check_timeout(opts["startup_timeout"], "startup_timeout", where)
        check_autoscaler(opts["min_containers"], opts["max_containers"], opts["buffer_containers"],
                         opts["scaledown_window"], where)

        merged_volumes = {**self._volumes, **(opts["volumes"] if isinstance(opts["volumes"], dict) else {})}
        if not isinstance(opts["volumes"], dict):
            check_mount_points("Volume", opts["volumes"], where)  # records the type error
        volume_map = {}
        paths_by_volume = {}
        for path, vol in check_mount_points("Volume", merged_volumes, where):
            if isinstance(vol, Volume):
                volume_map[path] = vol.name
                paths_by_volume.setdefault(vol._key(), []).append(path)
                if path not in vol._record["mounts"]:
                    vol._record["mounts"].append(path)
            elif isinstance(vol, CloudBucketMount):
                volume_map[path] = vol.name
            else:
                STATE.error("invalid_volume", f"Object of type {type(vol).__name__} mounted at '{path}' is not usable as a volume.", where)
        for paths in paths_by_volume.values():
            if len(paths) > 1:
                STATE.error(
                    "volume_mounted_twice",
                    f"The same Volume cannot be mounted in multiple locations for the same function: {', '.join(paths)}",
                    where,
                )
        nfs = opts["network_file_systems"]
        if nfs:
            check_mount_points("NetworkFileSystem", nfs, where)

        retries = opts["retries"]
        if retries is not None and not (isinstance(retries, int) and not isinstance(retries, bool) and retries >= 0) \
                and type(retries).__name__ != "Retries":
            STATE.error("invalid_retries", f"`retries` must be a non-negative int or modal.Retries, got {type(retries).__name__}.", where)

        return {
            "name": name,
            "app": self._name,
            "gpu": gpu,
            "cpu": jsonable(opts["cpu"]),
            "memory": jsonable(opts["memory"]),
            "ephemeral_disk": disk,
            "timeout": jsonable(opts["timeout"]),
            "startup_timeout": jsonable(opts["startup_timeout"]),
            "min_containers": jsonable(opts["min_containers"]),
            "max_containers": jsonable(opts["max_containers"]),
            "buffer_containers": jsonable(opts["buffer_containers"]),
            "scaledown_window": jsonable(opts["scaledown_window"]),
            "volumes": volume_map,
            "secrets": [dict(s._record) for s in secrets],
            "image": image.object_id,
            "retries": jsonable(retries),
            "single_use_containers": bool(opts["single_use_containers"]),
            "kwargs": _passed_kwargs(passed),
            "location": user_location(),
        }

    def _register(self, f, opts, passed, secrets):
        where = "@app.function"
        if inspect.isclass(f):
            raise TypeError("The `@app.function` decorator cannot be used on a class. Please use `@app.cls` instead.")
        if isinstance(f, Function):
            STATE.error("function_decorated_twice", f"`@app.function` was applied twice to `{f.name}`.", where)
            return f
        partial = None
        if isinstance(f, _PartialFunction):
            partial = f
            raw_f = f.raw_f
            f.registered = True
        elif callable(f):
            raw_f = f
        else:
            raise TypeError(f"`@app.function` must decorate a function, not {type(f).__name__}")

        qualname = getattr(raw_f, "__qualname__", getattr(raw_f, "__name__", "f"))
        name = opts["name"] if opts["name"] is not None else getattr(raw_f, "__name__", qualname)
        if not isinstance(name, str):
            STATE.error("invalid_name", "Invalid value for `name`: Must be string.", where)
            name = getattr(raw_f, "__name__", qualname)
        where = f"function {name}"
        if is_method_qualname(qualname):
            STATE.error(
                "function_on_method",
                "The `@app.function` decorator cannot be used on class methods. Use `@app.cls` with `@modal.method` instead.",
                where,
            )
        elif "<locals>" in qualname and not opts["serialized"]:
            STATE.error(
                "function_not_global",
                "The `@app.function` decorator must apply to functions in global scope, unless `serialized=True` is set.",
                where,
            )

        record = self._common_record(name, opts, passed, secrets, where)
        web = dict(partial.web) if partial is not None and partial.web is not None else None
        concurrent = dict(partial.concurrent) if partial is not None and partial.concurrent is not None else None
        is_generator = opts["is_generator"]
        if is_generator is None:
            is_generator = inspect.isgeneratorfunction(raw_f) or inspect.isasyncgenfunction(raw_f)
        record.update({
            "kind": web["type"] if web else "function",
            "qualname": qualname,
            "concurrent": concurrent,
            "web": web,
            "batched": partial.batched if partial is not None else None,
            "runnable_by_modal_run": web is None,
            "is_generator": bool(is_generator),
            "is_async": inspect.iscoroutinefunction(raw_f) or inspect.isasyncgenfunction(raw_f),
            "params": _param_records(raw_f),
            "schedule": jsonable(opts["schedule"]),
        })
        fn = Function(self, raw_f, name, record)
        # What a local run needs to build the function's container (never part of the report).
        image = opts["image"] if isinstance(opts["image"], Image) else self._get_default_image()
        volumes = {**self._volumes, **(opts["volumes"] if isinstance(opts["volumes"], dict) else {})}
        fn._objects = {"image": image, "secrets": list(secrets), "volumes": volumes}
        if name in self._functions:
            STATE.warn("function_name_collision", f"Warning: tag '{name}' collision! Overriding existing function.", where)
            old = self._functions[name]
            if old in STATE.functions:
                STATE.functions.remove(old)
        self._functions[name] = fn
        if web is not None and name not in self._web_endpoints:
            self._web_endpoints.append(name)
        STATE.functions.append(fn)
        return fn


def _check_secret_list(secrets, where):
    if secrets is None:
        return
    if not isinstance(secrets, (list, tuple)):
        STATE.error("invalid_secrets", f"`secrets` must be a list of modal.Secret, not {type(secrets).__name__}.", where)
        return
    for s in secrets:
        if not isinstance(s, Secret):
            STATE.error("invalid_secrets", f"`secrets` must contain only modal.Secret objects, found {type(s).__name__}.", where)
