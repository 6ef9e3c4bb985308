# SPDX-License-Identifier: MIT
"""CLI of the stand-in `modal` package.

    PYTHONPATH=runtime /usr/bin/python3 -m modal_shim inspect FILE [--json]
    PYTHONPATH=runtime /usr/bin/python3 -m modal_shim run [--detach] | serve | deploy FILE

`inspect` imports FILE and reports; run/serve/deploy run it on this machine (local_run.py).

Imports FILE (as a module named after its stem, not `__main__`) with the stand-in `modal`
first on sys.path and prints one JSON document describing what the script declares.
Relative local paths (add_local_dir, requirements files) resolve against the current
directory, as with Modal. Exit status: 0 when the import succeeded (validation problems are
listed under "errors"), 1 when importing raised (traceback on stderr), 2 for usage errors.
"""
import argparse
import importlib.util
import json
import os
import sys
import traceback
import warnings

SUPPORT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _use_stand_in():
    """Puts the stand-in first on sys.path and drops any `modal` imported before."""
    sys.path[:] = [SUPPORT_DIR] + [p for p in sys.path if os.path.abspath(p or os.curdir) != SUPPORT_DIR]
    for name in list(sys.modules):
        if name == "modal" or name.startswith("modal."):
            del sys.modules[name]
    import modal

    if not getattr(modal, "__modal_shim__", False) or not os.path.abspath(modal.__file__).startswith(SUPPORT_DIR + os.sep):
        raise SystemExit(f"modal_shim: `import modal` resolved to {modal.__file__}, not the stand-in in {SUPPORT_DIR}")
    return modal


def _import_script(path):
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def cmd_inspect(args):
    path = os.path.abspath(args.file)
    if not os.path.isfile(path):
        print(f"modal_shim: no such file: {args.file}", file=sys.stderr)
        return 2
    modal = _use_stand_in()
    from modal._report import build_report

    # The script's directory is importable (sibling modules), after the stand-in.
    script_dir = os.path.dirname(path)
    if script_dir not in sys.path:
        sys.path.insert(1, script_dir)

    real_stdout = sys.stdout
    sys.stdout = sys.stderr  # whatever the script prints must not corrupt the JSON document
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                module = _import_script(path)
            except SystemExit as exc:
                print(f"modal_shim: importing {args.file} called sys.exit({exc.code!r})", file=sys.stderr)
                traceback.print_exc()
                return 1
            except Exception:  # noqa: BLE001 - reported as the import failure
                traceback.print_exc()
                return 1
            report = build_report(module, list(caught))
    finally:
        sys.stdout = real_stdout
    assert modal.__modal_shim__
    text = json.dumps(report, ensure_ascii=False, indent=None if args.json else 2, sort_keys=False)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
    return 0


def _local_command(argv):
    """run|serve|deploy|_worker|_container: the local backend (see local_run.py), or None."""
    if not argv or argv[0] not in ("run", "serve", "deploy", "_worker", "_container"):
        return None
    _use_stand_in()
    from modal_shim import container, local_run

    command, rest = argv[0], argv[1:]
    if command == "_container":
        return container.container_main(rest[0])
    if command == "_worker":
        return local_run.worker(rest[0], rest[1], rest[2])
    parser = argparse.ArgumentParser(prog="python -m modal_shim " + command)
    parser.add_argument("file")
    if command == "run":
        parser.add_argument("--detach", "-d", action="store_true")
    args = parser.parse_args(rest)
    if not os.path.isfile(args.file):
        print(f"modal_shim: no such file: {args.file}", file=sys.stderr)
        return 2
    if command == "deploy" or getattr(args, "detach", False):
        return local_run.detach(command, args.file)
    return local_run.execute(command, args.file, local_run.new_app_id())


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_container"]:
        return _local_command(argv)
    if os.environ.get("MODAL_IS_REMOTE") == "1":
        print("modal_shim: refusing to run with MODAL_IS_REMOTE=1 (inside a Modal container, use the real SDK).",
              file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(prog="python -m modal_shim", description="Stand-in `modal` tooling for tests.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_inspect = sub.add_parser("inspect", help="import FILE with the stand-in modal and print what it declares")
    p_inspect.add_argument("file")
    p_inspect.add_argument("--json", action="store_true", help="compact JSON on one line (default: indented)")
    local = _local_command(argv)
    if local is not None:
        return local
    args = parser.parse_args(argv)
    if args.command == "inspect":
        return cmd_inspect(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
