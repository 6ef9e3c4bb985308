# SPDX-License-Identifier: MIT
"""A fake of Modal 1.5.4's `modal` CLI for end-to-end tests (stdlib only).

Everything lives in the directory named by FAKE_MODAL_HOME:
  calls.jsonl            one JSON record per call, appended as soon as the call starts; for
                         run/serve/deploy its script's Secret.from_local_environ keys, each with
                         whether the variable was set (never a value)
  state.json             apps, tokens, secrets, billing rows (guarded by state.lock)
  volumes/<env>/<name>/  one real directory tree per volume
  snapshots/             copies of the scripts given to run/serve/deploy
  scenario_counts.json   how often each `times`-limited scenario rule has fired

FAKE_MODAL_SCENARIO names an optional JSON file of rules that override answers,
FAKE_MODAL_VERSION (default 1.5.4) switches version-dependent details. See
tests/fakes/fake_modal_helpers.py for the test-side API. The answers model
Modal 1.5.4's CLI: its JSON output, exit codes and error texts.
Anything the fake does not know fails with exit 2; it never invents success.
"""
import contextlib
import datetime as dt
import fcntl
import io
import json
import os
import posixpath
import re
import signal
import stat
import string
import sys
import time
from pathlib import Path


class _LazyModule:
    """A module imported on first use: most calls need few of these, and
    the fake's start-up time adds up when a test starts many at once."""

    def __init__(self, name):
        self._name = name
        self._module = None

    def __getattr__(self, attr):
        if self._module is None:
            self._module = __import__(self._name)
        return getattr(self._module, attr)


ast = _LazyModule("ast")
csv = _LazyModule("csv")
decimal = _LazyModule("decimal")
fnmatch = _LazyModule("fnmatch")
hashlib = _LazyModule("hashlib")
shutil = _LazyModule("shutil")
tomllib = _LazyModule("tomllib")
_secrets = _LazyModule("secrets")

DEFAULT_VERSION = "1.5.4"
APP_ID_RE = re.compile(r"^ap-[a-zA-Z0-9]{22}$")
VOLUME_NAME_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
WEB_DECORATORS = {"web_server", "asgi_app", "wsgi_app", "fastapi_endpoint", "web_endpoint"}
ENV_KEYS_RECORDED = {"PYTHONIOENCODING", "PYTHONUTF8"}
TOKEN_MISSING = (
    "Token missing. Could not authenticate client. If you have token credentials, see "
    "modal.com/docs/reference/modal.config for setup help. If you are a new user, register an "
    "account at modal.com, then run `modal token new`."
)
# Real commands this fake does not model: named so the failure says what was asked.
KNOWN_UNMODELLED = {
    "app": {"history", "rollback", "dashboard"},
    "token": {"new", "info"},
    "volume": {"cp", "rename"},
    "profile": set(),
    "secret": set(),
    "billing": set(),
    "": {"shell", "container", "environment", "config", "setup", "launch", "nfs", "dict",
         "queue", "cluster", "changelog", "dashboard"},
}
START = time.monotonic()


# --------------------------------------------------------------------------- errors

class UsageError(Exception):
    """click.UsageError: usage line + `Error: msg`, exit 2."""

    def __init__(self, message, usage=None):
        super().__init__(message)
        self.usage = usage


class CliError(Exception):
    """An exception shown in an `Error` panel on stderr, exit 1."""


class PlainExit(Exception):
    """SystemExit(msg): the message on stderr, exit 1."""


class Interrupted(BaseException):
    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


# Signals are noted by the handler and raised only at safe points (between
# output lines, while waiting), never in the middle of a state write.
_PENDING_SIGNALS = []


def _on_signal(signum, _frame):
    _PENDING_SIGNALS.append(signum)


def check_signal():
    if _PENDING_SIGNALS:
        raise Interrupted(_PENDING_SIGNALS[0])


def pause(seconds):
    """time.sleep that wakes for a noted signal."""
    deadline = time.monotonic() + seconds
    while True:
        check_signal()
        left = deadline - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(0.05, left))


def out(text=""):
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def err(text=""):
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def error_panel(message):
    lines = str(message).splitlines() or [""]
    width = max(len(line) for line in lines) + 2
    title = "─ Error "
    err("╭" + title + "─" * max(0, width - len(title)) + "╮")
    for line in lines:
        err("│ " + line.ljust(width - 2) + " │")
    err("╰" + "─" * max(width, len(title)) + "╯")


def exit_code_for_signal(signum):
    return 128 + int(signum)


# --------------------------------------------------------------------------- small utils

def now_str():
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S+00:00")


def new_app_id():
    alphabet = string.ascii_letters + string.digits
    return "ap-" + "".join(_secrets.choice(alphabet) for _ in range(22))


def parse_version(text):
    parts = text.strip().split(".")
    try:
        nums = [int(re.match(r"\d+", p).group(0)) for p in parts if p]
    except (AttributeError, ValueError):
        return None
    while len(nums) < 3:
        nums.append(0)
    return tuple(nums[:3])


def strip_profile(argv):
    """Removes the global `--profile X` / `--profile=X`; returns (args, profile or None)."""
    args, profile = [], None
    i = 0
    while i < len(argv):
        tok = argv[i]
        if tok == "--profile":
            if i + 1 >= len(argv):
                raise UsageError("Option '--profile' requires an argument.")
            profile = argv[i + 1]
            i += 2
            continue
        if tok.startswith("--profile="):
            profile = tok[len("--profile="):]
            i += 1
            continue
        args.append(tok)
        i += 1
    return args, profile


@contextlib.contextmanager
def file_lock(path):
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def atomic_write(path, data, mode=None):
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    if mode is not None:
        os.chmod(tmp, mode)
    os.replace(tmp, path)


def human_size(n):
    if n < 1024:
        return f"{n} B"
    value = float(n)
    for unit in ("KiB", "MiB", "GiB", "TiB", "PiB"):
        value /= 1024.0
        if value < 1024 or unit == "PiB":
            return f"{value:.1f} {unit}"
    return f"{n} B"


