# SPDX-License-Identifier: MIT
"""Exception types of the stand-in `modal` package (names as in modal 1.5.4)."""


class Error(Exception):
    """Base class for every error the stand-in raises on purpose."""


class InvalidError(Error):
    """A value or a combination of values Modal would refuse."""


class NotFoundError(Error):
    """A named object does not exist."""


class AlreadyExistsError(Error):
    """A named object exists already."""


class ConflictError(Error):
    """The operation conflicts with the object's state."""


class AuthError(Error):
    """Credentials were missing or refused."""


class ExecutionError(Error):
    """Something went wrong while running (e.g. calling a Function outside a running App)."""


class RemoteError(Error):
    """An error raised inside a container."""


class InternalError(Error):
    """An internal failure."""


class VersionError(Error):
    """The client version is not supported."""


class ConnectionError(Error):  # noqa: A001 - same name as Modal's
    """The server could not be reached."""


class TimeoutError(Error):  # noqa: A001 - same name as Modal's
    """Base class for timeouts."""


class FunctionTimeoutError(TimeoutError):
    """A Function ran past its timeout."""


class SandboxTimeoutError(TimeoutError):
    """A Sandbox ran past its timeout."""


class InputCancellation(BaseException):
    """An input was cancelled."""


class DeprecationError(UserWarning):
    """Use of something Modal removed (raised) or deprecated (warned).

    Like Modal's, it is a UserWarning subclass so it can also be issued through `warnings`.
    """


class PendingDeprecationError(UserWarning):
    """Use of something that will be deprecated."""


class ServerWarning(UserWarning):
    """A warning the server sent."""
