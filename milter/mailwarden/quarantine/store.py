"""The quarantine store: one raw message and one JSON metadata file per item.

Layout: ``<directory>/YYYY/MM/DD/<id>.eml`` and ``<id>.json``. Item ids are random,
never derived from message data. Every file is written to a private temporary name,
fsynced and renamed into place, message first, so a metadata file always describes a
complete message. Files are 0600 in 0700 directories.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mailwarden.errors import QuarantineError
from mailwarden.message import Buffer
from mailwarden.message.decode import release

_DIR_MODE = 0o700
_FILE_MODE = 0o600
_CHUNK = 1 << 20


class QuarantineStore:
    # TODO(#6): listing, release, retention and the access log.
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def ensure(self) -> None:
        """Create the store's root with private permissions."""
        try:
            self.directory.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
            os.chmod(self.directory, _DIR_MODE)
        except OSError as exc:
            raise QuarantineError(f"{self.directory}: {exc.strerror}") from exc

    def put(self, raw: Buffer, metadata: dict[str, Any]) -> str:
        """Store *raw* with *metadata*; return the new item id."""
        now = datetime.now(UTC)
        item_id = f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(8)}"
        shard = self.directory / f"{now:%Y}" / f"{now:%m}" / f"{now:%d}"
        record = {"id": item_id, "quarantined_at": now.isoformat(), **metadata}
        try:
            _private_dirs(self.directory, shard)
            _write_atomic(shard / f"{item_id}.eml", raw)
            document = json.dumps(record, indent=1, ensure_ascii=False).encode()
            _write_atomic(shard / f"{item_id}.json", document)
        except OSError as exc:
            raise QuarantineError(f"cannot store in {shard}: {exc.strerror}") from exc
        return item_id

    def path_of(self, item_id: str) -> Path | None:
        """The message file of *item_id*, or None when there is no such item."""
        if not item_id.replace("-", "").replace("T", "").isalnum():
            return None
        matches = list(self.directory.glob(f"*/*/*/{item_id}.eml"))
        return matches[0] if matches else None


def _private_dirs(root: Path, leaf: Path) -> None:
    """Create every directory below *root* down to *leaf* with mode 0700."""
    path = root
    for name in leaf.relative_to(root).parts:
        path = path / name
        if not path.is_dir():
            path.mkdir(mode=_DIR_MODE, exist_ok=True)
            os.chmod(path, _DIR_MODE)


def _write_atomic(path: Path, data: Buffer | bytes) -> None:
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE_MODE)
    try:
        view, written = memoryview(data), 0
        while written < len(view):
            step = os.write(fd, view[written : written + _CHUNK])
            release(data, written, written + step)
            written += step
        view.release()
        os.fsync(fd)
    except OSError:
        os.close(fd)
        temporary.unlink(missing_ok=True)
        raise
    os.close(fd)
    os.rename(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
