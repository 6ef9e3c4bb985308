# SPDX-License-Identifier: MIT
"""modal.Volume (and CloudBucketMount) stand-ins: lazy references, recorded for inspection."""
import contextlib

from ._state import STATE
from ._validate import check_object_name


class Volume:
    """Use `Volume.from_name(...)`; the lookup/creation would happen when the App starts."""

    def __init__(self, _record, _read_only=False, _sub_path=None):
        self._record = _record
        self._read_only = _read_only
        self._sub_path = _sub_path

    # Identity: views made by read_only()/with_mount_options() share the record.
    def _key(self):
        return self._record["id"]

    @property
    def name(self):
        return self._record["name"]

    @property
    def object_id(self):
        return self._record["id"]

    def _shim_ref(self):
        ref = {"$volume": self._record["name"]}
        if self._read_only:
            ref["read_only"] = True
        if self._sub_path:
            ref["sub_path"] = self._sub_path
        return ref

    def __repr__(self):
        return f"Volume({self._record['name']!r})"

    @staticmethod
    def from_name(name, *, environment_name=None, create_if_missing=False, version=None, create_options=None, client=None):
        where = f"Volume.from_name({name!r})"
        check_object_name(name, "Volume", where)
        if version not in (None, 1, 2):
            STATE.error("invalid_volume_version", f"Volume version must be 1 or 2, got {version!r}.", where)
        record = {
            "id": STATE.next_id("vo"),
            "name": name if isinstance(name, str) else repr(name),
            "environment_name": environment_name,
            "create_if_missing": bool(create_if_missing),
            "version": version,
            "mounts": [],
            "commits": 0,
            "reloads": 0,
        }
        STATE.volumes.append(record)
        return Volume(record)

    def hydrate(self, client=None):
        return self

    def read_only(self):
        return Volume(self._record, True, self._sub_path)

    def with_mount_options(self, *, read_only=None, sub_path=None):
        return Volume(
            self._record,
            self._read_only if read_only is None else bool(read_only),
            self._sub_path if sub_path is None else sub_path,
        )

    # Live methods: no-ops that count calls (nothing is mounted during inspection).
    def commit(self):
        self._record["commits"] += 1

    def reload(self):
        self._record["reloads"] += 1

    def listdir(self, path, *, recursive=False):
        return []

    def iterdir(self, path, *, recursive=True):
        return iter(())

    def read_file(self, path):
        from .exception import NotFoundError

        raise NotFoundError(f"No such file in the stand-in Volume {self.name!r}: {path}")

    def remove_file(self, path, recursive=False):
        return None

    def copy_files(self, src_paths, dst_path, recursive=False):
        return None

    @contextlib.contextmanager
    def batch_upload(self, force=False):
        yield _BatchUpload()


class _BatchUpload:
    def put_file(self, local_file, remote_path, mode=None):
        return None

    def put_directory(self, local_path, remote_path, recursive=True):
        return None


class CloudBucketMount:
    """Record-only stand-in for modal.CloudBucketMount (usable in `volumes=`)."""

    def __init__(self, bucket_name, bucket_endpoint_url=None, key_prefix=None, secret=None,
                 oidc_auth_role_arn=None, read_only=False, requester_pays=False):
        self.bucket_name = bucket_name
        self.bucket_endpoint_url = bucket_endpoint_url
        self.key_prefix = key_prefix
        self.secret = secret
        self.oidc_auth_role_arn = oidc_auth_role_arn
        self.read_only = read_only
        self.requester_pays = requester_pays

    @property
    def name(self):
        return f"cloud-bucket:{self.bucket_name}"

    def _shim_ref(self):
        return {"$cloud_bucket": self.bucket_name, "read_only": bool(self.read_only)}
