"""Object storage: a local folder (embedded default) or S3 (and S3-compatible stores).

Both implementations accept the same keys (``files/ab/cd/<uuid>``), enforce the same upload size
rule while the bytes are still arriving, and report a missing object the same way (``KeyError``),
so that a key or a limit that works on a laptop behaves identically in production.

The S3 adapter lives in ``bca.backends.s3``, imported only when the settings ask for it (boto3
is slow to import and a local folder does not need it).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Protocol

from bca.settings import Settings, StorageBackend

CHUNK_SIZE = 64 * 1024
"""Size of the pieces ``open_stream`` yields: large enough to amortise a thread hop per read,
small enough that many concurrent downloads stay cheap in memory."""

_WRITE_BATCH = 256 * 1024
"""Incoming chunks are gathered up to this size before each write, so that a client sending tiny
chunks does not cost one thread hop per chunk."""

SPOOL_IN_MEMORY = 1024 * 1024
"""S3 uploads are staged in memory up to this size, on a temporary file beyond it."""


class UploadTooLarge(Exception):
    """The stream passed ``max_bytes``; raised as soon as that happens, with nothing stored."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"upload exceeds the limit of {max_bytes} bytes")
        self.max_bytes = max_bytes


class Storage(Protocol):
    async def put_stream(
        self, key: str, chunks: AsyncIterator[bytes], *, content_type: str, max_bytes: int
    ) -> int: ...
    async def put_bytes(self, key: str, data: bytes, *, content_type: str) -> None: ...
    async def get_bytes(self, key: str) -> bytes: ...
    def open_stream(self, key: str) -> AsyncIterator[bytes]: ...
    async def exists(self, key: str) -> bool: ...
    async def delete(self, key: str) -> None: ...
    async def list_keys(self, prefix: str, *, limit: int = 1000) -> list[str]:
        """Up to ``limit`` keys that start with ``prefix`` (a folder's name with its ``/``),
        sorted: what is left of a user under a prefix, for ``bca admin users residue``."""
        ...

    async def presigned_url(
        self, key: str, *, expires_in: int = 300, content_disposition: str | None = None
    ) -> str | None:
        """A short-lived download URL (None: serve the bytes yourself); the object store then
        answers with ``content_disposition`` as the Content-Disposition header."""
        ...

    async def ping(self) -> None:
        """Raise unless the store is usable (``NotReady`` says why, when it can tell)."""
        ...

    async def ensure(self) -> str:
        """Create what the store needs (the folder, the bucket) unless it exists; says which."""
        ...

    async def close(self) -> None: ...


