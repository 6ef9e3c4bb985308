# SPDX-License-Identifier: MIT
"""modal.Image stand-in: an immutable recipe (base + ordered steps), nothing is built.

Every builder method returns a new Image with one step appended. Problems Modal would
report (at definition or at image build time) are recorded in STATE.errors; wrong call
signatures raise TypeError exactly like the real SDK because the signatures match.
"""
import contextlib
import hashlib
import importlib.util
import os
from pathlib import Path, PurePosixPath

from ._state import STATE, jsonable
from ._validate import check_gpu, check_python_version
from .file_pattern_matcher import NON_PYTHON_FILES, FilePatternMatcher

_MOUNT_ORDER_MESSAGE = (
    "An image tried to run a build step after using `image.add_local_*` to include local files.\n\n"
    "Run `image.add_local_*` commands last in your image build to avoid rebuilding images with every "
    "local file change. Modal will then add these files to containers on startup instead, saving build "
    "time.\nIf you need to run other build steps after adding local files, set `copy=True` in your "
    "`add_local_*` call."
)


def _flatten_str_args(method, arg_name, values, where):
    out = []
    for value in values:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, (list, tuple)):
            for item in value:
                if isinstance(item, str):
                    out.append(item)
                else:
                    STATE.error(
                        "invalid_argument",
                        f"{method}: expected {arg_name} to be str or list of str, got a list containing {type(item).__name__}.",
                        where,
                    )
        else:
            STATE.error(
                "invalid_argument",
                f"{method}: expected {arg_name} to be str or list of str, got {type(value).__name__}.",
                where,
            )
    return out


def _resolve_local(path):
    """Local paths resolve like Modal: `~` expanded, relative to the process's cwd."""
    return Path(os.path.expanduser(os.fspath(path))).absolute()


def _check_secrets(secrets, where):
    from .secret import Secret

    if secrets is None:
        return
    if not isinstance(secrets, (list, tuple)):
        STATE.error("invalid_secrets", f"`secrets` must be a list of modal.Secret, not {type(secrets).__name__}.", where)
        return
    for s in secrets:
        if not isinstance(s, Secret):
            STATE.error("invalid_secrets", f"`secrets` must contain only modal.Secret objects, found {type(s).__name__}.", where)


def _file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(65536), b""):
            h.update(chunk)
    return h.hexdigest()


def _ignore_record(ignore):
    if isinstance(ignore, FilePatternMatcher):
        return ignore._shim_ref()
    if callable(ignore):
        return {"$callable": getattr(ignore, "__qualname__", type(ignore).__name__)}
    if isinstance(ignore, (list, tuple)):
        return list(ignore)
    return jsonable(ignore)


