{{! SPDX-License-Identifier: MIT }}
# --- m-gpux workspace sync (templates/common/workspace.py) --------------------------------------
# The project folder is uploaded (mounted read-only at container start) to WORKSPACE_SEED_DIR and
# copied into the persistent volume at WORKSPACE_DIR: local files overwrite the volume's copies,
# files that exist only on the volume are kept, and files deleted locally are NOT deleted from the
# volume (work done in the container must survive a new launch). A daemon thread commits the volume
# every WORKSPACE_COMMIT_INTERVAL_S seconds, and a final commit runs when the function ends.
import os as _ws_os
import shlex as _ws_shlex
import shutil as _ws_shutil
import signal as _ws_signal
import threading as _ws_threading

WORKSPACE_DIR = "/workspace"
WORKSPACE_SEED_DIR = "/workspace_seed"
WORKSPACE_VOLUME_NAME = {{workspace_volume}}
WORKSPACE_COMMIT_INTERVAL_S = 20
workspace_volume = modal.Volume.from_name(WORKSPACE_VOLUME_NAME, create_if_missing=True)


def _ws_same_file(source, target):
    """True when target already holds this version (seeding keeps mtimes, like cp -a)."""
    try:
        a, b = _ws_os.stat(source), _ws_os.lstat(target)
    except OSError:
        return False
    return _ws_os.path.isfile(target) and not _ws_os.path.islink(target) and a.st_size == b.st_size and int(a.st_mtime) == int(b.st_mtime)


def _ws_clear(path):
    """Removes what is at path (file, link or folder) so that a local entry can take its place."""
    if _ws_os.path.isdir(path) and not _ws_os.path.islink(path):
        _ws_shutil.rmtree(path)
    elif _ws_os.path.lexists(path):
        _ws_os.remove(path)


def _ws_copy_entry(source, target):
    if _ws_os.path.islink(source):
        _ws_clear(target)
        _ws_os.symlink(_ws_os.readlink(source), target)
    elif _ws_os.path.isdir(source):
        if not _ws_os.path.isdir(target) or _ws_os.path.islink(target):
            _ws_clear(target)
            _ws_os.makedirs(target)
    elif not _ws_same_file(source, target):
        if _ws_os.path.isdir(target) or _ws_os.path.islink(target):
            _ws_clear(target)
        _ws_shutil.copy2(source, target)
        return True
    return False


def _seed_workspace(seed=None, target=None):
    """Copies the upload into the workspace; returns (files copied, errors)."""
    seed = seed or WORKSPACE_SEED_DIR
    target = target or WORKSPACE_DIR
    _ws_os.makedirs(target, exist_ok=True)
    copied, errors = 0, 0
    if not _ws_os.path.isdir(seed):
        return copied, errors
    for folder, dirs, files in _ws_os.walk(seed):
        rel = _ws_os.path.relpath(folder, seed)
        dest = target if rel == "." else _ws_os.path.join(target, rel)
        for name in sorted(dirs) + sorted(files):
            try:
                copied += _ws_copy_entry(_ws_os.path.join(folder, name), _ws_os.path.join(dest, name))
            except OSError as exc:
                errors += 1
                print("[sync] could not copy %s: %s" % (_ws_os.path.join(rel, name), exc), flush=True)
        dirs[:] = [d for d in dirs if not _ws_os.path.islink(_ws_os.path.join(folder, d))]
    return copied, errors


def _commit_workspace():
    try:
        workspace_volume.commit()
        return True
    except Exception as exc:  # noqa: BLE001 - the next commit retries
        print("[sync] workspace commit failed: %s" % exc, flush=True)
        return False


def _start_autocommit(interval=None):
    """Starts the commit thread; returns the Event that stops it."""
    stop = _ws_threading.Event()
    period = interval or WORKSPACE_COMMIT_INTERVAL_S

    def loop():
        while not stop.wait(period):
            _commit_workspace()

    _ws_threading.Thread(target=loop, name="m-gpux-autocommit", daemon=True).start()
    return stop


def _finish_workspace(stop):
    """Stops the commit thread and commits one last time."""
    stop.set()
    if _commit_workspace():
        print("[sync] final workspace commit done", flush=True)


def _end_on_sigterm():
    """Modal stops a container with SIGTERM: turn it into SystemExit so `finally` blocks (the final
    commit) run. Only the main thread may install handlers; elsewhere this does nothing."""

    def handler(signum, frame):
        raise SystemExit(128 + signum)

    try:
        _ws_signal.signal(_ws_signal.SIGTERM, handler)
    except ValueError:
        pass


def _workspace_banner_lines():
    return [
        "Workspace: %s" % WORKSPACE_DIR,
        "Sync volume: %s (auto-commit every %ds, final commit on exit)" % (WORKSPACE_VOLUME_NAME, WORKSPACE_COMMIT_INTERVAL_S),
        "Pull your files: modal volume get %s / ./m-gpux-workspace" % _ws_shlex.quote(WORKSPACE_VOLUME_NAME),
    ]
# --- end of the workspace sync ------------------------------------------------------------------