class NotReady(Exception):
    """A backend that answers but cannot be used: ``reason`` is a short code fit for a public
    answer (``/readyz``), ``detail`` the sentence for the operator's log."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def check_key(key: str) -> str:
    """Reject keys that could escape the storage root or mean different things on each backend.

    Applied by both backends, even though S3 has no directories to escape, so that a key accepted
    in development is never refused in production (or the other way round).
    """
    if not key or "\\" in key or "\x00" in key or key.startswith("/"):
        raise ValueError(f"invalid storage key {key!r}")
    if any(part in ("", ".", "..") for part in key.split("/")):
        raise ValueError(f"invalid storage key {key!r}")
    return key


async def drain(chunks: AsyncIterator[bytes], sink: IO[bytes], *, max_bytes: int) -> int:
    """Copy ``chunks`` into ``sink`` off the event loop, failing the moment the total passes
    ``max_bytes`` so that an oversized upload is neither buffered nor read to its end."""
    total = 0
    pending: list[bytes] = []
    pending_size = 0
    async for chunk in chunks:
        total += len(chunk)
        if total > max_bytes:
            raise UploadTooLarge(max_bytes)
        pending.append(chunk)
        pending_size += len(chunk)
        if pending_size >= _WRITE_BATCH:
            await asyncio.to_thread(sink.write, b"".join(pending))
            pending.clear()
            pending_size = 0
    if pending:
        await asyncio.to_thread(sink.write, b"".join(pending))
    return total


class LocalStorage:
    """Files under a folder, for the embedded default and the test suite's fast path.

    Every write goes to a temporary file beside its target and is renamed into place, so readers
    see either the old object or the new one, never a half-written file. The content type is not
    kept: callers record it with the file's row, and ``presigned_url`` returning None tells them to
    serve the bytes themselves.
    """

    def __init__(self, root: Path) -> None:
        self._root = root

    def _path(self, key: str) -> Path:
        return self._root / check_key(key)

    async def put_stream(
        self, key: str, chunks: AsyncIterator[bytes], *, content_type: str, max_bytes: int
    ) -> int:
        target = self._path(key)
        sink, temp = await asyncio.to_thread(self._open_temp, target)
        try:
            with sink:
                size = await drain(chunks, sink, max_bytes=max_bytes)
                await asyncio.to_thread(_flush_to_disk, sink)
            await asyncio.to_thread(os.replace, temp, target)
        except BaseException:
            # Cancellation included, hence no await here: an interrupted upload must not leave a
            # stray temp file, and one unlink is too quick to be worth a thread.
            temp.unlink(missing_ok=True)
            raise
        return size

    async def put_bytes(self, key: str, data: bytes, *, content_type: str) -> None:
        await asyncio.to_thread(self._write_atomically, self._path(key), data)

    async def get_bytes(self, key: str) -> bytes:
        return await asyncio.to_thread(self._read, self._path(key), key)

    async def open_stream(self, key: str) -> AsyncIterator[bytes]:
        path = self._path(key)
        handle = await asyncio.to_thread(self._open_for_reading, path, key)
        try:
            while chunk := await asyncio.to_thread(handle.read, CHUNK_SIZE):
                yield chunk
        finally:
            handle.close()

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def list_keys(self, prefix: str, *, limit: int = 1000) -> list[str]:
        return await asyncio.to_thread(self._list, prefix, limit)

    async def presigned_url(
        self, key: str, *, expires_in: int = 300, content_disposition: str | None = None
    ) -> str | None:
        check_key(key)
        return None

    async def ping(self) -> None:
        await asyncio.to_thread(self._check_root)

    async def ensure(self) -> str:
        await asyncio.to_thread(self._check_root)
        return f"storage folder {self._root.resolve()} is ready"

    async def close(self) -> None:
        return None

    def _open_temp(self, target: Path) -> tuple[IO[bytes], Path]:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".part")
        return os.fdopen(fd, "wb"), Path(name)

    def _write_atomically(self, target: Path, data: bytes) -> None:
        sink, temp = self._open_temp(target)
        try:
            with sink:
                sink.write(data)
                _flush_to_disk(sink)
            os.replace(temp, target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise

    @staticmethod
    def _read(path: Path, key: str) -> bytes:
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise KeyError(key) from None

    @staticmethod
    def _open_for_reading(path: Path, key: str) -> IO[bytes]:
        try:
            return path.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise KeyError(key) from None

    def _list(self, prefix: str, limit: int) -> list[str]:
        folder = self._path(prefix.rstrip("/")) if prefix.strip("/") else self._root
        if not folder.is_dir():
            return []
        keys = sorted(
            path.relative_to(self._root).as_posix()
            for path in folder.rglob("*")
            if path.is_file() and not path.name.startswith(".tmp-")
        )
        return [key for key in keys if key.startswith(prefix)][:limit]

    def _check_root(self) -> None:
        self._root.mkdir(parents=True, exist_ok=True)
        if not os.access(self._root, os.W_OK | os.X_OK):
            raise NotReady("not_writable", f"storage folder {self._root} is not writable")


def _flush_to_disk(sink: IO[bytes]) -> None:
    """Make the bytes durable before the rename publishes them, or a crash could publish an
    empty file under the final name."""
    sink.flush()
    os.fsync(sink.fileno())


async def open_read_ahead(storage: Storage, key: str) -> AsyncIterator[bytes]:
    """The object's bytes with the first chunk read already, so that a missing object raises
    ``KeyError`` here, before a response has started, rather than in the middle of one."""
    stream = storage.open_stream(key)
    try:
        first = await anext(stream)
    except StopAsyncIteration:
        first = b""
    return _chain(first, stream)


async def _chain(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if first:
        yield first
    async for chunk in rest:
        yield chunk


def create_storage(settings: Settings) -> Storage:
    """Build the storage the settings ask for; network checks are left to ``ping``."""
    if settings.storage_backend is StorageBackend.s3:
        if not settings.aws_s3_bucket_name:
            raise ValueError("S3 storage needs AWS_S3_BUCKET_NAME")
        # Imported here: boto3 takes a while to load, and only this adapter needs it.
        from bca.backends.s3 import S3Storage

        return S3Storage(
            settings.aws_s3_bucket_name,
            settings.aws_region,
            settings.aws_endpoint_url,
            settings.aws_access_key_id,
            settings.aws_secret_access_key,
        )
    return LocalStorage(settings.resolved_storage_path)