class Image:
    """Build with `Image.debian_slim()`, `Image.from_registry(...)`, ...; not `Image()`."""

    def __init__(self, _base, _steps=(), _parent=None, _uncopied_mounts=False):
        self.object_id = STATE.next_id("im")
        self._base = _base
        self._steps = tuple(_steps)
        self._parent = _parent
        self._uncopied_mounts = _uncopied_mounts
        self._children = 0
        self._used = False
        self._built = False
        self._published = []  # the names publish() was called with
        if _parent is not None:
            _parent._children += 1
        STATE.images.append(self)

    def _shim_ref(self):
        return {"$image": self.object_id}

    def __repr__(self):
        return f"Image({self.object_id})"

    def _record(self):
        return {
            "id": self.object_id,
            "base": dict(self._base),
            "steps": [{k: v for k, v in step.items() if not k.startswith("_")} for step in self._steps],
            "used": self._used,
            "built": self._built,
            "published": list(self._published),
        }

    # -- building and publishing (Modal 1.5) -------------------------------------------------
    def build(self, app):
        """Builds the image for `app` (a running App); recorded, nothing is built here."""
        from .app import App

        if not isinstance(app, App):
            STATE.error("invalid_app", f"Image.build: `app` must be a modal.App, not {type(app).__name__}.", self._where("build"))
        self._built = True
        self._used = True
        return self

    def publish(self, name, *, environment_name=None, experimental_options=None, client=None):
        """Publishes the built image under `name` (":latest" when it has no tag); recorded."""
        where = self._where("publish")
        if not self._built:
            STATE.error("image_not_built", "Cannot publish an image that has not been created yet. Call `.build()` first.", where)
        if not isinstance(name, str) or not name.strip():
            STATE.error("invalid_image_name", f"Image.publish: `name` must be a non-empty string, got {name!r}.", where)
        self._published.append(name)

    # -- internals -------------------------------------------------------------------------
    def _where(self, op):
        return f"Image.{op} (on {self.object_id})"

    def _append(self, op, args=(), kwargs=None, *, build=True, mount=False, extra=None):
        where = self._where(op)
        if build and self._uncopied_mounts:
            STATE.error("build_step_after_add_local", _MOUNT_ORDER_MESSAGE, where)
        step = {"op": op, "args": jsonable(list(args)), "kwargs": jsonable(dict(kwargs or {}))}
        if extra:
            step.update(extra)
        return Image(self._base, self._steps + (step,), self, self._uncopied_mounts or mount)

    @staticmethod
    def _kwargs(**pairs):
        """Keeps only the keyword arguments that differ from their defaults (value, default) pairs."""
        return {k: v for k, (v, default) in pairs.items() if v != default}

    def _common_build_checks(self, op, secrets=None, gpu=None):
        where = self._where(op)
        _check_secrets(secrets, where)
        check_gpu(gpu, where)

    # -- constructors ----------------------------------------------------------------------
    @staticmethod
    def debian_slim(python_version=None, force_build=False):
        where = "Image.debian_slim"
        resolved = check_python_version(python_version, where)
        base = {
            "type": "debian_slim",
            "python_version": resolved,
            "python_version_requested": jsonable(python_version),
        }
        if force_build:
            base["force_build"] = True
        return Image(base)

    @staticmethod
    def micromamba(python_version=None, force_build=False):
        resolved = check_python_version(python_version, "Image.micromamba")
        return Image({"type": "micromamba", "python_version": resolved, "python_version_requested": jsonable(python_version)})

    @staticmethod
    def from_id(image_id, client=None):
        """An image that already exists (a published build or a sandbox's filesystem snapshot)."""
        if not isinstance(image_id, str) or not image_id:
            STATE.error("invalid_image_id", f"Image.from_id: `image_id` must be a non-empty string, got {image_id!r}.",
                        "Image.from_id")
        return Image({"type": "from_id", "image_id": image_id})

    @staticmethod
    def from_registry(tag, secret=None, *, setup_dockerfile_commands=[], force_build=False, add_python=None):  # noqa: B006
        from .secret import Secret

        where = "Image.from_registry"
        if not isinstance(tag, str) or not tag.strip():
            STATE.error("invalid_image_tag", f"Image.from_registry: `tag` must be a non-empty string, got {tag!r}.", where)
        if secret is not None and not isinstance(secret, Secret):
            STATE.error("invalid_secrets", f"Image.from_registry: `secret` must be a modal.Secret, not {type(secret).__name__}.", where)
        resolved_python = None
        if add_python is not None:
            resolved_python = check_python_version(add_python, where, allow_micro=False, arg="add_python")
        commands = _flatten_str_args("Image.from_registry", "setup_dockerfile_commands", [setup_dockerfile_commands], where)
        base = {
            "type": "from_registry",
            "tag": jsonable(tag),
            "add_python": resolved_python,
            "add_python_requested": jsonable(add_python),
            "secret": jsonable(secret),
            "setup_dockerfile_commands": commands,
        }
        if force_build:
            base["force_build"] = True
        return Image(base)

    @staticmethod
    def from_name(name, *, environment_name=None, client=None):
        """A published image, looked up by name when the app starts."""
        where = "Image.from_name"
        if not isinstance(name, str) or not name.strip():
            STATE.error("invalid_image_name", f"Image.from_name: `name` must be a non-empty string, got {name!r}.", where)
        if environment_name is not None and not isinstance(environment_name, str):
            STATE.error("invalid_environment", f"Image.from_name: `environment_name` must be a string, got {environment_name!r}.", where)
        return Image({"type": "from_name", "name": jsonable(name), "environment_name": jsonable(environment_name)})

    @staticmethod
    def from_dockerfile(path, *, context_dir=None, force_build=False, secrets=None, gpu=None, add_python=None, build_args={}, ignore=()):  # noqa: B006
        where = "Image.from_dockerfile"
        local = _resolve_local(path)
        if not local.is_file():
            STATE.error("local_path_missing", f"Dockerfile {local} does not exist.", where)
        _check_secrets(secrets, where)
        check_gpu(gpu, where)
        resolved_python = None
        if add_python is not None:
            resolved_python = check_python_version(add_python, where, allow_micro=False, arg="add_python")
        return Image({
            "type": "from_dockerfile",
            "path": str(path),
            "path_resolved": str(local),
            "context_dir": jsonable(context_dir),
            "add_python": resolved_python,
            "build_args": sorted(build_args) if isinstance(build_args, dict) else jsonable(build_args),
        })

    # -- package installation -------------------------------------------------------------
    def pip_install(self, *packages, find_links=None, index_url=None, extra_index_url=None, pre=False,
                    extra_options="", force_build=False, env=None, secrets=None, gpu=None):
        where = self._where("pip_install")
        pkgs = _flatten_str_args("Image.pip_install", "packages", packages, where)
        for p in pkgs:
            if p.strip().startswith("-"):
                STATE.error(
                    "pip_flag_in_packages",
                    f"Image.pip_install: {p!r} looks like a pip option. Passing flags inside the package list is not "
                    "supported since modal 1.0; use `extra_options=` instead.",
                    where,
                )
        self._common_build_checks("pip_install", secrets, gpu)
        if not pkgs:
            return self  # Modal returns the same image when there is nothing to install
        kw = self._kwargs(find_links=(find_links, None), index_url=(index_url, None), extra_index_url=(extra_index_url, None),
                          pre=(pre, False), extra_options=(extra_options, ""), force_build=(force_build, False),
                          env=(env, None), secrets=(secrets, None), gpu=(gpu, None))
        return self._append("pip_install", pkgs, kw)

    def pip_install_from_requirements(self, requirements_txt, find_links=None, *, index_url=None, extra_index_url=None,
                                      pre=False, extra_options="", force_build=False, env=None, secrets=None, gpu=None):
        where = self._where("pip_install_from_requirements")
        local = _resolve_local(requirements_txt)
        extra = {"local_path_resolved": str(local)}
        if local.is_file():
            extra["sha256"] = _file_sha256(local)
        else:
            STATE.error("local_path_missing", f"Requirements file {local} does not exist.", where)
        self._common_build_checks("pip_install_from_requirements", secrets, gpu)
        kw = self._kwargs(find_links=(find_links, None), index_url=(index_url, None), extra_index_url=(extra_index_url, None),
                          pre=(pre, False), extra_options=(extra_options, ""), force_build=(force_build, False),
                          env=(env, None), secrets=(secrets, None), gpu=(gpu, None))
        return self._append("pip_install_from_requirements", [os.fspath(requirements_txt)], kw, extra=extra)

    def uv_pip_install(self, *packages, requirements=None, find_links=None, index_url=None, extra_index_url=None, pre=False,
                       extra_options="", force_build=False, uv_version=None, env=None, secrets=None, gpu=None):
        where = self._where("uv_pip_install")
        pkgs = _flatten_str_args("Image.uv_pip_install", "packages", packages, where)
        for p in pkgs:
            if p.strip().startswith("-"):
                STATE.error("pip_flag_in_packages",
                            f"Image.uv_pip_install: {p!r} looks like an option; use `extra_options=` instead.", where)
        extra = {}
        if requirements is not None:
            if isinstance(requirements, (str, os.PathLike)) or not isinstance(requirements, (list, tuple)):
                STATE.error("invalid_argument", "Image.uv_pip_install: `requirements` must be a list of paths.", where)
                requirements = [requirements] if isinstance(requirements, (str, os.PathLike)) else []
            resolved = []
            for req in requirements:
                local = _resolve_local(req)
                resolved.append(str(local))
                if not local.is_file():
                    STATE.error("local_path_missing", f"Requirements file {local} does not exist.", where)
            extra["requirements_resolved"] = resolved
        self._common_build_checks("uv_pip_install", secrets, gpu)
        if not pkgs and not requirements:
            return self
        kw = self._kwargs(requirements=(requirements, None), find_links=(find_links, None), index_url=(index_url, None),
                          extra_index_url=(extra_index_url, None), pre=(pre, False), extra_options=(extra_options, ""),
                          force_build=(force_build, False), uv_version=(uv_version, None), env=(env, None),
                          secrets=(secrets, None), gpu=(gpu, None))
        return self._append("uv_pip_install", pkgs, kw, extra=extra)

    def apt_install(self, *packages, force_build=False, env=None, secrets=None, gpu=None):
        where = self._where("apt_install")
        pkgs = _flatten_str_args("Image.apt_install", "packages", packages, where)
        self._common_build_checks("apt_install", secrets, gpu)
        if not pkgs:
            return self
        kw = self._kwargs(force_build=(force_build, False), env=(env, None), secrets=(secrets, None), gpu=(gpu, None))
        return self._append("apt_install", pkgs, kw)

    def run_commands(self, *commands, env=None, secrets=None, volumes=None, gpu=None, force_build=False):
        where = self._where("run_commands")
        cmds = _flatten_str_args("Image.run_commands", "commands", commands, where)
        self._common_build_checks("run_commands", secrets, gpu)
        if volumes:
            from ._validate import check_mount_points

            check_mount_points("Volume", volumes, where)
        if not cmds:
            return self
        kw = self._kwargs(env=(env, None), secrets=(secrets, None), volumes=(volumes, None), gpu=(gpu, None),
                          force_build=(force_build, False))
        return self._append("run_commands", cmds, kw)

    def dockerfile_commands(self, *dockerfile_commands, context_files={}, env=None, secrets=None, gpu=None,  # noqa: B006
                            context_dir=None, force_build=False, ignore=()):
        where = self._where("dockerfile_commands")
        cmds = _flatten_str_args("Image.dockerfile_commands", "dockerfile_commands", dockerfile_commands, where)
        self._common_build_checks("dockerfile_commands", secrets, gpu)
        if not cmds:
            return self
        kw = self._kwargs(context_files=(context_files, {}), env=(env, None), secrets=(secrets, None), gpu=(gpu, None),
                          context_dir=(context_dir, None), force_build=(force_build, False))
        return self._append("dockerfile_commands", cmds, kw)

    def run_function(self, raw_f, *, secrets=(), volumes={}, network_file_systems={}, gpu=None, cpu=None,  # noqa: B006
                     memory=None, timeout=3600, cloud=None, region=None, force_build=False, args=(), kwargs={},
                     include_source=True):
        where = self._where("run_function")
        if not callable(raw_f):
            STATE.error("invalid_argument", f"Image.run_function expects a function, not {type(raw_f).__name__}.", where)
        self._common_build_checks("run_function", list(secrets), gpu)
        kw = self._kwargs(secrets=(list(secrets), []), volumes=(volumes, {}), gpu=(gpu, None), cpu=(cpu, None),
                          memory=(memory, None), timeout=(timeout, 3600), force_build=(force_build, False))
        return self._append("run_function", [raw_f], kw)

    # -- configuration ----------------------------------------------------------------------
    def env(self, vars):  # noqa: A002 - Modal's parameter name
        where = self._where("env")
        if not isinstance(vars, dict):
            STATE.error("invalid_env", f"Image.env expects a dict[str, str], not {type(vars).__name__}.", where)
            vars = {}  # noqa: A001
        bad = [k for k, v in vars.items() if not isinstance(k, str) or not isinstance(v, str)]
        if bad:
            STATE.error("invalid_env", f"Image.env: values must be strings; check the keys {', '.join(map(str, bad))}.", where)
        for key in vars:
            upper = str(key).upper()
            if any(marker in upper for marker in ("TOKEN", "SECRET", "PASSWORD", "API_KEY", "ACCESS_KEY", "PRIVATE_KEY")):
                STATE.warn(
                    "secret_in_image_env",
                    f"Image.env sets {key!r}, which looks like a credential, in plain text in the image; "
                    "pass it with a modal.Secret instead.",
                    where,
                )
        return self._append("env", [dict(vars)])

    def entrypoint(self, entrypoint_commands):
        where = self._where("entrypoint")
        if not isinstance(entrypoint_commands, list) or not all(isinstance(x, str) for x in entrypoint_commands):
            STATE.error("invalid_entrypoint", "Image.entrypoint: `entrypoint_commands` must be a list of strings.", where)
        return self._append("entrypoint", [entrypoint_commands])

    def cmd(self, cmd):
        where = self._where("cmd")
        if not isinstance(cmd, list) or not all(isinstance(x, str) for x in cmd):
            STATE.error("invalid_cmd", "Image.cmd: `cmd` must be a list of strings.", where)
        return self._append("cmd", [cmd])

    def workdir(self, path):
        where = self._where("workdir")
        if not isinstance(path, (str, PurePosixPath)):
            STATE.error("invalid_workdir", f"Image.workdir expects a str or PurePosixPath, not {type(path).__name__}.", where)
        return self._append("workdir", [jsonable(path)])

    # -- local files --------------------------------------------------------------------------
    def _check_remote(self, op, remote_path):
        where = self._where(op)
        if not isinstance(remote_path, (str, PurePosixPath)):
            STATE.error("invalid_remote_path", f"image.{op}(): `remote_path` must be a str, not {type(remote_path).__name__}.", where)
            return None
        remote = str(remote_path)
        if not PurePosixPath(remote).is_absolute():
            STATE.error("remote_path_not_absolute", f"image.{op}() currently only supports absolute remote_path values (got {remote!r}).", where)
        return remote

    def add_local_dir(self, local_path, remote_path, *, copy=False, ignore=[]):  # noqa: B006
        op = "add_local_dir"
        where = self._where(op)
        local = _resolve_local(local_path)
        if not local.exists():
            STATE.error("local_path_missing", f"local dir {local} does not exist", where)
        elif not local.is_dir():
            STATE.error("local_path_not_dir", f"local dir {local} is not a directory", where)
        remote = self._check_remote(op, remote_path)
        if not (callable(ignore) or (isinstance(ignore, (list, tuple)) and all(isinstance(p, str) for p in ignore))):
            STATE.error("invalid_ignore", "`ignore` must be a sequence of pattern strings or a callable(Path) -> bool.", where)
        # "_ignore" (the object itself) is for a local run's copy of the folder; the report skips it.
        extra = {"local_path_resolved": str(local), "_ignore": ignore}
        kw = {"copy": bool(copy)}
        if ignore:
            kw["ignore"] = _ignore_record(ignore)
        return self._append(op, [os.fspath(local_path), remote], kw, build=bool(copy), mount=not copy, extra=extra)

    def add_local_file(self, local_path, remote_path, *, copy=False):
        op = "add_local_file"
        where = self._where(op)
        local = _resolve_local(local_path)
        if not local.exists():
            STATE.error("local_path_missing", f"local file {local} does not exist", where)
        elif not local.is_file():
            STATE.error("local_path_not_file", f"local file {local} is not a file", where)
        remote = self._check_remote(op, remote_path)
        remote_final = remote
        if remote is not None and remote.endswith("/"):
            remote_final = remote + local.name
        extra = {"local_path_resolved": str(local), "remote_path_resolved": remote_final}
        return self._append(op, [os.fspath(local_path), remote], {"copy": bool(copy)}, build=bool(copy), mount=not copy, extra=extra)

    def add_local_python_source(self, *modules, copy=False, ignore=NON_PYTHON_FILES):
        op = "add_local_python_source"
        where = self._where(op)
        found = {}
        for module in modules:
            if not isinstance(module, str):
                STATE.error("invalid_argument", f"add_local_python_source expects module names (str), not {type(module).__name__}.", where)
                continue
            try:
                spec = importlib.util.find_spec(module)
            except (ImportError, ValueError):
                spec = None
            if spec is None:
                STATE.error("module_not_found", f"Module {module!r} not found (add_local_python_source).", where)
                continue
            origin = spec.origin if spec.origin not in (None, "namespace") else None
            if spec.submodule_search_locations:
                origin = list(spec.submodule_search_locations)[0]
            found[module] = origin
        extra = {"modules_resolved": found}
        kw = {"copy": bool(copy)}
        if ignore is not NON_PYTHON_FILES:
            kw["ignore"] = _ignore_record(ignore)
        return self._append(op, list(m for m in modules if isinstance(m, str)), kw, build=bool(copy), mount=not copy, extra=extra)

    # -- misc --------------------------------------------------------------------------------
    @contextlib.contextmanager
    def imports(self):
        """Like Modal's: ImportErrors inside the block are tolerated when running locally."""
        try:
            yield
        except ImportError:
            if os.environ.get("MODAL_IS_REMOTE") == "1":
                raise

    def hydrate(self, client=None):
        return self
