"""Object storage: a local folder (embedded default) or S3 (and S3-compatible stores).

Both implementations accept the same keys (``files/ab/cd/<uuid>``), enforce the same upload size
rule while the bytes are still arriving, and report a missing object the same way (``KeyError``),
so that a key or a limit that works on a laptop behaves identically in production.

Longer than most modules (~420 lines) on purpose: the port and both adapters side by side, as
every module of ``bca.backends`` keeps them, so that what the two must do alike reads in one
place.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Any, Protocol

import boto3  # type: ignore[import-untyped, unused-ignore]  # boto3 ships no type hints
from botocore.config import Config  # type: ignore[import-untyped, unused-ignore]  # nor botocore
from botocore.exceptions import ClientError  # type: ignore[import-untyped, unused-ignore]

from bca.settings import Settings, StorageBackend

CHUNK_SIZE = 64 * 1024
"""Size of the pieces ``open_stream`` yields: large enough to amortise a thread hop per read,
small enough that many concurrent downloads stay cheap in memory."""

_WRITE_BATCH = 256 * 1024
"""Incoming chunks are gathered up to this size before each write, so that a client sending tiny
chunks does not cost one thread hop per chunk."""

_SPOOL_IN_MEMORY = 1024 * 1024
"""S3 uploads are staged in memory up to this size, on a temporary file beyond it."""

_MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})


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


async def _drain(chunks: AsyncIterator[bytes], sink: IO[bytes], *, max_bytes: int) -> int:
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
                size = await _drain(chunks, sink, max_bytes=max_bytes)
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

    def _check_root(self) -> None:
        self._root.mkdir(parents=True, exist_ok=True)
        if not os.access(self._root, os.W_OK | os.X_OK):
            raise NotReady("not_writable", f"storage folder {self._root} is not writable")


def _flush_to_disk(sink: IO[bytes]) -> None:
    """Make the bytes durable before the rename publishes them, or a crash could publish an
    empty file under the final name."""
    sink.flush()
    os.fsync(sink.fileno())


class S3Storage:
    """Objects in an S3 bucket; ``endpoint_url`` points at any S3-compatible store.

    boto3 is synchronous, so every call runs in a worker thread; one client is shared by all of
    them, which boto3 supports. The bucket is expected to exist: start-up never creates it;
    ``bca storage init`` does (``ensure``), and ``/readyz`` says when it is missing.
    """

    def __init__(
        self,
        bucket: str,
        region: str,
        endpoint_url: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ) -> None:
        # S3-compatible stores rarely support virtual-host buckets on a custom endpoint.
        addressing = {"addressing_style": "path"} if endpoint_url else None
        config = Config(signature_version="s3v4", s3=addressing)
        # A private session: boto3's default one is not safe to create clients from concurrently.
        session = boto3.session.Session()
        self._bucket = bucket
        self._client: Any = session.client(
            "s3",
            region_name=region,
            endpoint_url=endpoint_url,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=config,
        )

    async def put_stream(
        self, key: str, chunks: AsyncIterator[bytes], *, content_type: str, max_bytes: int
    ) -> int:
        check_key(key)
        # Spooling (instead of streaming straight into a multipart upload) keeps an oversized or
        # aborted upload from ever reaching the bucket, and lets boto3 pick single or multipart.
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as spool:
            size = await _drain(chunks, spool, max_bytes=max_bytes)
            await asyncio.to_thread(self._upload, spool, key, content_type)
        return size

    async def put_bytes(self, key: str, data: bytes, *, content_type: str) -> None:
        check_key(key)
        await asyncio.to_thread(
            self._client.put_object,
            Bucket=self._bucket,
            Key=key,
            Body=data,
            ContentType=content_type,
        )

    async def get_bytes(self, key: str) -> bytes:
        check_key(key)
        return await asyncio.to_thread(self._read, key)

    async def open_stream(self, key: str) -> AsyncIterator[bytes]:
        check_key(key)
        body = await asyncio.to_thread(self._open_body, key)
        try:
            while chunk := await asyncio.to_thread(body.read, CHUNK_SIZE):
                yield bytes(chunk)
        finally:
            body.close()

    async def exists(self, key: str) -> bool:
        check_key(key)
        try:
            await asyncio.to_thread(self._client.head_object, Bucket=self._bucket, Key=key)
        except ClientError as error:
            if _is_missing(error):
                return False
            raise
        return True

    async def delete(self, key: str) -> None:
        check_key(key)
        # S3 answers a delete of a missing key with success already.
        await asyncio.to_thread(self._client.delete_object, Bucket=self._bucket, Key=key)

    async def presigned_url(
        self, key: str, *, expires_in: int = 300, content_disposition: str | None = None
    ) -> str:
        check_key(key)
        params = {"Bucket": self._bucket, "Key": key}
        if content_disposition is not None:
            params["ResponseContentDisposition"] = content_disposition
        # Signing is local, but resolving credentials may reach an instance metadata service.
        url = await asyncio.to_thread(
            self._client.generate_presigned_url, "get_object", Params=params, ExpiresIn=expires_in
        )
        return str(url)

    async def ping(self) -> None:
        try:
            await asyncio.to_thread(self._client.head_bucket, Bucket=self._bucket)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in ("404", "NoSuchBucket", "NotFound"):
                raise NotReady(
                    "bucket_missing",
                    f"S3 bucket {self._bucket!r} does not exist: create it with "
                    "`bca storage init` (or in the provider's console)",
                ) from error
            if code in ("403", "AccessDenied", "Forbidden"):
                raise NotReady(
                    "access_denied",
                    f"S3 bucket {self._bucket!r}: access denied to these credentials",
                ) from error
            raise

    async def ensure(self) -> str:
        try:
            await self.ping()
        except NotReady as problem:
            if problem.reason != "bucket_missing":
                raise
        else:
            return f"S3 bucket {self._bucket!r} exists already"
        region = self._client.meta.region_name
        # us-east-1 is S3's default location and must not be named (InvalidLocationConstraint).
        options: dict[str, Any] = (
            {}
            if region in (None, "us-east-1")
            else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        )
        await asyncio.to_thread(self._client.create_bucket, Bucket=self._bucket, **options)
        return f"S3 bucket {self._bucket!r} created"

    async def close(self) -> None:
        await asyncio.to_thread(self._client.close)

    def _upload(self, spool: IO[bytes], key: str, content_type: str) -> None:
        spool.seek(0)
        self._client.upload_fileobj(
            spool, self._bucket, key, ExtraArgs={"ContentType": content_type}
        )

    def _open_body(self, key: str) -> Any:
        try:
            return self._client.get_object(Bucket=self._bucket, Key=key)["Body"]
        except ClientError as error:
            if _is_missing(error):
                raise KeyError(key) from None
            raise

    def _read(self, key: str) -> bytes:
        with contextlib.closing(self._open_body(key)) as body:
            return bytes(body.read())


def _is_missing(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in _MISSING_CODES


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
        return S3Storage(
            settings.aws_s3_bucket_name,
            settings.aws_region,
            settings.aws_endpoint_url,
            settings.aws_access_key_id,
            settings.aws_secret_access_key,
        )
    return LocalStorage(settings.resolved_storage_path)
