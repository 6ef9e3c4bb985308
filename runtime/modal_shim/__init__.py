# SPDX-License-Identifier: MIT
"""Tooling around the stand-in `modal` package (see __main__.py and inspect_api.py)."""
