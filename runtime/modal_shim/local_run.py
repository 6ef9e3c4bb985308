# SPDX-License-Identifier: MIT
"""`modal_shim run|serve|deploy SCRIPT`: the local backend's stand-in for `modal run|serve|deploy`.

The script is imported here (the "app" process) with the stand-in `modal`; each function call
runs in a bubblewrap container of its own (container.py). Environment, from the m-gpux runner:
MGPUX_LOCAL_HOME (volumes and the app registry), MGPUX_LOCAL_RUN_DIR (logs, call folders),
MGPUX_LOCAL_SECRETS (a 0600 JSON file: secret name -> values), MGPUX_LOCAL_IGNORE_MISSING=1.
"""
import datetime
import json
import os
import pickle
import secrets as _random
import shutil
import signal
import string
import subprocess
import sys
import time
import traceback

from . import container, image_check

RUNNING_STATES = {"run": "ephemeral (detached)", "serve": "ephemeral", "deploy": "deployed"}
DEPLOYED_LINE = "App deployed locally"


def new_app_id():
    alphabet = string.ascii_lowercase + string.digits
    return "ap-local" + "".join(_random.choice(alphabet) for _ in range(17))


def say(text):
    print(text, flush=True)


class Settings:
    def __init__(self, script, app_id):
        self.script = os.path.abspath(script)
        self.app_id = app_id
        self.home = os.environ.get("MGPUX_LOCAL_HOME") or os.path.join(os.path.expanduser("~"), ".m-gpux", "local")
        self.run_dir = os.environ.get("MGPUX_LOCAL_RUN_DIR") or os.path.dirname(self.script)
        self.secrets_file = os.environ.get("MGPUX_LOCAL_SECRETS")
        self.ignore_missing = os.environ.get("MGPUX_LOCAL_IGNORE_MISSING") == "1"
        self.work = os.path.join(self.run_dir, "local")


class Registry:
    """$MGPUX_LOCAL_HOME/apps/<app id>.json: what `m-gpux stop` and `sessions` find for a local app."""

    def __init__(self, settings):
        self.path = os.path.join(settings.home, "apps", settings.app_id + ".json")
        self.settings = settings

    def save(self, **fields):
        record = {}
        if os.path.exists(self.path):
            with open(self.path, encoding="utf-8") as fh:
                record = json.load(fh)
        record.update(fields)
        os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
        tmp = self.path + ".tmp"
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as fh:
            json.dump(record, fh, indent=1)
        os.replace(tmp, self.path)


