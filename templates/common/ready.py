{{! SPDX-License-Identifier: MIT }}
# --- m-gpux readiness (templates/common/ready.py) -----------------------------------------------
# The runner watches for "[m-gpux] READY <url>": it is printed only once the server accepts
# connections, and the URL never carries a credential.
import socket as _ready_socket
import time as _ready_time


def _wait_for_port(port, proc=None, timeout_s=600.0, host="127.0.0.1"):
    """True once host:port accepts a connection; False if proc exits first or time runs out."""
    deadline = _ready_time.monotonic() + timeout_s
    while _ready_time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with _ready_socket.create_connection((host, port), timeout=1.0):
                return True
        except OSError:
            _ready_time.sleep(0.25)
    return False


def _announce_ready(url):
    print("[m-gpux] READY %s" % url, flush=True)
# --- end of the readiness helpers ---------------------------------------------------------------