def print_table(title, headers, rows):
    rows = [["" if c is None else str(c) for c in r] for r in rows]
    widths = [len(h) for h in headers]
    for r in rows:
        for i, c in enumerate(r):
            widths[i] = max(widths[i], len(c))
    if title:
        out(title)
    out("  ".join(h.ljust(widths[i]) for i, h in enumerate(headers)).rstrip())
    out("  ".join("-" * w for w in widths))
    for r in rows:
        out("  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip())


def print_json(value):
    out(json.dumps(value, indent=2, ensure_ascii=False))


# --------------------------------------------------------------------------- TOML

def _toml_key(k):
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else _toml_str(k)


def _toml_str(s):
    return json.dumps(s, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v != v:
            return "nan"
        if v in (float("inf"), float("-inf")):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _toml_str(v)
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise ValueError(f"cannot write {type(v).__name__} to TOML")


def toml_dumps(doc):
    lines = []
    for k, v in doc.items():
        if not isinstance(v, dict):
            lines.append(f"{_toml_key(k)} = {_toml_value(v)}")
    if lines:
        lines.append("")

    def table(path, tbl):
        lines.append("[" + ".".join(_toml_key(p) for p in path) + "]")
        for k, v in tbl.items():
            if not isinstance(v, dict):
                lines.append(f"{_toml_key(k)} = {_toml_value(v)}")
        lines.append("")
        for k, v in tbl.items():
            if isinstance(v, dict):
                table(path + [k], v)

    for k, v in doc.items():
        if isinstance(v, dict):
            table([k], v)
    return "\n".join(lines).rstrip("\n") + "\n" if lines else ""


# --------------------------------------------------------------------------- argument parsing

class Opt:
    def __init__(self, names, dest, kind="flag", default=None, choices=None, neg=()):
        self.names, self.dest, self.kind = tuple(names), dest, kind
        self.choices, self.neg = choices, tuple(neg)
        if default is None and kind == "multi":
            default = []
        if default is None and kind == "flag":
            default = False
        self.default = default


class Command:
    def __init__(self, path, handler, opts=(), positionals=(), optional_from=None, varargs=False,
                 stop_after_first=False, min_version=None):
        self.path, self.handler, self.opts = tuple(path), handler, list(opts)
        self.positionals = list(positionals)
        self.required = len(self.positionals) if optional_from is None else optional_from
        self.varargs, self.stop_after_first = varargs, stop_after_first
        self.min_version = min_version

    @property
    def name(self):
        return "modal " + " ".join(self.path)

    def usage(self):
        parts = [self.name, "[OPTIONS]"]
        for i, p in enumerate(self.positionals):
            parts.append(p if i < self.required else f"[{p}]")
        if self.varargs:
            parts.append("...")
        return " ".join(parts)

    def help_text(self):
        lines = [f"Usage: {self.usage()}", "", "Options:"]
        for o in self.opts:
            names = ", ".join(o.names + o.neg)
            lines.append(f"  {names}" + (" VALUE" if o.kind in ("value", "multi") else ""))
        lines.append("  -h, --help  Show this message and exit.")
        return "\n".join(lines)

    def parse(self, tokens):
        values = {o.dest: (list(o.default) if o.kind == "multi" else o.default) for o in self.opts}
        by_name = {}
        for o in self.opts:
            for n in o.names:
                by_name[n] = (o, True)
            for n in o.neg:
                by_name[n] = (o, False)
        pos, rest = [], []
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            if self.stop_after_first and pos:
                rest = tokens[i:]
                break
            if tok == "--":
                if self.stop_after_first and not pos and i + 1 < len(tokens):
                    pos.append(tokens[i + 1])
                    rest = tokens[i + 2:]
                else:
                    pos.extend(tokens[i + 1:])
                break
            if tok.startswith("-") and len(tok) > 1:
                if tok.startswith("--"):
                    name, eq, val = tok.partition("=")
                else:
                    name, eq, val = tok, "", ""
                if name in by_name:
                    o, positive = by_name[name]
                    if o.kind in ("value", "multi"):
                        if eq:
                            v = val
                        else:
                            if i + 1 >= len(tokens):
                                raise UsageError(f"Option '{name}' requires an argument.")
                            i += 1
                            v = tokens[i]
                        if o.choices and v not in o.choices:
                            choices = ", ".join(repr(c) for c in o.choices)
                            raise UsageError(f"Invalid value for '{'/'.join(o.names)}': "
                                             f"'{v}' is not one of {choices}.")
                        if o.kind == "multi":
                            values[o.dest].append(v)
                        else:
                            values[o.dest] = v
                    else:
                        if eq:
                            raise UsageError(f"Option '{name}' does not take a value.")
                        values[o.dest] = positive
                elif not tok.startswith("--") and tok[:2] in by_name and \
                        by_name[tok[:2]][0].kind in ("value", "multi"):
                    o = by_name[tok[:2]][0]
                    if o.kind == "multi":
                        values[o.dest].append(tok[2:])
                    else:
                        values[o.dest] = tok[2:]
                elif not tok.startswith("--") and all(
                        f"-{c}" in by_name and by_name[f"-{c}"][0].kind == "flag" for c in tok[1:]):
                    for c in tok[1:]:
                        values[by_name[f"-{c}"][0].dest] = True
                else:
                    raise UsageError(f"No such option: {name}")
            else:
                pos.append(tok)
            i += 1
        if len(pos) < self.required:
            raise UsageError(f"Missing argument '{self.positionals[len(pos)]}'.")
        if not self.varargs and not self.stop_after_first and len(pos) > len(self.positionals):
            extra = pos[len(self.positionals):]
            raise UsageError(f"Got unexpected extra argument{'s' if len(extra) > 1 else ''} "
                             f"({' '.join(extra)})")
        return values, pos, rest


# --------------------------------------------------------------------------- the fake

class Fake:
    def __init__(self, home, raw_argv):
        self.home = Path(home)
        self.raw = raw_argv
        self.version_text = os.environ.get("FAKE_MODAL_VERSION") or DEFAULT_VERSION
        self.version = parse_version(self.version_text)
        self.env = os.environ
        self.args, self.flag_profile = [], None
        self.config_path = Path(os.environ.get("MODAL_CONFIG_PATH")
                                or os.path.join(os.path.expanduser("~"), ".modal.toml"))
        self.config, self.config_error = {}, None
        self.rule_index, self.rule = None, None
        self.command = None
        self._state_lock = self.home / "state.lock"

    # ---- config and profiles

    def load_config(self):
        try:
            with open(self.config_path, "rb") as f:
                self.config = tomllib.load(f)
        except FileNotFoundError:
            self.config = {}
        except (OSError, tomllib.TOMLDecodeError) as e:
            self.config, self.config_error = {}, f"Could not read Modal config file {self.config_path}: {e}"

    def profiles(self):
        return {k: v for k, v in self.config.items() if isinstance(v, dict)}

    def resolve_profile(self):
        """Returns (name, source, error) where source is 'flag', 'env', 'active' or 'default'."""
        if self.flag_profile:
            return self.flag_profile, "flag", None
        if self.env.get("MODAL_PROFILE"):
            return self.env["MODAL_PROFILE"], "env", None
        profiles = self.profiles()
        active = [k for k, v in profiles.items() if v.get("active") is True]
        if len(active) > 1:
            return None, None, ("More than one Modal profile is active. Please fix with "
                                "`modal profile activate` or by editing your Modal config file "
                                f"({self.config_path}).")
        if active:
            return active[0], "active", None
        if len(profiles) > 1 and "default" not in profiles:
            return None, None, ("No Modal profile is active.\n\nPlease fix by running "
                                "`modal profile activate` or by editing your Modal config file "
                                f"({self.config_path}).")
        return "default", "default", None

    def profile_name(self):
        if self.config_error:
            raise CliError(self.config_error)
        name, _source, error = self.resolve_profile()
        if error:
            raise CliError(error)
        return name

    def profile_table(self):
        return self.profiles().get(self.profile_name(), {})

    def workspace_of(self, token_id, token_secret, fallback):
        """(workspace, ok) for a token pair against state.json's tokens map."""
        tokens = self.read_state().get("tokens")
        if tokens is None:
            return fallback, True
        entry = tokens.get(token_id) if token_id else None
        if not isinstance(entry, dict) or entry.get("secret") != token_secret:
            return None, False
        return entry.get("workspace") or fallback, True

    def auth(self):
        """Checks credentials like a client connecting to the server; returns the workspace."""
        name = self.profile_name()
        _, source, _ = self.resolve_profile()
        table = self.profiles().get(name, {})
        env_id, env_secret = self.env.get("MODAL_TOKEN_ID"), self.env.get("MODAL_TOKEN_SECRET")
        if source in ("flag", "env") and name not in self.profiles() and not (env_id and env_secret):
            raise CliError(f"Modal profile '{name}' was not found in {self.config_path}")
        token_id = env_id or table.get("token_id")
        token_secret = env_secret or table.get("token_secret")
        if not token_id or not token_secret:
            raise CliError(TOKEN_MISSING)
        workspace, ok = self.workspace_of(token_id, token_secret, name)
        if not ok:
            raise CliError("AuthError: Token validation failed: the token id "
                           f"'{token_id}' is unknown or its secret does not match.")
        return workspace

    def environment(self, explicit=None):
        if explicit:
            return explicit
        if self.env.get("MODAL_ENVIRONMENT"):
            return self.env["MODAL_ENVIRONMENT"]
        try:
            table = self.profile_table()
        except CliError:
            table = {}
        return table.get("environment") or "main"

    # ---- state

    def read_state(self):
        try:
            data = (self.home / "state.json").read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            doc = json.loads(data)
        except json.JSONDecodeError as e:
            raise CliError(f"fake modal: {self.home / 'state.json'} is not valid JSON: {e}")
        return doc if isinstance(doc, dict) else {}

    @contextlib.contextmanager
    def state(self):
        with file_lock(self._state_lock):
            doc = self.read_state()
            yield doc
            atomic_write(self.home / "state.json",
                         (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))

    def find_app_record(self, app_id):
        for app in self.read_state().get("apps", []):
            if app.get("app_id") == app_id:
                return app
        return None

    def update_app(self, app_id, **fields):
        with self.state() as doc:
            for app in doc.get("apps", []):
                if app.get("app_id") == app_id:
                    app.update(fields)
                    return app
        return None

    def append_logs(self, app_id, lines):
        with self.state() as doc:
            for app in doc.get("apps", []):
                if app.get("app_id") == app_id:
                    app.setdefault("logs", []).extend(lines)

    # ---- scenario

    def load_rules(self):
        path = os.environ.get("FAKE_MODAL_SCENARIO")
        if not path:
            return []
        try:
            doc = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            raise UsageError(f"fake modal: cannot read scenario file {path}: {e}")
        rules = doc.get("rules", []) if isinstance(doc, dict) else doc
        if not isinstance(rules, list):
            raise UsageError(f"fake modal: scenario file {path} has no list of rules")
        return rules

    def rule_matches(self, rule):
        if "match" in rule:
            prefix = list(rule["match"])
            if self.args[:len(prefix)] != prefix:
                return False
        if "regex" in rule and not re.search(rule["regex"], " ".join(self.raw)):
            return False
        for k, v in (rule.get("env") or {}).items():
            if self.env.get(k) != v:
                return False
        return True

    def pick_rule(self, rules):
        for i, rule in enumerate(rules):
            if not isinstance(rule, dict) or not self.rule_matches(rule):
                continue
            if rule.get("times") is not None:
                counts_path = self.home / "scenario_counts.json"
                with file_lock(self.home / "scenario_counts.lock"):
                    try:
                        counts = json.loads(counts_path.read_text(encoding="utf-8"))
                    except (FileNotFoundError, json.JSONDecodeError):
                        counts = {}
                    used = int(counts.get(str(i), 0))
                    if used >= int(rule["times"]):
                        continue
                    counts[str(i)] = used + 1
                    atomic_write(counts_path, json.dumps(counts).encode("utf-8"))
            return i, rule
        return None, None

    # ---- recording

    def redacted_argv(self):
        argv = list(self.raw)
        if self.args[:2] != ["secret", "create"]:
            return argv
        takes_value = {"-e", "--env", "--from-dotenv", "--from-json", "--profile"}
        seen, i, positional_only = 0, 0, False
        result = []
        while i < len(argv):
            tok = argv[i]
            if seen < 2 and tok in ("secret", "create"):
                seen += 1
                result.append(tok)
            elif not positional_only and tok == "--":
                positional_only = True
                result.append(tok)
            elif not positional_only and tok in takes_value:
                result.append(tok)
                if i + 1 < len(argv):
                    result.append(argv[i + 1])
                i += 1
            elif not positional_only and tok.startswith("-") and len(tok) > 1 and (
                    "=" not in tok or tok.split("=", 1)[0] in takes_value):
                result.append(tok)
            elif seen >= 2 and "=" in tok:
                result.append(tok.split("=", 1)[0] + "=<redacted>")
            else:
                result.append(tok)
            i += 1
        return result

    def script_info(self):
        if self.command is None or self.command.path[0] not in ("run", "serve", "deploy"):
            return None
        try:
            values, pos, _rest = self.command.parse(self.args[1:])
        except UsageError:
            return None
        if not pos:
            return None
        path = self.script_path(pos[0].split("::", 1)[0], values.get("module"))
        info = {"path": str(path), "copy": None, "sha256": None, "local_environ": {}}
        try:
            data = path.read_bytes()
        except OSError:
            return info
        for key, _required in analyze_script(path).local_environ:
            info["local_environ"][key] = key in os.environ
        snaps = self.home / "snapshots"
        snaps.mkdir(parents=True, exist_ok=True)
        copy = snaps / f"{time.time_ns()}-{os.getpid()}-{path.name}"
        copy.write_bytes(data)
        info["copy"] = str(copy)
        info["sha256"] = hashlib.sha256(data).hexdigest()
        return info

    def secret_info(self):
        if self.args[:2] != ["secret", "create"] or self.command is None:
            return None
        try:
            values, pos, _ = self.command.parse(self.args[2:])
        except UsageError:
            return None
        keys = self.secret_keys(values, pos, strict=False)
        dotenv = values.get("from_dotenv")
        mode = None
        if dotenv:
            try:
                mode = f"{stat.S_IMODE(os.stat(dotenv).st_mode):04o}"
            except OSError:
                mode = None
        return {"name": pos[0] if pos else None, "keys": keys, "from_dotenv": dotenv,
                "dotenv_mode": mode, "from_json": values.get("from_json")}

    def record(self, profile):
        try:
            cwd = os.getcwd()
        except OSError:
            cwd = os.environ.get("PWD")
        env = {}
        for k, v in os.environ.items():
            if k.startswith("MODAL_") or k in ENV_KEYS_RECORDED:
                env[k] = "<redacted>" if k == "MODAL_TOKEN_SECRET" else v
        try:
            tty = os.isatty(0)
        except OSError:
            tty = False
        rec = {"argv": self.redacted_argv(), "cwd": cwd, "env": env, "stdin_tty": tty,
               "ts": time.time(), "pid": os.getpid(), "profile": profile, "rule": self.rule_index}
        for key, fn in (("script", self.script_info), ("secret", self.secret_info)):
            try:
                value = fn()
            except (UsageError, CliError, OSError):
                value = None
            if value is not None:
                rec[key] = value
        line = (json.dumps(rec, ensure_ascii=False) + "\n").encode("utf-8")
        targets = [self.home / "calls.jsonl"]
        legacy = os.environ.get("MGPUX_FAKE_MODAL_LOG")
        if legacy:
            targets.append(Path(legacy))
        for target in targets:
            fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)

    # ---- dispatch

    def find_command(self):
        args = self.args
        if not args:
            return None
        first = args[0]
        if first in COMMANDS_BY_GROUP and (first,) not in COMMANDS:
            if len(args) < 2 or args[1].startswith("-"):
                return None
            return COMMANDS.get((first, args[1]))
        return COMMANDS.get((first,))

    def version_allows(self, cmd):
        return cmd.min_version is None or (self.version or (99, 0, 0)) >= cmd.min_version

    def command_error(self):
        """The usage error for an argv that names no known command."""
        args = self.args
        if not args:
            return UsageError("Missing command.", usage="modal [OPTIONS] COMMAND [ARGS]...")
        first = args[0]
        if first.startswith("-"):
            return UsageError(f"No such option: {first}", usage="modal [OPTIONS] COMMAND [ARGS]...")
        if first in COMMANDS_BY_GROUP and not any(self.version_allows(c) for c in COMMANDS_BY_GROUP[first]):
            return UsageError(f"No such command '{first}'.", usage="modal [OPTIONS] COMMAND [ARGS]...")
        if first in COMMANDS_BY_GROUP and (first,) not in COMMANDS:
            usage = f"modal {first} [OPTIONS] COMMAND [ARGS]..."
            if len(args) < 2:
                return UsageError("Missing command.", usage=usage)
            sub = args[1]
            if sub.startswith("-"):
                return UsageError(f"No such option: {sub}", usage=usage)
            if sub in KNOWN_UNMODELLED.get(first, set()):
                return UsageError(f"fake modal does not implement 'modal {first} {sub}'", usage=usage)
            return UsageError(f"No such command '{sub}'.", usage=usage)
        if first in KNOWN_UNMODELLED[""]:
            return UsageError(f"fake modal does not implement 'modal {first}'",
                              usage="modal [OPTIONS] COMMAND [ARGS]...")
        return UsageError(f"No such command '{first}'.", usage="modal [OPTIONS] COMMAND [ARGS]...")

    def main(self):
        try:
            self.args, self.flag_profile = strip_profile(self.raw)
        except UsageError:
            self.args, self.flag_profile = list(self.raw), None
            self.record(None)
            raise
        self.load_config()
        cmd = self.find_command()
        if cmd is not None and self.version_allows(cmd):
            self.command = cmd
        rules_error = None
        try:
            rules = self.load_rules()
        except UsageError as e:
            rules, rules_error = [], e
        self.rule_index, self.rule = self.pick_rule(rules)
        name, _source, error = self.resolve_profile()
        self.record(None if (error or self.config_error) else name)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            # Like any Python program, a signal ignored by the parent stays ignored.
            if signal.getsignal(sig) is not signal.SIG_IGN:
                signal.signal(sig, _on_signal)
        if rules_error:
            raise rules_error
        return self.dispatch()

    def apply_rule_prelude(self):
        """Delay, and for an `exit` rule the whole answer. Returns an exit code or None."""
        rule = self.rule
        if not rule or rule.get("passthrough"):
            return None
        if rule.get("delay_s"):
            pause(float(rule["delay_s"]))
        emit_flood(rule)
        if "exit" in rule:
            if rule.get("stdout"):
                sys.stdout.write(rule["stdout"])
                sys.stdout.flush()
            if rule.get("stderr"):
                sys.stderr.write(rule["stderr"])
                sys.stderr.flush()
            if rule.get("hang"):
                block_forever()
            return int(rule["exit"])
        if rule.get("stdout"):
            sys.stdout.write(rule["stdout"])
            sys.stdout.flush()
        if rule.get("stderr"):
            sys.stderr.write(rule["stderr"])
            sys.stderr.flush()
        return None

    def rule_flag(self, key):
        if not self.rule or self.rule.get("passthrough"):
            return None
        return self.rule.get(key)

    def dispatch(self):
        args = self.args
        cmd = self.command
        if args[:1] in (["--help"], ["-h"]):
            out(TOP_HELP)
            return 0
        if cmd is None and len(args) >= 2 and args[0] in COMMANDS_BY_GROUP \
                and args[1] in ("--help", "-h"):
            out(group_help(args[0]))
            return 0
        tokens = args[len(cmd.path):] if cmd else []
        if cmd is not None:
            scan = tokens
            if cmd.stop_after_first:
                scan = []
                for tok in tokens:
                    if not tok.startswith("-"):
                        break
                    scan.append(tok)
            if "--help" in scan or "-h" in scan:
                out(cmd.help_text())
                return 0
        # A scenario rule answers before anything else, so it can also script commands
        # this fake does not model.
        code = self.apply_rule_prelude()
        if code is not None:
            return code
        if args[:1] == ["--version"]:
            if self.rule_flag("hang"):
                block_forever()
            out(f"modal client version: {self.version_text}")
            return 0
        if cmd is None:
            raise self.command_error()
        try:
            values, pos, rest = cmd.parse(tokens)
        except UsageError as e:
            e.usage = e.usage or cmd.usage()
            raise
        if self.rule_flag("hang") and cmd.path[0] not in ("run", "serve", "deploy"):
            block_forever()
        try:
            return cmd.handler(self, values, pos, rest) or 0
        except UsageError as e:
            e.usage = e.usage or cmd.usage()
            raise

    # ---- scripts

    def script_path(self, ref, module=False):
        if module or (not ref.endswith(".py") and not os.path.exists(ref)
                      and re.fullmatch(r"[A-Za-z_][\w.]*", ref)):
            base = Path(os.getcwd()) / Path(*ref.split("."))
            for candidate in (base.with_suffix(".py"), base / "__init__.py"):
                if candidate.exists():
                    return candidate.resolve()
            return base.with_suffix(".py")
        return Path(os.path.abspath(ref))


def emit_flood(rule):
    """`flood_stdout` / `flood_stderr`: that many bytes of filler, written in
    1 MiB pieces so that the fake itself stays small; lines of 100 bytes, or
    one endless line when `flood_newlines` is false."""
    for key, stream in (("flood_stdout", sys.stdout), ("flood_stderr", sys.stderr)):
        left = int(rule.get(key) or 0)
        if left <= 0:
            continue
        line = b"x" * 99 + (b"\n" if rule.get("flood_newlines", True) else b"x")
        piece = line * ((1 << 20) // len(line) + 1)
        stream.flush()
        while left > 0:
            check_signal()
            chunk = piece[:left]
            stream.buffer.write(chunk)
            left -= len(chunk)
        stream.buffer.flush()


def block_forever():
    while True:
        pause(3600)


def block_until(poll=None, timeout=None, interval=0.2):
    """Sleeps until poll() is true (returns 'poll') or timeout passes ('timeout')."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        if poll is not None and poll():
            return "poll"
        if deadline is not None and time.monotonic() >= deadline:
            return "timeout"
        step = interval if deadline is None else max(0.0, min(interval, deadline - time.monotonic()))
        pause(step)


# --------------------------------------------------------------------------- script analysis

class ScriptInfo:
    def __init__(self):
        self.app_name = None
        self.functions = []      # plain functions and class methods (runnable)
        self.entrypoints = []    # local entrypoints
        self.web = []            # (name, label, proxy_auth)
        self.created = []        # names for "Created function X." lines
        self.top_names = set()
        self.parsed = False
        # Secret.from_local_environ keys: (key, required) where required means the call is not
        # under an `if`, so importing the script needs the variable, as it does with Modal.
        self.local_environ = []


def _dotted(node):
    try:
        return ast.unparse(node)
    except Exception:  # noqa: BLE001 - best effort
        return ""


def _decorators(node):
    result = []
    for d in node.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        kwargs = {}
        if isinstance(d, ast.Call):
            for kw in d.keywords:
                if kw.arg and isinstance(kw.value, ast.Constant):
                    kwargs[kw.arg] = kw.value.value
        result.append((_dotted(target).rsplit(".", 1)[-1], kwargs))
    return result


def analyze_script(path):
    info = ScriptInfo()
    try:
        source = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return info
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return _analyze_with_regex(source, info)
    info.parsed = True
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _dotted(node.func) in ("modal.App", "App", "modal.Stub", "Stub"):
            name = None
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                name = node.args[0].value
            for kw in node.keywords:
                if kw.arg == "name" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                    name = kw.value.value
            if name is not None:
                calls.append((node.lineno, node.col_offset, name))
    if calls:
        info.app_name = min(calls)[2]
    _find_local_environ(tree, info, conditional=False)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            info.top_names.add(node.name)
            _classify(info, node.name, _decorators(node))
        elif isinstance(node, ast.ClassDef):
            info.top_names.add(node.name)
            decos = [n for n, _ in _decorators(node)]
            if "cls" not in decos:
                continue
            info.created.append(f"{node.name}.*")
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    sub = _decorators(item)
                    names = [n for n, _ in sub]
                    web = [(n, kw) for n, kw in sub if n in WEB_DECORATORS]
                    full = f"{node.name}.{item.name}"
                    if web:
                        info.web.append((full, web[0][1].get("label"), bool(web[0][1].get("requires_proxy_auth"))))
                    elif "method" in names:
                        info.functions.append(full)
    return info


def _find_local_environ(node, info, conditional):
    if isinstance(node, ast.Call) and _dotted(node.func).endswith("Secret.from_local_environ") and node.args:
        keys = node.args[0]
        if isinstance(keys, (ast.List, ast.Tuple)):
            for item in keys.elts:
                if isinstance(item, ast.Constant) and isinstance(item.value, str):
                    info.local_environ.append((item.value, not conditional))
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        for deco in node.decorator_list:  # decorators run at import; the body does not
            _find_local_environ(deco, info, conditional)
        return
    if isinstance(node, ast.Lambda):
        return
    inner = conditional or isinstance(node, (ast.If, ast.IfExp, ast.Try))
    for child in ast.iter_child_nodes(node):
        _find_local_environ(child, info, inner)


def _classify(info, name, decos):
    names = [n for n, _ in decos]
    web = [(n, kw) for n, kw in decos if n in WEB_DECORATORS]
    if "local_entrypoint" in names:
        info.entrypoints.append(name)
    elif web:
        kw = web[0][1]
        info.web.append((name, kw.get("label"), bool(kw.get("requires_proxy_auth"))))
    elif "function" in names:
        info.functions.append(name)
        info.created.append(name)


def _analyze_with_regex(source, info):
    m = re.search(r"""\b(?:App|Stub)\(\s*(?:name\s*=\s*)?(['"])(.*?)\1""", source)
    if m:
        info.app_name = m.group(2)
    decos, depth = [], 0
    for line in source.splitlines():
        stripped = line.strip()
        if depth > 0:
            depth += stripped.count("(") - stripped.count(")")
            continue
        if stripped.startswith("@"):
            head = re.match(r"@\s*([\w.]+)", stripped)
            kwargs = {}
            label = re.search(r"""label\s*=\s*(['"])(.*?)\1""", stripped)
            if label:
                kwargs["label"] = label.group(2)
            if re.search(r"requires_proxy_auth\s*=\s*True", stripped):
                kwargs["requires_proxy_auth"] = True
            decos.append(((head.group(1) if head else "").rsplit(".", 1)[-1], kwargs))
            depth = stripped.count("(") - stripped.count(")")
            continue
        m = re.match(r"(?:async\s+)?def\s+(\w+)", line)
        if m:
            info.top_names.add(m.group(1))
            _classify(info, m.group(1), decos)
        if stripped and not stripped.startswith("#"):
            decos = []
    return info


def web_url(workspace, env, app_name, fn_name, label, dev_suffix):
    ws = workspace if env == "main" else f"{workspace}-{env}"
    raw = label or f"{app_name}-{fn_name.replace('.', '-')}"
    slug = re.sub(r"[^a-z0-9-]", "-", raw.lower())
    suffix = f"-{dev_suffix}" if dev_suffix else ""
    sub = f"{ws}--{slug}{suffix}"
    if len(sub) > 63:
        keep = max(1, 63 - len(ws) - 2 - len(suffix) - 7)
        slug = slug[:keep] + "-" + hashlib.sha256(raw.encode()).hexdigest()[:6]
        sub = f"{ws}--{slug}{suffix}"
    return f"https://{sub}.modal.run"


def print_created_objects(lines):
    out("✓ Created objects.")
    for i, line in enumerate(lines):
        branch = "└──" if i == len(lines) - 1 else "├──"
        out(f"{branch} 🔨 {line}")


# --------------------------------------------------------------------------- run / serve / deploy

def _load_script(fake, ref, module):
    file_part = ref.split("::", 1)[0]
    path = fake.script_path(file_part, module)
    if not path.is_file():
        raise CliError(f"Could not find file or module '{file_part}' ({path}).")
    info = analyze_script(path)
    for key, required in info.local_environ:
        if required and key not in os.environ:
            raise CliError(f"Could not find local environment variable '{key}' for Secret.from_local_environ")
    return file_part, path, info


def _pick_runnable(file_part, func, info):
    hint = ("Specify a Modal Function or local entrypoint to run. E.g.\n"
            f"> modal run {file_part}::my_function [..args]\n\n")
    candidates = info.entrypoints + info.functions
    if func:
        if func in candidates or func in {c.split(".")[0] for c in info.functions}:
            return func
        listing = "\n".join(f"    {c}" for c in candidates) or "    (none)"
        raise CliError(f"{hint}'{file_part}' has no Modal Function or local entrypoint named "
                       f"'{func}'.\nRegistered functions and local entrypoints:\n{listing}")
    if len(info.entrypoints) == 1:
        return info.entrypoints[0]
    if not info.entrypoints and len(info.functions) == 1:
        return info.functions[0]
    if not candidates:
        raise CliError(f"{hint}'{file_part}' has no functions or local entrypoints.")
    listing = "\n".join(f"    {c}" for c in candidates)
    raise CliError(f"{hint}'{file_part}' has multiple functions or local entrypoints.\n"
                   f"Registered functions and local entrypoints:\n{listing}")


def _new_app(fake, description, state, env, workspace, script, **extra):
    app = {"app_id": new_app_id(), "description": description, "state": state,
           "tasks": "1" if state.startswith("ephemeral") else "0", "created_at": now_str(),
           "stopped_at": None, "env": env, "workspace": workspace, "logs": [],
           "script": str(script), "runner_pid": os.getpid()}
    app.update(extra)
    with fake.state() as doc:
        doc.setdefault("apps", []).append(app)
    return app


def _stop_app(fake, app_id, workspace=None):
    def still_running(a):
        return a.get("state") != "stopped"
    with fake.state() as doc:
        for a in doc.get("apps", []):
            if a.get("app_id") == app_id and still_running(a):
                a.update(state="stopped", stopped_at=now_str(), tasks="0",
                         stopped_by=workspace or a.get("workspace"))


def _app_stopped(fake, app_id):
    app = fake.find_app_record(app_id)
    return app is None or app.get("state") == "stopped"


def _emit_container_output(fake, app_id):
    lines = fake.rule_flag("container_output") or []
    if lines:
        fake.append_logs(app_id, [str(x) for x in lines])
    for line in lines:
        check_signal()
        out(str(line))
    check_signal()


def _web_lines(info, workspace, env, app_name, dev_suffix):
    lines = []
    for name, label, proxy in info.web:
        url = web_url(workspace, env, app_name, name, label, dev_suffix)
        lines.append(f"Created web function {name} => {url}" + (" 🔑" if proxy else ""))
    return lines


def cmd_run(fake, o, pos, rest):
    ref = pos[0]
    file_part, path, info = _load_script(fake, ref, o["module"])
    func = ref.split("::", 1)[1] if "::" in ref else None
    _pick_runnable(file_part, func, info)
    workspace = fake.auth()
    env = fake.environment(o["env"])
    name = o["name"] or info.app_name or path.stem
    detach = o["detach"]
    app = _new_app(fake, name, "ephemeral (detached)" if detach else "ephemeral", env, workspace,
                   path, detached=detach, args=rest)
    app_id = app["app_id"]
    url = f"https://modal.com/apps/{workspace}/{env}/{app_id}"
    dev = os.environ.get("MODAL_DEV_SUFFIX") or "dev"
    try:
        # Inside the try: a signal right after these lines must still get
        # the disconnect text, as it does from the real client.
        if not o["quiet"]:
            out(f"✓ Initialized. View run at {url}")
            created = [f"Created mount {path}"] + [f"Created function {f}." for f in info.created]
            created += _web_lines(info, workspace, env, name, dev)
            print_created_objects(created)
        _emit_container_output(fake, app_id)
        if fake.rule_flag("hang"):
            block_until(lambda: _app_stopped(fake, app_id))
            err(f"App {app_id} was stopped; the local client exits.")
            return 0
    except Interrupted as sig:
        if detach:
            if sig.signum == signal.SIGINT:
                out("Shutting down Modal client.")
                out("The detached App will keep running. You can track its progress on the "
                    f"Dashboard: {url}")
                out("")
                out("Stream App logs:")
                out(f"modal app logs {app_id}")
                out("")
                out("Stop the App:")
                out(f"modal app stop {app_id}")
                return 0
            return exit_code_for_signal(sig.signum)
        _stop_app(fake, app_id)
        if sig.signum == signal.SIGINT:
            out("Disconnecting from Modal - This will terminate your Modal app in a few seconds.")
            out("")
            out("App aborted.")
            return 130
        return exit_code_for_signal(sig.signum)
    _stop_app(fake, app_id)
    if not o["quiet"]:
        out(f"✓ App completed. View run at {url}")
    return 0


def cmd_serve(fake, o, pos, _rest):
    ref = pos[0]
    file_part, path, info = _load_script(fake, ref, o["module"])
    workspace = fake.auth()
    env = fake.environment(o["env"])
    timeout = None
    if o["timeout"] is not None:
        try:
            timeout = float(o["timeout"])
        except ValueError:
            raise UsageError(f"Invalid value for '--timeout': '{o['timeout']}' is not a valid float.")
    name = o["name"] or info.app_name or path.stem
    app = _new_app(fake, name, "ephemeral", env, workspace, path, served=True)
    app_id = app["app_id"]
    url = f"https://modal.com/apps/{workspace}/{env}/{app_id}"
    dev = os.environ.get("MODAL_DEV_SUFFIX") or "dev"
    try:
        out(f"✓ Initialized. View run at {url}")
        created = [f"Created mount {path}"] + _web_lines(info, workspace, env, name, dev)
        created += [f"Created function {f}." for f in info.created]
        print_created_objects(created)
        out("⚡️ Serving... hit Ctrl-C to stop!")
        out(f"└── Watching {path.parent}.")
        _emit_container_output(fake, app_id)
        why = block_until(lambda: _app_stopped(fake, app_id), timeout=timeout)
        if why == "poll":
            err(f"App {app_id} was stopped; the local client exits.")
            return 0
        _stop_app(fake, app_id)
        out("Stopping app - local entrypoint completed.")
        return 0
    except Interrupted as sig:
        _stop_app(fake, app_id)
        if sig.signum == signal.SIGINT:
            out("Stopping app - local entrypoint completed.")
            return 0
        return exit_code_for_signal(sig.signum)


def cmd_deploy(fake, o, pos, _rest):
    ref = pos[0]
    file_part, path, info = _load_script(fake, ref, o["module"])
    workspace = fake.auth()
    env = fake.environment(o["env"])
    name = o["name"] or info.app_name
    if not name:
        raise CliError("You need to either supply an explicit deployment name on the command line "
                       "(--name) or have a name set on the app.\n\nExamples:\n"
                       'app = modal.App("some-name")\nOR\nmodal deploy --name some-name my_file.py')
    with fake.state() as doc:
        apps = doc.setdefault("apps", [])
        existing = next((a for a in apps if a.get("description") == name and a.get("env", "main") == env
                         and a.get("state") == "deployed"
                         and a.get("workspace") in (None, workspace)), None)
        if existing:
            existing["version"] = int(existing.get("version") or 1) + 1
            existing.update(tag=o["tag"], strategy=o["strategy"], script=str(path),
                            deployed_at=now_str(), deployed=True)
            app = dict(existing)
        else:
            app = {"app_id": new_app_id(), "description": name, "state": "deployed", "tasks": "0",
                   "created_at": now_str(), "stopped_at": None, "env": env, "workspace": workspace,
                   "logs": [], "deployed": True, "version": 1, "tag": o["tag"],
                   "strategy": o["strategy"], "script": str(path), "deployed_at": now_str()}
            apps.append(app)
    created = [f"Created mount {path}"] + [f"Created function {f}." for f in info.created]
    created += _web_lines(info, workspace, env, name, None)
    print_created_objects(created)
    out(f"✓ App deployed in {time.monotonic() - START:.3f}s! 🎉")
    out("")
    out(f"View Deployment: https://modal.com/apps/{workspace}/{env}/deployed/{name}")
    if o["stream_logs"]:
        try:
            _emit_container_output(fake, app["app_id"])
            if fake.rule_flag("hang"):
                block_forever()
        except Interrupted as sig:
            return 0 if sig.signum == signal.SIGINT else exit_code_for_signal(sig.signum)
    elif fake.rule_flag("hang"):
        block_forever()
    return 0


# --------------------------------------------------------------------------- app

def _visible(app, workspace):
    return app.get("workspace") in (None, workspace)


def _resolve_app(fake, ref, env, workspace):
    apps = [a for a in fake.read_state().get("apps", []) if _visible(a, workspace)]
    if APP_ID_RE.match(ref):
        for a in apps:
            if a.get("app_id") == ref:
                return a
        raise CliError(f"App '{ref}' not found.")
    named = [a for a in apps if a.get("description") == ref and a.get("env", "main") == env]
    for a in reversed(named):
        if a.get("state") == "deployed":
            return a
    for a in reversed(named):
        if a.get("state") == "stopped" and a.get("deployed"):
            return a
    raise CliError(f"No App with name '{ref}' found in the '{env}' environment.")


def cmd_app_list(fake, o, _pos, _rest):
    workspace = fake.auth()
    env = fake.environment(o["env"])
    apps = [a for a in fake.read_state().get("apps", [])
            if _visible(a, workspace) and a.get("env", "main") == env]
    titled = fake.version is not None and fake.version < (1, 5, 0)
    keys = (["App ID", "Description", "State", "Tasks", "Created at", "Stopped at"] if titled else
            ["app_id", "description", "state", "tasks", "created_at", "stopped_at"])
    rows = []
    for a in apps:
        values = [a.get("app_id"), a.get("description"), a.get("state"), str(a.get("tasks", "0")),
                  a.get("created_at"), a.get("stopped_at")]
        rows.append(dict(zip(keys, values)))
    if o["json"]:
        print_json(rows)
    else:
        title = "Apps" if env == "main" and not o["env"] else f"Apps in environment '{env}'"
        print_table(title, ["App ID", "Description", "State", "Tasks", "Created at", "Stopped at"],
                    [list(r.values()) for r in rows])
    return 0


def _read_answer(prompt):
    sys.stdout.write(prompt)
    sys.stdout.flush()
    line = sys.stdin.readline()
    if not line:
        return None
    return line.strip().lower()


def cmd_app_stop(fake, o, pos, _rest):
    workspace = fake.auth()
    env = fake.environment(o["env"])
    app = _resolve_app(fake, pos[0], env, workspace)
    if app.get("state") == "stopped":
        raise PlainExit(f"App is already stopped. (Stopped at {app.get('stopped_at')} by "
                        f"'{app.get('stopped_by') or app.get('workspace') or workspace}').")
    if not o["yes"] and (fake.version or (99,)) >= (1, 4, 2):
        count = int(app.get("tasks") or 0)
        question = (f"Are you sure you want to stop App '{app.get('description')}' in the "
                    f"'{app.get('env', env)}' environment? This will immediately terminate {count} "
                    "running container(s).")
        if not os.isatty(0):
            out(question)
            raise PlainExit("Aborted: no interactive terminal detected. Rerun with --yes (-y) to "
                            "skip confirmation.")
        answer = _read_answer(f"{question} [y/N]: ")
        if answer not in ("y", "yes"):
            raise PlainExit("Aborted.")
    _stop_app(fake, app["app_id"], workspace)
    return 0


def _log_text(entry):
    if isinstance(entry, dict):
        return str(entry.get("text", entry.get("line", "")))
    return str(entry)


def cmd_app_logs(fake, o, pos, _rest):
    follow = o["follow"] or ((fake.version or (99,)) < (1, 4, 0))
    if o["follow"] and (o["since"] or o["until"] or o["tail"] is not None):
        raise UsageError("--follow cannot be combined with --since, --until or --tail.")
    tail = 100
    if o["tail"] is not None:
        try:
            tail = int(o["tail"])
        except ValueError:
            raise UsageError(f"Invalid value for '-n' / '--tail': '{o['tail']}' is not a valid integer.")
        if tail <= 0:
            raise UsageError("--tail must be a positive integer.")
    workspace = fake.auth()
    env = fake.environment(o["env"])
    app = _resolve_app(fake, pos[0], env, workspace)
    app_id = app["app_id"]
    logs = [_log_text(x) for x in app.get("logs") or []]
    if o["search"]:
        logs = [x for x in logs if o["search"] in x]
    for line in logs[-tail:]:
        out(line)
    if not follow:
        return 0
    printed = len(app.get("logs") or [])
    try:
        while True:
            current = fake.find_app_record(app_id) or {}
            entries = current.get("logs") or []
            for entry in entries[printed:]:
                text = _log_text(entry)
                if not o["search"] or o["search"] in text:
                    out(text)
            printed = len(entries)
            if current.get("state") == "stopped" or not current:
                return 0
            pause(0.2)
    except Interrupted as sig:
        return 0 if sig.signum == signal.SIGINT else exit_code_for_signal(sig.signum)


# --------------------------------------------------------------------------- profile / token

def _profile_workspace(fake, name, table):
    tid, sec = table.get("token_id"), table.get("token_secret")
    if fake.read_state().get("tokens") is None:
        return name
    if not tid or not sec:
        return "Unknown (profile misconfigured)"
    ws, ok = fake.workspace_of(tid, sec, name)
    return ws if ok else "Unknown (authentication failure)"


def cmd_profile_list(fake, o, _pos, _rest):
    if fake.config_error:
        raise CliError(fake.config_error)
    current, _source, error = fake.resolve_profile()
    if error:
        current = None
    rows = [{"name": n, "workspace": _profile_workspace(fake, n, t), "active": n == current}
            for n, t in fake.profiles().items()]
    if o["json"]:
        print_json(rows)
    else:
        print_table(None, [" ", "Profile", "Workspace"],
                    [["•" if r["active"] else "", r["name"], r["workspace"]] for r in rows])
    env_id, env_secret = fake.env.get("MODAL_TOKEN_ID"), fake.env.get("MODAL_TOKEN_SECRET")
    if env_id and env_secret:
        ws, ok = fake.workspace_of(env_id, env_secret, current or "default")
        out(f"Using {ws if ok else 'Unknown (authentication failure)'} workspace based on "
            "environment variables")
    return 0


def cmd_profile_current(fake, _o, _pos, _rest):
    out(fake.profile_name())
    return 0


def _write_config(fake, doc):
    mode = None
    try:
        mode = stat.S_IMODE(os.stat(fake.config_path).st_mode)
    except OSError:
        pass
    fake.config_path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(fake.config_path, toml_dumps(doc).encode("utf-8"), mode)


def _set_active(doc, name):
    for k, v in doc.items():
        if isinstance(v, dict):
            v.pop("active", None)
    doc[name]["active"] = True


def cmd_profile_activate(fake, _o, pos, _rest):
    if fake.config_error:
        raise CliError(fake.config_error)
    name = pos[0]
    with file_lock(fake.home / "modal_toml.lock"):
        fake.load_config()
        doc = fake.config
        if not isinstance(doc.get(name), dict):
            raise CliError(f"No profile named '{name}' found in {fake.config_path}")
        _set_active(doc, name)
        _write_config(fake, doc)
    out(f"Active profile: {name}")
    env = doc[name].get("environment")
    if env:
        out(f"Active environment: {env}")
    return 0


def _read_secret_value(label):
    sys.stderr.write(f"{label}: ")
    sys.stderr.flush()
    line = sys.stdin.readline()
    if not line.strip():
        raise PlainExit("Aborted!")
    return line.strip()


def cmd_token_set(fake, o, _pos, _rest):
    token_id, token_secret = o["token_id"], o["token_secret"]
    if token_id in (None, "-"):
        token_id = _read_secret_value("Token ID")
    if token_secret in (None, "-"):
        token_secret = _read_secret_value("Token secret")
    workspace = None
    if o["verify"]:
        server = os.environ.get("MODAL_SERVER_URL") or "https://api.modal.com"
        out(f"Verifying token against {server}")
        ws, ok = fake.workspace_of(token_id, token_secret, None)
        if not ok:
            raise CliError("AuthError: Token validation failed: the token id "
                           f"'{token_id}' is unknown or its secret does not match.")
        workspace = ws
        out("Token verified successfully!")
    profile = fake.flag_profile or fake.env.get("MODAL_PROFILE") or workspace or "default"
    with file_lock(fake.home / "modal_toml.lock"):
        fake.load_config()
        if fake.config_error:
            raise CliError(fake.config_error)
        doc = fake.config
        first = not any(isinstance(v, dict) for v in doc.values())
        table = doc.get(profile) if isinstance(doc.get(profile), dict) else {}
        table["token_id"] = token_id
        table["token_secret"] = token_secret
        doc[profile] = table
        if o["activate"] or first:
            _set_active(doc, profile)
        _write_config(fake, doc)
    out(f"Token written to {fake.config_path} in profile {profile}.")
    if fake.env.get("MODAL_TOKEN_ID") or fake.env.get("MODAL_TOKEN_SECRET"):
        out("Warning: The MODAL_TOKEN_ID / MODAL_TOKEN_SECRET environment variables are set; "
            "this will override your new credentials.")
    return 0


# --------------------------------------------------------------------------- volume

def _volume_dir(fake, name, env):
    if not VOLUME_NAME_RE.match(name) or name in (".", ".."):
        raise CliError(f"Invalid Volume name: '{name}'. Names may contain only alphanumeric "
                       "characters, dashes, periods and underscores, and be at most 64 characters.")
    return fake.home / "volumes" / env / name


def _existing_volume(fake, name, env):
    root = _volume_dir(fake, name, env)
    if not root.is_dir():
        raise CliError(f"Volume '{name}' not found in environment '{env}'.")
    return root


def _norm_remote(path):
    """A volume path as a relative POSIX path ('' is the root); '..' cannot leave the volume."""
    norm = posixpath.normpath("/" + (path or "/").strip())
    return norm.lstrip("/")


def cmd_volume_create(fake, o, pos, _rest):
    workspace = fake.auth()
    env = fake.environment(o["env"])
    name = pos[0]
    root = _volume_dir(fake, name, env)
    if root.exists():
        raise CliError(f"Volume '{name}' already exists in environment '{env}'.")
    root.mkdir(parents=True)
    with fake.state() as doc:
        doc.setdefault("volumes", {}).setdefault(env, {})[name] = {
            "created_at": now_str(), "created_by": workspace, "version": o["version"]}
    out(f"Created Volume '{name}' in environment '{env}'.")
    out("")
    out("Code example:")
    out("")
    out(f'@app.function(volumes={{"/my_vol": modal.Volume.from_name("{name}")}})')
    out("def some_func():")
    out('    os.listdir("/my_vol")')
    return 0


def cmd_volume_list(fake, o, _pos, _rest):
    workspace = fake.auth()
    env = fake.environment(o["env"])
    base = fake.home / "volumes" / env
    meta = fake.read_state().get("volumes", {}).get(env, {})
    rows = []
    if base.is_dir():
        for entry in sorted(base.iterdir()):
            if entry.is_dir():
                m = meta.get(entry.name, {})
                created = m.get("created_at") or dt.datetime.fromtimestamp(
                    entry.stat().st_mtime, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S+00:00")
                rows.append({"name": entry.name, "created_at": created,
                             "created_by": m.get("created_by") or workspace})
    if o["json"]:
        print_json(rows)
    else:
        print_table(f"Volumes in environment '{env}'", ["Name", "Created at", "Created by"],
                    [list(r.values()) for r in rows])
    return 0


def _walk_files(path):
    if path.is_file() or path.is_symlink():
        yield path
        return
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames.sort()
        for f in sorted(filenames):
            yield Path(dirpath) / f


def cmd_volume_get(fake, o, pos, _rest):
    fake.auth()
    env = fake.environment(o["env"])
    root = _existing_volume(fake, pos[0], env)
    remote = pos[1]
    local = pos[2] if len(pos) > 2 else "."
    rel = _norm_remote(remote)
    if any(c in rel for c in "*?["):
        start = posixpath.dirname(rel.split("*")[0].split("?")[0].split("[")[0])
        files = [p for p in _walk_files(root)
                 if fnmatch.fnmatch(p.relative_to(root).as_posix(), rel)]
    else:
        target = root / rel if rel else root
        if not target.exists():
            raise CliError(f"No such file or directory: '{remote}' in Volume '{pos[0]}'.")
        start = posixpath.dirname(rel)
        files = list(_walk_files(target))
    if local == "-":
        for p in files:
            sys.stdout.buffer.write(p.read_bytes())
        sys.stdout.buffer.flush()
        return 0
    dest = Path(local)
    plan = []
    for p in files:
        relp = p.relative_to(root).as_posix()
        if start:
            relp = posixpath.relpath(relp, start)
        plan.append((p, dest / relp))
    if not o["force"]:
        for _src, out_path in plan:
            if out_path.exists():
                raise UsageError(f"Output path '{out_path}' already exists. Use --force to "
                                 "overwrite the output directory")
    for src, out_path in plan:
        if out_path.exists() or out_path.is_symlink():
            if out_path.is_dir() and not out_path.is_symlink():
                shutil.rmtree(out_path)
            else:
                out_path.unlink()
        out_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, out_path)
    out("✓ Finished downloading files to local!")
    return 0


def cmd_volume_put(fake, o, pos, _rest):
    fake.auth()
    env = fake.environment(o["env"])
    root = _existing_volume(fake, pos[0], env)
    local_arg = pos[1]
    remote = pos[2] if len(pos) > 2 else "/"
    if any(c in local_arg for c in "*?["):
        raise UsageError("Glob uploads are currently not supported")
    local = Path(local_arg)
    if not local.exists():
        raise CliError(f"Local path '{local_arg}' does not exist.")
    if remote.endswith("/"):
        remote = remote + os.path.basename(os.path.normpath(local_arg))
    rel = _norm_remote(remote)
    if not rel and not local.is_dir():
        raise UsageError("Cannot upload a file to the root of the Volume without a file name.")
    target = root / rel if rel else root
    if local.is_dir():
        plan = [(p, target / p.relative_to(local)) for p in _walk_files(local)]
    else:
        plan = [(local, target)]
    for _src, dst in plan:
        if dst.is_dir():
            raise UsageError(f"'/{dst.relative_to(root).as_posix()}' is a directory in Volume "
                             f"'{pos[0]}'.")
        if dst.exists() and not o["force"]:
            raise UsageError(f"'/{dst.relative_to(root).as_posix()}' already exists in Volume "
                             f"'{pos[0]}'. Use --force to overwrite.")
        for parent in dst.relative_to(root).parents:
            if (root / parent).is_file():
                raise UsageError(f"'/{parent.as_posix()}' is a file in Volume '{pos[0]}'.")
    for src, dst in plan:
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
    if local.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        out(f"✓ Uploaded directory '{local_arg}' to '{remote}'")
    else:
        out(f"✓ Uploaded file '{local_arg}' to '{remote}'")
    return 0


def _entry_type(p):
    mode = os.lstat(p).st_mode
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "file"


def cmd_volume_ls(fake, o, pos, _rest):
    fake.auth()
    env = fake.environment(o["env"])
    root = _existing_volume(fake, pos[0], env)
    path = pos[1] if len(pos) > 1 else "/"
    rel = _norm_remote(path)
    target = root / rel if rel else root
    if not target.exists():
        raise CliError(f"No such file or directory: '{path}' in Volume '{pos[0]}'.")
    entries = sorted(target.iterdir()) if target.is_dir() and not target.is_symlink() else [target]
    rows = []
    for p in entries:
        st = os.lstat(p)
        kind = _entry_type(p)
        rows.append({"filename": p.relative_to(root).as_posix(), "type": kind,
                     "created_modified": dt.datetime.fromtimestamp(
                         st.st_mtime, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                     "size": human_size(st.st_size if kind == "file" else 0)})
    if o["json"]:
        print_json(rows)
    elif not os.isatty(1):
        for r in rows:
            out(r["filename"])
    else:
        print_table(f"Directory listing of '{path}' in '{pos[0]}'",
                    ["Filename", "Type", "Created/Modified", "Size"],
                    [list(r.values()) for r in rows])
    return 0


def cmd_volume_rm(fake, o, pos, _rest):
    fake.auth()
    env = fake.environment(o["env"])
    root = _existing_volume(fake, pos[0], env)
    path = pos[1]
    rel = _norm_remote(path)
    if not rel:
        raise UsageError("Cannot delete the root of a Volume.")
    target = root / rel
    if not target.exists() and not target.is_symlink():
        raise UsageError(f"No such file or directory: '{path}'")
    if target.is_dir() and not target.is_symlink():
        if not o["recursive"]:
            raise UsageError(f"'{path}' is a directory. Use -r/--recursive to delete it.")
        shutil.rmtree(target)
    else:
        target.unlink()
    out(f"✓ {path} was deleted successfully!")
    return 0


def _confirm_click(question):
    answer = _read_answer(f"{question} [y/N]: ")
    if answer not in ("y", "yes"):
        if answer is None:
            out("")
        raise PlainExit("Aborted!")


def cmd_volume_delete(fake, o, pos, _rest):
    fake.auth()
    env = fake.environment(o["env"])
    root = _volume_dir(fake, pos[0], env)
    if not root.is_dir():
        if o["allow_missing"]:
            return 0
        raise CliError(f"Volume '{pos[0]}' not found in environment '{env}'.")
    if not o["yes"]:
        _confirm_click(f"Are you sure you want to irrevocably delete the modal.Volume '{pos[0]}'?")
    shutil.rmtree(root)
    with fake.state() as doc:
        doc.get("volumes", {}).get(env, {}).pop(pos[0], None)
    return 0


# --------------------------------------------------------------------------- secret

def _dotenv_keys(path):
    keys = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            if s.startswith("export "):
                s = s[len("export "):].strip()
            if "=" in s:
                key = s.split("=", 1)[0].strip()
                if key:
                    keys.append(key)
    return keys


def _secret_keys_unchecked(values, pos, strict):
    keys = []
    for kv in pos[1:]:
        if "=" not in kv:
            if strict:
                raise UsageError("Each item should be of the form <KEY>=VALUE. To enter secrets "
                                 "using your $EDITOR, use `<KEY>=-`. To read from a file, use "
                                 "`<KEY>=@<path>`.")
            continue
        keys.append(kv.split("=", 1)[0])
    if values.get("from_dotenv"):
        try:
            keys.extend(_dotenv_keys(values["from_dotenv"]))
        except OSError as e:
            if strict:
                raise CliError(f"Could not read {values['from_dotenv']}: {e.strerror}")
    if values.get("from_json"):
        try:
            doc = json.loads(Path(values["from_json"]).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            if strict:
                raise CliError(f"Could not read JSON from {values['from_json']}: {e}")
            doc = {}
        if isinstance(doc, dict):
            keys.extend(str(k) for k in doc)
        elif strict:
            raise CliError(f"{values['from_json']} must contain a JSON object.")
    seen, result = set(), []
    for k in keys:
        if k not in seen:
            seen.add(k)
            result.append(k)
    return result


Fake.secret_keys = staticmethod(_secret_keys_unchecked)


def _visible_secret(s, workspace, env):
    return s.get("workspace") in (None, workspace) and s.get("env", "main") == env


def cmd_secret_create(fake, o, pos, _rest):
    keys = _secret_keys_unchecked(o, pos, strict=True)
    if not keys:
        raise UsageError("You need to specify at least one key for your secret")
    workspace = fake.auth()
    env = fake.environment(o["env"])
    name = pos[0]
    with fake.state() as doc:
        secrets = doc.setdefault("secrets", [])
        existing = [s for s in secrets if s.get("name") == name and _visible_secret(s, workspace, env)]
        if existing and not o["force"]:
            raise CliError(f"AlreadyExistsError: Secret '{name}' already exists in environment '{env}'.")
        for s in existing:
            secrets.remove(s)
        secrets.append({"name": name, "keys": keys, "env": env, "workspace": workspace,
                        "created_at": now_str(), "created_by": workspace, "last_used_at": None})
    quoted = ", ".join(f"'{k}'" for k in keys)
    out(f"Created a new secret '{name}' with the key{'s' if len(keys) > 1 else ''} {quoted}")
    out("")
    out("Use it in your Modal app:")
    out("")
    out(f'@app.function(secrets=[modal.Secret.from_name("{name}")])')
    out("def some_function():")
    out(f'    os.getenv("{keys[0]}")')
    return 0


def cmd_secret_list(fake, o, _pos, _rest):
    workspace = fake.auth()
    env = fake.environment(o["env"])
    rows = [{"name": s.get("name"), "created_at": s.get("created_at"),
             "created_by": s.get("created_by"), "last_used_at": s.get("last_used_at")}
            for s in fake.read_state().get("secrets", []) if _visible_secret(s, workspace, env)]
    if o["json"]:
        print_json(rows)
    else:
        print_table(f"Secrets in environment '{env}'", ["Name", "Created at", "Created by", "Last used at"],
                    [[r["name"], r["created_at"], r["created_by"], r["last_used_at"] or "-"] for r in rows])
    return 0


def cmd_secret_delete(fake, o, pos, _rest):
    workspace = fake.auth()
    env = fake.environment(o["env"])
    name = pos[0]
    found = [s for s in fake.read_state().get("secrets", [])
             if s.get("name") == name and _visible_secret(s, workspace, env)]
    if not found:
        if o["allow_missing"]:
            return 0
        raise CliError(f"NotFoundError: Secret '{name}' not found in environment '{env}'.")
    if not o["yes"]:
        _confirm_click(f"Are you sure you want to delete the secret '{name}'?")
    with fake.state() as doc:
        doc["secrets"] = [s for s in doc.get("secrets", [])
                          if not (s.get("name") == name and _visible_secret(s, workspace, env))]
    return 0


# --------------------------------------------------------------------------- billing

FOR_CHOICES = ("today", "yesterday", "this week", "last week", "this month", "last month")


def _parse_date(text, option):
    t = text.strip().lower()
    today = dt.datetime.now(dt.timezone.utc).date()
    if t == "today":
        return today
    if t == "yesterday":
        return today - dt.timedelta(days=1)
    m = re.fullmatch(r"(\d+)\s+(day|week)s?\s+ago", t)
    if m:
        return today - dt.timedelta(days=int(m.group(1)) * (7 if m.group(2) == "week" else 1))
    try:
        return dt.date.fromisoformat(t[:10])
    except ValueError:
        raise UsageError(f"Invalid value for '{option}': '{text}' is not a valid date.")


def _billing_rows(fake, workspace):
    billing = fake.read_state().get("billing") or {}
    rows = billing.get(workspace) or []
    return [r for r in rows if isinstance(r, dict)]


def cmd_billing_report(fake, o, _pos, _rest):
    if o["for_"] and (o["start"] or o["end"]):
        raise UsageError("Cannot specify both --for and --start/--end.")
    if not o["for_"] and not o["start"]:
        raise UsageError("Must specify either --start or --for.")
    if o["for_"] and o["for_"].strip().lower() not in FOR_CHOICES:
        raise UsageError(f"Invalid value for '--for': '{o['for_']}'. Choose from: "
                         + ", ".join(FOR_CHOICES) + ".")
    start = _parse_date(o["start"], "--start") if o["start"] else None
    end = _parse_date(o["end"], "--end") if o["end"] else None
    workspace = fake.auth()
    result = []
    for r in _billing_rows(fake, workspace):
        day = str(r.get("interval_start", ""))[:10]
        try:
            day_date = dt.date.fromisoformat(day)
        except ValueError:
            day_date = None
        if start and (day_date is None or day_date < start):
            continue
        if end and (day_date is None or day_date >= end):
            continue
        base = {"object_id": r.get("object_id"), "description": r.get("description"),
                "environment": r.get("environment", r.get("environment_name")),
                "interval_start": r.get("interval_start")}
        tags = None
        if o["tag_names"]:
            wanted = [t for spec in o["tag_names"] for t in spec.split(",") if t]
            tags = json.dumps({k: v for k, v in (r.get("tags") or {}).items() if k in wanted})
        if o["show_resources"] and isinstance(r.get("cost_by_resource"), dict):
            for res, cost in r["cost_by_resource"].items():
                row = dict(base, resource=res, cost=str(cost))
                if tags is not None:
                    row["tags"] = tags
                result.append(row)
            continue
        row = dict(base, cost=str(r.get("cost", "0")))
        if o["show_resources"]:
            row["resource"] = r.get("resource")
        if tags is not None:
            row["tags"] = tags
        result.append(row)
    if o["json"]:
        print_json(result)
    elif o["csv"]:
        buf = io.StringIO()
        keys = list(result[0].keys()) if result else ["object_id", "description", "environment",
                                                      "interval_start", "cost"]
        writer = csv.DictWriter(buf, fieldnames=keys, lineterminator="\n")
        writer.writeheader()
        for row in result:
            writer.writerow(row)
        sys.stdout.write(buf.getvalue())
        sys.stdout.flush()
    else:
        keys = list(result[0].keys()) if result else ["object_id", "description", "environment",
                                                      "interval_start", "cost"]
        print_table("Billing report", keys, [[row.get(k) for k in keys] for row in result])
    return 0


def cmd_billing_summary(fake, o, _pos, _rest):
    workspace = fake.auth()
    override = (fake.read_state().get("billing_summary") or {}).get(workspace)
    if override is not None:
        summary = override
    else:
        total = decimal.Decimal(0)
        for r in _billing_rows(fake, workspace):
            try:
                total += decimal.Decimal(str(r.get("cost", "0")))
            except decimal.InvalidOperation:
                continue
        if total.as_tuple().exponent > -2:
            total = total.quantize(decimal.Decimal("0.01"))
        summary = {"metered_cost": str(total), "billed_cost": "0.00", "adjustments": {},
                   "metered_cost_breakdown": {}}
    if o["json"]:
        print_json(summary)
    else:
        for k, v in summary.items():
            out(f"{k}: {v}")
    return 0


# What a workspace without "billing_rates" in the state answers: Modal's shape
# (a flat object of decimal strings, per unit-hour, storage per GiB-month)
# with snake_case names, the published rates, and one name m-gpux does not know.
DEFAULT_BILLING_RATES = {
    "gpu_t4": "0.590000", "gpu_l4": "0.800000", "gpu_a10": "1.100000", "gpu_l40s": "1.950000",
    "gpu_a100_40gb": "2.100000", "gpu_a100_80gb": "2.500000", "gpu_rtx_pro_6000": "3.030000",
    "gpu_h100": "3.950000", "gpu_h200": "4.540000", "gpu_b200": "6.250000", "gpu_b300": "7.100000",
    "cpu": "0.047300", "memory": "0.008000", "sandbox_cpu": "0.141900", "sandbox_memory": "0.024000",
    "storage": "0.090000", "internet_egress_gib": "0.050000",
}


def cmd_billing_rates(fake, o, _pos, _rest):
    fake.auth()
    state = fake.read_state()
    rates = state["billing_rates"] if "billing_rates" in state else DEFAULT_BILLING_RATES
    if o["json"]:
        print_json(rates)
    else:
        print_table("Rates", ["Resource", "Rate"], [[k, v] for k, v in rates.items()])
    return 0


# --------------------------------------------------------------------------- command table

def _env_opt():
    return Opt(["-e", "--env"], "env", "value")


COMMAND_LIST = [
    Command(["run"], cmd_run, [
        Opt(["-d", "--detach"], "detach"), Opt(["-q", "--quiet"], "quiet"),
        Opt(["-i", "--interactive"], "interactive"), _env_opt(), Opt(["-n", "--name"], "name", "value"),
        Opt(["-m"], "module"), Opt(["-w", "--write-result"], "write_result", "value"),
        Opt(["--timestamps"], "timestamps")], ["FUNC_REF"], stop_after_first=True),
    Command(["serve"], cmd_serve, [
        Opt(["--timeout"], "timeout", "value"), _env_opt(), Opt(["-n", "--name"], "name", "value"),
        Opt(["-m"], "module"), Opt(["--timestamps"], "timestamps")], ["APP_REF"]),
    Command(["deploy"], cmd_deploy, [
        Opt(["--name"], "name", "value"), _env_opt(), Opt(["--stream-logs"], "stream_logs"),
        Opt(["--tag"], "tag", "value"), Opt(["-m"], "module"), Opt(["--timestamps"], "timestamps"),
        Opt(["--strategy"], "strategy", "value", default="rolling", choices=("rolling", "recreate"))],
        ["APP_REF"]),
    Command(["app", "list"], cmd_app_list, [_env_opt(), Opt(["--json"], "json")]),
    Command(["app", "stop"], cmd_app_stop, [Opt(["-y", "--yes"], "yes"), _env_opt()], ["APP_IDENTIFIER"]),
    Command(["app", "logs"], cmd_app_logs, [
        Opt(["-f", "--follow"], "follow"), Opt(["-n", "--tail"], "tail", "value"),
        Opt(["--since"], "since", "value"), Opt(["--until"], "until", "value"),
        Opt(["--search"], "search", "value"), Opt(["--function"], "function", "value"),
        Opt(["--function-call"], "function_call", "value"), Opt(["--container"], "container", "value"),
        Opt(["-s", "--source"], "source", "value", choices=("stdout", "stderr", "system")),
        Opt(["--timestamps"], "timestamps"), Opt(["--show-function-id"], "show_function_id"),
        Opt(["--show-function-call-id"], "show_function_call_id"),
        Opt(["--show-container-id"], "show_container_id"), _env_opt()], ["APP_IDENTIFIER"]),
    Command(["profile", "list"], cmd_profile_list, [Opt(["--json"], "json")]),
    Command(["profile", "current"], cmd_profile_current, []),
    Command(["profile", "activate"], cmd_profile_activate, [], ["PROFILE"]),
    Command(["token", "set"], cmd_token_set, [
        Opt(["--token-id"], "token_id", "value"), Opt(["--token-secret"], "token_secret", "value"),
        Opt(["--activate"], "activate", "bool", default=True, neg=["--no-activate"]),
        Opt(["--verify"], "verify", "bool", default=True, neg=["--no-verify"])]),
    Command(["volume", "create"], cmd_volume_create, [
        _env_opt(), Opt(["--version"], "version", "value", choices=("1", "2"))], ["NAME"]),
    Command(["volume", "list"], cmd_volume_list, [_env_opt(), Opt(["--json"], "json")]),
    Command(["volume", "get"], cmd_volume_get, [Opt(["--force"], "force"), _env_opt()],
            ["VOLUME_NAME", "REMOTE_PATH", "LOCAL_DESTINATION"], optional_from=2),
    Command(["volume", "put"], cmd_volume_put, [Opt(["-f", "--force"], "force"), _env_opt()],
            ["VOLUME_NAME", "LOCAL_PATH", "REMOTE_PATH"], optional_from=2),
    Command(["volume", "ls"], cmd_volume_ls, [Opt(["--json"], "json"), _env_opt()],
            ["VOLUME_NAME", "PATH"], optional_from=1),
    Command(["volume", "rm"], cmd_volume_rm, [Opt(["-r", "--recursive"], "recursive"), _env_opt()],
            ["VOLUME_NAME", "REMOTE_PATH"]),
    Command(["volume", "delete"], cmd_volume_delete, [
        Opt(["-y", "--yes"], "yes"), Opt(["--allow-missing"], "allow_missing"), _env_opt()], ["NAME"]),
    Command(["secret", "create"], cmd_secret_create, [
        Opt(["--from-dotenv"], "from_dotenv", "value"), Opt(["--from-json"], "from_json", "value"),
        Opt(["--force"], "force"), _env_opt()], ["SECRET_NAME", "KEYVALUES"], optional_from=1,
        varargs=True),
    Command(["secret", "list"], cmd_secret_list, [_env_opt(), Opt(["--json"], "json")]),
    Command(["secret", "delete"], cmd_secret_delete, [
        Opt(["-y", "--yes"], "yes"), Opt(["--allow-missing"], "allow_missing"), _env_opt()],
        ["SECRET_NAME"]),
    Command(["billing", "report"], cmd_billing_report, [
        Opt(["--for"], "for_", "value"), Opt(["--start"], "start", "value"),
        Opt(["--end"], "end", "value"), Opt(["-r", "--resolution"], "resolution", "value",
                                            default="d", choices=("d", "h")),
        Opt(["--tz"], "tz", "value"), Opt(["-t", "--tag-names"], "tag_names", "multi"),
        Opt(["--show-resources"], "show_resources"), Opt(["--json"], "json"), Opt(["--csv"], "csv")],
        min_version=(1, 3, 3)),
    Command(["billing", "summary"], cmd_billing_summary, [
        Opt(["--for"], "for_", "value"), Opt(["--json"], "json")], min_version=(1, 5, 3)),
    Command(["billing", "rates"], cmd_billing_rates, [Opt(["--json"], "json")], min_version=(1, 5, 4)),
]
COMMANDS = {c.path: c for c in COMMAND_LIST}
COMMANDS_BY_GROUP = {}
for _c in COMMAND_LIST:
    COMMANDS_BY_GROUP.setdefault(_c.path[0], []).append(_c)

TOP_HELP = "\n".join(
    ["Usage: modal [OPTIONS] COMMAND [ARGS]...", "", "  Fake Modal CLI for tests.", "",
     "Options:", "  --version  Show the version and exit.", "  --profile TEXT",
     "  -h, --help  Show this message and exit.", "", "Commands:"]
    + [f"  {' '.join(c.path)}" for c in COMMAND_LIST])


def group_help(group):
    return "\n".join([f"Usage: modal {group} [OPTIONS] COMMAND [ARGS]...", "", "Commands:"]
                     + [f"  {c.path[-1]}" for c in COMMANDS_BY_GROUP.get(group, [])])


# --------------------------------------------------------------------------- entry point

def main():
    try:
        sys.stdout.reconfigure(encoding="utf-8", errors="replace", line_buffering=True)
        sys.stderr.reconfigure(encoding="utf-8", errors="replace", line_buffering=True)
    except (AttributeError, ValueError):
        pass
    home = os.environ.get("FAKE_MODAL_HOME")
    if not home and os.environ.get("MGPUX_FAKE_MODAL_LOG"):
        # Compatibility with harnesses that only name a call log: keep state beside it.
        home = str(Path(os.environ["MGPUX_FAKE_MODAL_LOG"]).resolve().parent / "fake-modal-home")
    if not home:
        err("fake modal: FAKE_MODAL_HOME is not set; it must name the fake's state directory.")
        return 2
    Path(home).mkdir(parents=True, exist_ok=True)
    fake = Fake(home, sys.argv[1:])
    if fake.version is None:
        err(f"fake modal: FAKE_MODAL_VERSION={fake.version_text!r} is not a version.")
        return 2
    try:
        return fake.main()
    except UsageError as e:
        err(f"Usage: {e.usage or 'modal [OPTIONS] COMMAND [ARGS]...'}")
        try_cmd = (e.usage or "modal").split(" [")[0]
        err(f"Try '{try_cmd} -h' for help.")
        err("")
        err(f"Error: {e}")
        return 2
    except CliError as e:
        error_panel(str(e))
        return 1
    except PlainExit as e:
        err(str(e))
        return 1
    except Interrupted as e:
        return exit_code_for_signal(e.signum)
    except BrokenPipeError:
        return 1
    except OSError as e:
        error_panel(f"{type(e).__name__}: {e}")
        return 1


def run():
    code = main()
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        pass
    sys.exit(code)


if __name__ == "__main__":
    run()
