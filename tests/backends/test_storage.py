"""Both storage backends must behave identically: every test runs against a local folder and
against S3 (a real moto server), and inspects what each backend actually holds afterwards."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bca.backends.s3 import S3Storage
from bca.backends.storage import (
    CHUNK_SIZE,
    LocalStorage,
    UploadTooLarge,
    create_storage,
)
from bca.settings import Settings
from tests.fixtures.moto import (
    MOTO_ACCESS_KEY_ID,
    MOTO_REGION,
    MOTO_SECRET_ACCESS_KEY,
    create_bucket,
    moto_client,
)

KEY = "files/ab/cd/0b7f6a8e-2d1c-4f7e-9a51-3c2d8e4f6a10"
MiB = 1024 * 1024


@dataclass
class Backend:
    kind: str
    storage: LocalStorage | S3Storage
    # Everything the backend holds, temporary files included: "nothing left behind" means [].
    held: Callable[[], list[str]]


@pytest.fixture(params=["local", "s3"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    storage: LocalStorage | S3Storage
    if request.param == "local":
        root = tmp_path / "storage"
        storage = LocalStorage(root)

        def held() -> list[str]:
            files = root.rglob("*") if root.exists() else []
            return sorted(path.relative_to(root).as_posix() for path in files if path.is_file())

    else:
        endpoint: str = request.getfixturevalue("moto_endpoint")
        bucket = create_bucket(endpoint)
        storage = _s3(endpoint, bucket)
        client = moto_client(endpoint, "s3")

        def held() -> list[str]:
            listing = client.list_objects_v2(Bucket=bucket).get("Contents", [])
            return sorted(entry["Key"] for entry in listing)

    yield Backend(request.param, storage, held)
    await storage.close()


def _s3(endpoint: str, bucket: str) -> S3Storage:
    return S3Storage(bucket, MOTO_REGION, endpoint, MOTO_ACCESS_KEY_ID, MOTO_SECRET_ACCESS_KEY)


def _payload(size: int) -> bytes:
    return random.Random(size).randbytes(size)


async def _chunks(data: bytes, size: int, pulled: list[int] | None = None) -> AsyncIterator[bytes]:
    """Yields ``data`` in ``size`` pieces; ``pulled`` counts how many the consumer asked for."""
    for start in range(0, len(data), size):
        if pulled is not None:
            pulled.append(start)
        yield data[start : start + size]


@pytest.mark.parametrize(
    "size",
    [0, 1, 200_000, 3 * MiB, 9 * MiB],
    ids=["empty", "one-byte", "small", "past-spool-memory", "multipart"],
)
async def test_put_stream_round_trip(backend: Backend, size: int) -> None:
    data = _payload(size)

    stored = await backend.storage.put_stream(
        KEY, _chunks(data, 50_000), content_type="application/octet-stream", max_bytes=10 * MiB
    )

    assert stored == size
    assert await backend.storage.get_bytes(KEY) == data
    assert await backend.storage.exists(KEY)
    assert backend.held() == [KEY]


async def test_open_stream_yields_bounded_chunks(backend: Backend) -> None:
    data = _payload(3 * CHUNK_SIZE + 17)
    await backend.storage.put_bytes(KEY, data, content_type="image/png")

    pieces = [piece async for piece in backend.storage.open_stream(KEY)]

    assert b"".join(pieces) == data
    assert all(0 < len(piece) <= CHUNK_SIZE for piece in pieces)


async def test_put_stream_accepts_exactly_max_bytes(backend: Backend) -> None:
    data = _payload(100_000)

    stored = await backend.storage.put_stream(
        KEY, _chunks(data, 7_000), content_type="image/jpeg", max_bytes=len(data)
    )

    assert stored == len(data)
    assert await backend.storage.get_bytes(KEY) == data


async def test_oversized_stream_is_refused_early_and_leaves_nothing(backend: Backend) -> None:
    pulled: list[int] = []

    with pytest.raises(UploadTooLarge) as refused:
        await backend.storage.put_stream(
            KEY,
            _chunks(_payload(3 * MiB), 10_000, pulled),
            content_type="image/jpeg",
            max_bytes=100_000,
        )

    assert refused.value.max_bytes == 100_000
    # The limit is enforced while streaming: the rest of the body is never read.
    assert len(pulled) == 11
    assert not await backend.storage.exists(KEY)
    assert backend.held() == []


async def test_oversized_upload_keeps_the_previous_object(backend: Backend) -> None:
    await backend.storage.put_bytes(KEY, b"previous", content_type="text/plain")

    with pytest.raises(UploadTooLarge):
        await backend.storage.put_stream(
            KEY, _chunks(_payload(50_000), 1_000), content_type="text/plain", max_bytes=10_000
        )

    assert await backend.storage.get_bytes(KEY) == b"previous"
    assert backend.held() == [KEY]


async def test_broken_source_stream_leaves_nothing(backend: Backend) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield b"x" * 300_000
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await backend.storage.put_stream(
            KEY, broken(), content_type="image/jpeg", max_bytes=10 * MiB
        )

    assert backend.held() == []


async def test_put_bytes_replaces_the_object(backend: Backend) -> None:
    await backend.storage.put_bytes(KEY, b"first", content_type="text/plain")
    await backend.storage.put_bytes(KEY, b"second", content_type="text/plain")

    assert await backend.storage.get_bytes(KEY) == b"second"
    assert backend.held() == [KEY]


async def test_missing_key(backend: Backend) -> None:
    assert not await backend.storage.exists(KEY)
    with pytest.raises(KeyError):
        await backend.storage.get_bytes(KEY)
    with pytest.raises(KeyError):
        _ = [piece async for piece in backend.storage.open_stream(KEY)]


async def test_a_key_prefix_is_not_an_object(backend: Backend) -> None:
    await backend.storage.put_bytes(KEY, b"data", content_type="text/plain")

    assert not await backend.storage.exists("files/ab")
    with pytest.raises(KeyError):
        await backend.storage.get_bytes("files/ab")


async def test_delete(backend: Backend) -> None:
    await backend.storage.put_bytes(KEY, b"data", content_type="text/plain")

    await backend.storage.delete(KEY)

    assert not await backend.storage.exists(KEY)
    with pytest.raises(KeyError):
        await backend.storage.get_bytes(KEY)
    assert backend.held() == []
    await backend.storage.delete(KEY)  # deleting what is gone is not an error


@pytest.mark.parametrize(
    "key",
    ["", "../escaped", "files/../../escaped", "/etc/passwd", "files//x", "files/x/", "./x", "a\\b"],
)
async def test_unsafe_keys_are_rejected(backend: Backend, tmp_path: Path, key: str) -> None:
    storage = backend.storage

    with pytest.raises(ValueError, match="invalid storage key"):
        await storage.put_bytes(key, b"data", content_type="text/plain")
    with pytest.raises(ValueError, match="invalid storage key"):
        await storage.put_stream(key, _chunks(b"data", 2), content_type="text/plain", max_bytes=10)
    with pytest.raises(ValueError, match="invalid storage key"):
        await storage.get_bytes(key)
    with pytest.raises(ValueError, match="invalid storage key"):
        _ = [piece async for piece in storage.open_stream(key)]
    with pytest.raises(ValueError, match="invalid storage key"):
        await storage.exists(key)
    with pytest.raises(ValueError, match="invalid storage key"):
        await storage.delete(key)
    with pytest.raises(ValueError, match="invalid storage key"):
        await storage.presigned_url(key)

    assert backend.held() == []
    assert not (tmp_path / "escaped").exists()


async def test_presigned_url(backend: Backend) -> None:
    data = _payload(70_000)
    await backend.storage.put_bytes(KEY, data, content_type="image/png")

    url = await backend.storage.presigned_url(KEY, expires_in=60)

    if backend.kind == "local":
        assert url is None  # the API streams local files itself
        return
    assert url is not None
    assert "X-Amz-Signature=" in url
    assert "X-Amz-Expires=60" in url
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "image/png"


async def test_ping(backend: Backend) -> None:
    await backend.storage.ping()


async def test_ping_fails_when_the_store_is_unusable(backend: Backend, tmp_path: Path) -> None:
    broken: LocalStorage | S3Storage
    if backend.kind == "local":
        not_a_folder = tmp_path / "not-a-folder"
        not_a_folder.write_text("a file where the storage folder should be")
        broken = LocalStorage(not_a_folder)
    else:
        assert isinstance(backend.storage, S3Storage)
        broken = _s3(backend.storage._client.meta.endpoint_url, "bca-test-no-such-bucket")

    with pytest.raises(Exception):  # noqa: B017, PT011 - each backend raises its own error type
        await broken.ping()
    await broken.close()


async def test_create_storage_local(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, storage="local", storage_path=tmp_path / "files")

    storage = create_storage(settings)

    assert isinstance(storage, LocalStorage)
    await storage.put_bytes(KEY, b"data", content_type="text/plain")
    assert (tmp_path / "files" / KEY).read_bytes() == b"data"


async def test_create_storage_s3_from_the_original_variable_names(moto_endpoint: str) -> None:
    bucket = create_bucket(moto_endpoint)
    settings = Settings(
        _env_file=None,
        AWS_S3_BUCKET_NAME=bucket,
        AWS_ENDPOINT_URL=moto_endpoint,
        AWS_REGION=MOTO_REGION,
        AWS_ACCESS_KEY_ID=MOTO_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY=MOTO_SECRET_ACCESS_KEY,
    )

    storage = create_storage(settings)

    assert isinstance(storage, S3Storage)
    await storage.ping()
    await storage.put_bytes(KEY, b"data", content_type="text/plain")
    assert moto_client(moto_endpoint, "s3").get_object(Bucket=bucket, Key=KEY)["Body"].read() == (
        b"data"
    )
    await storage.close()
