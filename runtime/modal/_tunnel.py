# SPDX-License-Identifier: MIT
"""modal.forward / modal.Tunnel stand-ins (no traffic is relayed; a local container gets its own port)."""
import contextlib
import dataclasses
import os
import warnings

from . import _local
from ._state import STATE
from .exception import DeprecationError, InvalidError

_ACTIVE_PORTS = set()


@dataclasses.dataclass(frozen=True)
class Tunnel:
    host: str
    port: int
    unencrypted_host: str
    unencrypted_port: int

    @property
    def url(self):
        if self.unencrypted_host:
            message = (
                "Reading `.url` of a tunnel opened with `unencrypted=True` is deprecated; "
                "use `tunnel.tcp_socket` for the plain TCP endpoint (or `tls_socket`)."
            )
            STATE.warn("tunnel_url_unencrypted", message, f"Tunnel({self.host})")
            warnings.warn(message, DeprecationError, stacklevel=2)
        if self.host == "127.0.0.1":
            return f"http://{self.host}:{self.port}"
        return f"https://{self.host}" if self.port == 443 else f"https://{self.host}:{self.port}"

    @property
    def tls_socket(self):
        return (self.host, self.port)

    @property
    def tcp_socket(self):
        if not self.unencrypted_host:
            raise InvalidError(
                "This tunnel is not configured for unencrypted TCP. Please use `forward(..., unencrypted=True)`."
            )
        return (self.unencrypted_host, self.unencrypted_port)


def is_local():
    """True outside a Modal container (MODAL_IS_REMOTE is not "1")."""
    return os.environ.get("MODAL_IS_REMOTE") != "1"


@contextlib.contextmanager
def forward(port, *, unencrypted=False, h2_enabled=False, client=None):
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise InvalidError(f"Invalid port number {port!r}: must be an int between 1 and 65535.")
    if _local.MODE == "container":
        # A local container shares this machine's network: the port itself is the endpoint.
        yield Tunnel("127.0.0.1", port, "127.0.0.1" if unencrypted else "", port if unencrypted else 0)
        return
    if is_local():
        raise InvalidError("Forwarding ports only works inside a Modal container")
    if port in _ACTIVE_PORTS:
        raise InvalidError(f"Port {port} is already forwarded")
    tunnel_id = STATE.next_id("ta")
    STATE.tunnels.append({"id": tunnel_id, "port": port, "unencrypted": bool(unencrypted), "h2_enabled": bool(h2_enabled)})
    host = f"{tunnel_id.replace('-', '')}p{port}.r0.modal.host"
    tunnel = Tunnel(host, 443, "r0.modal.host" if unencrypted else "", 40000 + port % 20000 if unencrypted else 0)
    _ACTIVE_PORTS.add(port)
    try:
        yield tunnel
    finally:
        _ACTIVE_PORTS.discard(port)


@contextlib.contextmanager
def enable_output(show_progress=True):
    yield