class LocalApp:
    def __init__(self, settings):
        self.s = settings
        self.app = None
        self.calls = 0
        self.copies = 0
        self.copied = {}  # folder -> its filtered copy, made once per app
        self.children = []
        self.bwrap = None

    # -- loading and checks -----------------------------------------------------------------
    def load(self):
        from modal import _local

        _local.MODE = "app"
        _local.call_remote = self.call_remote
        if self.s.secrets_file and os.path.exists(self.s.secrets_file):
            with open(self.s.secrets_file, encoding="utf-8") as fh:
                _local.NAMED_SECRETS = json.load(fh)
        from modal._report import _main_app
        from modal_shim.__main__ import _import_script

        sys.path.insert(0, os.path.dirname(self.s.script))
        module = _import_script(self.s.script)
        self.app = _main_app(module)
        if self.app is None:
            raise SystemExit("modal_shim: %s defines no modal.App" % self.s.script)
        return self.app

    def preflight(self, functions):
        """Stops (exit 1) when an image needs what this machine lacks, unless told to go on."""
        self.bwrap = container.bwrap_program()
        container.check_namespaces(self.bwrap)
        missing = []
        for fn in functions:
            notes, lacking = image_check.check_image(fn._objects["image"])
            for note in notes:
                say("[local] %s: %s" % (fn.name, note))
            missing += [(fn.name, m) for m in lacking]
            if fn._record.get("gpu") and not os.path.exists("/dev/nvidia0"):
                say("[local] warning: %s asks for GPU %s, but this machine has none: it runs on the CPU"
                    % (fn.name, fn._record["gpu"]))
        if not missing:
            return True
        say("[local] missing on this machine:")
        for name, what in missing:
            say("[local]   %s: %s" % (name, what))
        if self.s.ignore_missing:
            say("[local] going on anyway (--ignore-missing)")
            return True
        say("[local] nothing was run; install what is missing, or pass --ignore-missing to run anyway")
        return False

    # -- containers --------------------------------------------------------------------------
    def _mounts(self, fn):
        mounts = []
        for local, remote, ignore in image_check.image_mounts(fn._objects["image"]):
            if os.path.isdir(local) and ignore:
                if local not in self.copied:
                    self.copied[local] = self._filtered_copy(local, ignore)
                local = self.copied[local]
            if os.path.exists(local):
                mounts.append((local, remote))
        return mounts + image_check.image_lent_programs(fn._objects["image"])

    def _filtered_copy(self, source, ignore):
        """A copy of the folder without what `ignore` matches (the upload filter), bound in its place."""
        self.copies += 1
        target = os.path.join(self.s.work, "mounts", "%d-%s" % (self.copies, os.path.basename(source)))
        matches = ignore if callable(ignore) else _matcher(ignore)
        # The m-gpux state folder (run directories, credentials) and the copy itself may lie inside
        # the project: never copied, whatever they are called.
        private = {os.path.realpath(p) for p in (target, os.path.dirname(self.s.home), self.s.run_dir)}
        for folder, dirs, files in os.walk(source):
            rel = os.path.relpath(folder, source)
            dirs[:] = [d for d in dirs if not matches(os.path.normpath(os.path.join(rel, d)))
                       and os.path.realpath(os.path.join(folder, d)) not in private]
            os.makedirs(os.path.join(target, rel), exist_ok=True)
            for name in files:
                rel_file = os.path.normpath(os.path.join(rel, name))
                if not matches(rel_file):
                    shutil.copy2(os.path.join(folder, name), os.path.join(target, rel_file), follow_symlinks=False)
        return target

    def _volumes(self, fn):
        volumes = []
        for path, volume in fn._objects["volumes"].items():
            name = getattr(volume, "name", None)
            if not name or name.startswith("cloud-bucket:"):
                continue
            folder = os.path.join(self.s.home, "volumes", name)
            os.makedirs(folder, mode=0o700, exist_ok=True)
            volumes.append((folder, str(path)))
        return volumes

    def _env(self, fn):
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root",
               "LANG": "C.UTF-8", "PYTHONPATH": container.RUNTIME_DIR, "PYTHONUNBUFFERED": "1",
               "PYTHONDONTWRITEBYTECODE": "1", "MODAL_IS_REMOTE": "1", "MODAL_TASK_ID": "local-task",
               "MGPUX_LOCAL_APP_ID": self.s.app_id}
        if image_check.image_lent_programs(fn._objects["image"]):
            env["PATH"] = image_check.LENT_DIR + ":" + env["PATH"]  # what an image step would have built
        env.update(image_check.image_env(fn._objects["image"]))
        for secret in fn._objects["secrets"]:
            env.update(secret._values)
        return env

    def start(self, fn, kind, args=(), kwargs=None, port=None):
        self.calls += 1
        call_dir = os.path.join(self.s.work, "calls", "%d-%s" % (self.calls, fn.name))
        os.makedirs(call_dir, mode=0o700)
        script_copy = os.path.join(call_dir, os.path.basename(self.s.script))
        shutil.copy2(self.s.script, script_copy)
        spec = {"script": container.EXCHANGE + "/" + os.path.basename(self.s.script), "function": fn.name,
                "kind": kind, "port": port}
        with open(os.path.join(call_dir, "spec.json"), "w", encoding="utf-8") as fh:
            json.dump(spec, fh)
        with open(os.path.join(call_dir, "args.pkl"), "wb") as fh:
            pickle.dump((tuple(args), dict(kwargs or {})), fh)
        cwd = image_check.image_workdir(fn._objects["image"]) or "/root"
        argv = container.bwrap_command(self.bwrap, call_dir=call_dir, mounts=self._mounts(fn),
                                       volumes=self._volumes(fn), env=self._env(fn), cwd=cwd)
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
        self.children.append(proc)
        return proc, call_dir

    def call_remote(self, fn, args, kwargs):
        from modal.exception import FunctionTimeoutError

        timeout = fn._record.get("timeout") or 300
        proc, call_dir = self.start(fn, "call", args, kwargs)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            say("[local] %s did not finish within its timeout of %s s; it was stopped" % (fn.name, timeout))
            raise FunctionTimeoutError("%s timed out after %s s" % (fn.name, timeout)) from None
        finally:
            self.children.remove(proc)
        result = os.path.join(call_dir, "result.pkl")
        if not os.path.exists(result):
            raise RuntimeError("%s ended (exit %s) without a result" % (fn.name, proc.returncode))
        with open(result, "rb") as fh:
            status, value = pickle.load(fh)
        if status == "error":
            raise value
        return value

    def stop_children(self):
        for proc in list(self.children):
            if proc.poll() is None:
                proc.terminate()
        for proc in list(self.children):
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()

    # -- modes -------------------------------------------------------------------------------
    def run(self):
        from modal._report import _modal_run

        functions = list(self.app._functions.values())
        if not self.preflight(functions):
            return 1
        say("[local] View run at local: %s (logs: %s)" % (self.s.app_id, self.s.run_dir))
        pick = _modal_run(self.app)
        if not pick["target"]:
            say("[local] cannot pick what to run: %s" % pick["reason"])
            return 1
        with self.app.run():
            target = pick["target"]
            if target in self.app._local_entrypoints:
                self.app._local_entrypoints[target]()
            elif target in self.app._functions:
                self.app._functions[target].remote()
            else:
                say("[local] running a class with `modal run` is not supported locally")
                return 1
        say("[local] the run finished")
        return 0

    def serve(self, deploy):
        web = [fn for fn in self.app._functions.values() if fn._record.get("web")]
        if not self.preflight(web):
            return 1
        say("[local] View run at local: %s (logs: %s)" % (self.s.app_id, self.s.run_dir))
        for fn in web:
            if not self._start_endpoint(fn):
                self.stop_children()
                return 1
        say("[local] %s" % (DEPLOYED_LINE if deploy else "serving; stop with Ctrl-C"))
        while all(proc.poll() is None for proc in self.children):
            time.sleep(0.5)
        say("[local] an endpoint container ended; stopping the app")
        self.stop_children()
        return 1

    def _start_endpoint(self, fn):
        web = fn._record["web"]
        kind = web["type"]
        if kind not in ("web_server", "asgi", "wsgi"):
            say("[local] %s: web endpoints of type %s are not served locally" % (fn.name, kind))
            return False
        port = web["port"] if kind == "web_server" else container.free_port()
        if kind == "web_server" and container.port_in_use(port):
            # The container shares this machine's network: another server there would answer instead.
            say("[local] %s needs port %d, which something on this machine already listens on; stop it "
                "(another local app: `m-gpux stop`) and try again" % (fn.name, port))
            return False
        proc, _ = self.start(fn, kind, port=port)
        startup = float(web.get("startup_timeout") or 60) if kind == "web_server" else 60.0
        if not container.wait_for_port(port, proc, startup):
            say("[local] %s did not accept connections on port %d within %.0f s" % (fn.name, port, startup))
            return False
        say("Created web function %s => http://127.0.0.1:%d" % (fn.name, port))
        return True


