"""The message spool: memory up to a threshold, a private temporary file beyond.

At end of message the spool hands out one buffer for the whole message: the bytes
themselves when small, a read-only ``mmap`` of the file when large, so a large
message is never held whole in the process's heap.
"""

from __future__ import annotations

import contextlib
import mmap
import tempfile
from pathlib import Path
from typing import BinaryIO

from mailwarden.message import Buffer


class Spool:
    def __init__(self, threshold: int, directory: Path | None) -> None:
        self._threshold = threshold
        self._directory = directory
        self._memory = bytearray()
        self._file: BinaryIO | None = None
        self._map: mmap.mmap | None = None
        self.size = 0

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self._file is None and self.size > self._threshold:
            self._file = tempfile.TemporaryFile(  # noqa: SIM115 - closed in close()
                prefix="mailwarden-", dir=self._directory
            )
            self._file.write(self._memory)
            self._memory = bytearray()
        if self._file is not None:
            self._file.write(data)
        else:
            self._memory += data

    @property
    def on_disk(self) -> bool:
        return self._file is not None

    def buffer(self) -> Buffer:
        """The whole message; valid until :meth:`close`."""
        if self._file is None:
            return bytes(self._memory)
        self._file.flush()
        if self._map is None:
            self._map = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
        return self._map

    def close(self) -> None:
        if self._map is not None:
            # A view still alive keeps the mapping; it goes when the view does.
            with contextlib.suppress(BufferError):
                self._map.close()
            self._map = None
        if self._file is not None:
            self._file.close()
            self._file = None
        self._memory = bytearray()
        self.size = 0
