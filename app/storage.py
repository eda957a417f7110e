"""Where uploaded files live: a small put/open/delete-by-key interface, the instance directory by default.

Photos are written here before the transaction that records them and deleted again if it fails, so the
database never names a file that is not there. Another store (an object store, say) implements the same three
methods and is put in `app.extensions[STORAGE]`.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import current_app

STORAGE = "hotline.file_storage"  # app.extensions key: the FileStorage the app uses
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_.-]*)*$")


class FileStorage(Protocol):
    def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key`, replacing nothing: keys are made unique by their writer."""

    def open(self, key: str) -> BinaryIO:
        """The stored bytes to read; FileNotFoundError if there are none."""

    def delete(self, key: str) -> None:
        """Remove the file if it is there (deleting a missing key is not an error)."""


class LocalStorage:
    """Files under a directory; keys are relative paths of lower-case letters, digits, `_`, `-` and `.`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        if not _KEY.match(key) or ".." in key:
            raise ValueError(f"not a storage key: {key!r}")
        return self.root / key

    def put(self, key: str, data: bytes) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: a reader never sees half a file, a crash leaves only a temp file.
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def open(self, key: str) -> BinaryIO:
        return self.path(key).open("rb")

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)


def current_storage() -> FileStorage:
    """The running app's storage: the one configured, or `<instance>/files`."""
    storage: FileStorage | None = current_app.extensions.get(STORAGE)
    if storage is None:
        storage = LocalStorage(Path(current_app.instance_path) / "files")
        current_app.extensions[STORAGE] = storage
    return storage