def _matcher(patterns):
    from modal.file_pattern_matcher import FilePatternMatcher

    return FilePatternMatcher(*patterns)


def _on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


def execute(mode, script, app_id):
    """Runs the app in this process; returns the exit status."""
    settings = Settings(script, app_id)
    os.makedirs(settings.home, mode=0o700, exist_ok=True)
    os.makedirs(settings.work, mode=0o700, exist_ok=True)
    signal.signal(signal.SIGTERM, _on_sigterm)
    local = LocalApp(settings)
    try:
        local.load()
        return local.run() if mode == "run" else local.serve(mode == "deploy")
    except container.ContainerUnavailable as exc:
        say("[local] %s; nothing was run (the local backend never runs a function outside a container)" % exc)
        return 4
    except SystemExit as exc:
        if isinstance(exc.code, str):
            say(exc.code)
        return exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - the traceback is the report, like `modal run`
        traceback.print_exc()
        return 1
    finally:
        local.stop_children()


def worker(mode, script, app_id):
    """The detached app process (its own session): registered while it runs."""
    settings = Settings(script, app_id)
    registry = Registry(settings)
    registry.save(app_id=app_id, description=_app_name(script), state=RUNNING_STATES[mode], pid=os.getpid(),
                  created_at=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                  run_dir=settings.run_dir, log=os.path.join(settings.run_dir, "output.log"), mode=mode)
    code = 1
    try:
        code = execute(mode, script, app_id)
    finally:
        registry.save(state="stopped", exit_code=code)
    return code


def _app_name(script):
    """The App's name as the m-gpux runner passed it (the script is not imported twice for it)."""
    return os.environ.get("MGPUX_LOCAL_APP_NAME") or os.path.splitext(os.path.basename(script))[0]


def detach(mode, script):
    """Starts the worker in a session of its own and shows its log until it is up (deploy) or done (run)."""
    settings = Settings(script, new_app_id())
    os.makedirs(settings.run_dir, exist_ok=True)
    log_path = os.path.join(settings.run_dir, "output.log")
    with open(os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "modal_shim", "_worker", mode, settings.script, settings.app_id],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    held = []  # `modal deploy` shows no container output: held back unless the deployment fails
    with open(log_path, "rb") as log:
        while True:
            line = log.readline()
            if line:
                text = line.decode("utf-8", "replace")
                if mode == "deploy" and not text.startswith(("[local]", "Created web function")):
                    held.append(text)
                    continue
                sys.stdout.write(text)
                sys.stdout.flush()
                if mode == "deploy" and DEPLOYED_LINE in text:
                    return 0
                continue
            if proc.poll() is not None:
                sys.stdout.write("".join(held) + log.read().decode("utf-8", "replace"))
                sys.stdout.flush()
                return proc.returncode
            time.sleep(0.1)
