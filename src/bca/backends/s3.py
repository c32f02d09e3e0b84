"""Object storage in an S3 bucket (or an S3-compatible store): the adapter of
``bca.backends.storage.Storage`` that the settings choose with ``BCA_STORAGE_BACKEND=s3``."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import AsyncIterator
from typing import IO, Any

import boto3  # type: ignore[import-untyped, unused-ignore]  # boto3 ships no type hints
from botocore.config import Config  # type: ignore[import-untyped, unused-ignore]  # nor botocore
from botocore.exceptions import ClientError  # type: ignore[import-untyped, unused-ignore]

from bca.backends.storage import CHUNK_SIZE, SPOOL_IN_MEMORY, NotReady, check_key, drain

_MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})


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
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
            size = await drain(chunks, spool, max_bytes=max_bytes)
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

    async def list_keys(self, prefix: str, *, limit: int = 1000) -> list[str]:
        answer = await asyncio.to_thread(
            self._client.list_objects_v2, Bucket=self._bucket, Prefix=prefix, MaxKeys=limit
        )
        return sorted(str(item["Key"]) for item in answer.get("Contents", []))

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
