{{! SPDX-License-Identifier: MIT }}
# --- m-gpux upload filter (templates/common/upload.py) ------------------------------------------
# The final ignore list, computed by m-gpux (plugins/common resolve_excludes): a pattern without a
# "/" already reads "**/<pattern>" (Modal's dockerignore rules would otherwise match it only at the
# root of the upload), and the credential patterns (.modal.toml, .m-gpux, .ssh, .aws, .netrc) come
# last, so no "!" pattern of the user can bring them back (the last match wins).
UPLOAD_IGNORE = {{exclude_patterns}}
# --- end of the upload filter -------------------------------------------------------------------
