# --- m-gpux upload filter (templates/common/upload.py) ------------------------------------------
# Modal reads `ignore=` with dockerignore rules, where `node_modules` matches only at the root of
# the upload. A pattern without a "/" is meant for every depth, so it becomes "**/<pattern>"
# (which also matches at the root); a pattern with a "/" stays anchored. Credentials are never
# uploaded: their patterns come last, and with dockerignore the last match wins, so a "!" pattern
# of the user cannot bring them back.
_UPLOAD_NEVER = (".modal.toml", ".m-gpux", ".ssh", ".aws", ".netrc")


def _upload_ignore(patterns):
    rules = []
    for raw in patterns:
        text = raw.strip()
        negate = text.startswith("!")
        body = text[1:].strip() if negate else text
        if not body.strip("/") or body.startswith("#"):
            continue
        anchored = "/" in body.rstrip("/")  # "/build" or "data/raw": relative to the upload root
        body = body.lstrip("/")
        if not anchored:
            body = "**/" + body
        rules.append(("!" if negate else "") + body)
    rules.extend("**/" + name for name in _UPLOAD_NEVER)
    return rules


UPLOAD_IGNORE = _upload_ignore({{exclude_patterns}})
# --- end of the upload filter -------------------------------------------------------------------
