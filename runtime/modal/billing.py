# SPDX-License-Identifier: MIT
"""modal.billing stand-in: deprecated in modal 1.5.1; returns no rows."""
import warnings

from .exception import DeprecationError


def workspace_billing_report(*, start, end=None, resolution="d", tag_names=None, client=None):
    warnings.warn(
        "modal.billing.workspace_billing_report is deprecated; use Workspace.from_context(client=...).billing.report().",
        DeprecationError,
        stacklevel=2,
    )
    return []
