"""Factories and helpers for the profiles, relations, cards, wallet and files tests.

Everything is built through the HTTP API, as a client would; only the "nothing was stored"
checks look at the database and the storage directly.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from sqlalchemy import func, select

from bca.backends import Backends
from bca.backends.s3 import S3Storage
from bca.backends.storage import LocalStorage
from bca.files.models import StoredFile
from tests.factories.accounts import Api, TestUser
from tests.fixtures.moto import moto_client

FULL_PROFILE_FIELDS = {
    "id",
    "name",
    "team_name",
    "description",
    "email",
    "phone",
    "address",
    "sns",
    "data",
    "image_url",
    "private",
    "version",
    "created_at",
    "updated_at",
    "mine",
    "message_requests",
}
"""What the owner, and anyone who may see a profile in full, gets (``message_requests``: null
but for the owner)."""
SUMMARY_PROFILE_FIELDS = {"id", "name", "image_url", "private"}
"""What others get of a private profile they may not see in full."""


async def first_profile_id(api: Api, user: TestUser) -> str:
    """The profile signup created; cached on the user."""
    if not user.profile_id:
        response = await api.client.get("/v1/profiles", headers=user.headers)
        assert response.status_code == 200, response.text
        user.profile_id = response.json()["items"][0]["id"]
    return user.profile_id


async def create_profile(api: Api, user: TestUser, **fields: Any) -> dict[str, Any]:
    body = {"name": api.unique("Profile ")} | fields
    response = await api.client.post("/v1/profiles", json=body, headers=user.headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def create_card(
    api: Api, user: TestUser, profile_id: str | None = None, **fields: Any
) -> dict[str, Any]:
    profile_id = profile_id or await first_profile_id(api, user)
    body = {"name": api.unique("Card ")} | fields
    response = await api.client.post(
        f"/v1/profiles/{profile_id}/cards", json=body, headers=user.headers
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def relate(api: Api, user: TestUser, me: str, target: str, status: str) -> httpx.Response:
    return await api.client.put(
        f"/v1/profiles/{me}/relations/{target}", json={"status": status}, headers=user.headers
    )


async def share(api: Api, user: TestUser, card_id: str) -> dict[str, Any]:
    response = await api.client.post(f"/v1/cards/{card_id}/share", headers=user.headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (8, 8), **save: Any) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def camera_exif(model: str) -> bytes:
    """EXIF naming a camera model, as phones write it (and as uploads must not keep it)."""
    exif = Image.Exif()
    exif[0x0110] = model
    exif[0x0112] = 1  # orientation: upright
    return exif.tobytes()


def multipart(
    content: bytes, filename: str = "upload.png", content_type: str = "image/png"
) -> dict[str, Any]:
    return {"file": (filename, content, content_type)}


async def file_rows(backends: Backends) -> int:
    async with backends.database.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(StoredFile)) or 0)


async def stored_objects(backends: Backends) -> list[str]:
    """Every object in storage (local folder or S3 bucket), temporary files included."""
    storage = backends.storage
    if isinstance(storage, LocalStorage):
        root = Path(backends.settings.resolved_storage_path)
        if not root.exists():
            return []
        return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())
    assert isinstance(storage, S3Storage)
    assert backends.settings.aws_endpoint_url is not None
    client = moto_client(backends.settings.aws_endpoint_url, "s3")
    listing = client.list_objects_v2(Bucket=backends.settings.aws_s3_bucket_name)
    return sorted(item["Key"] for item in listing.get("Contents", []))
