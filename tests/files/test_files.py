"""Files: streaming uploads with limits and content checks, downloads, visibility.

Every test runs on both storages (a local folder and a moto S3 bucket) and both database
stacks; "nothing stored" is checked in the database and in the storage itself.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from PIL import Image
from sqlalchemy import update

from bca.chat.models import Chat, ChatEvent, Participant
from bca.core.time import utcnow
from bca.settings import StorageBackend
from tests.factories.accounts import Api, TestUser
from tests.factories.cards import (
    camera_exif,
    create_card,
    create_profile,
    file_rows,
    first_profile_id,
    image_bytes,
    multipart,
    relate,
    stored_objects,
)
from tests.fixtures.moto import MOTO_ACCESS_KEY_ID, MOTO_SECRET_ACCESS_KEY, create_bucket

LIMIT = 256 * 1024


@pytest.fixture(params=["local", "s3"])
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    values: dict[str, Any] = {"max_upload_bytes": LIMIT}
    if request.param == "local":
        return values | {"storage": "local"}
    endpoint: str = request.getfixturevalue("moto_endpoint")
    return values | {
        "storage": "s3",
        "aws_s3_bucket_name": create_bucket(endpoint),
        "aws_endpoint_url": endpoint,
        "aws_access_key_id": MOTO_ACCESS_KEY_ID,
        "aws_secret_access_key": MOTO_SECRET_ACCESS_KEY,
    }


@pytest.fixture(scope="module")
def bomb_png() -> bytes:
    """64 megapixels of one colour: a few kilobytes that would decode to 64 MB and more."""
    out = io.BytesIO()
    Image.new("1", (8000, 8000)).save(out, "PNG", optimize=True)
    return out.getvalue()


async def download(api: Api, user: TestUser, url: str) -> httpx.Response:
    """Fetch a file URL like a client: follow the 307 to object storage when there is one."""
    response = await api.client.get(url.removeprefix("https://bca.test"), headers=user.headers)
    if response.status_code != 307:
        return response
    assert api.backends.settings.storage_backend is StorageBackend.s3
    assert response.headers["cache-control"] == "no-store"
    async with httpx.AsyncClient() as outside:
        return await outside.get(response.headers["location"])


async def assert_nothing_stored(api: Api) -> None:
    assert await file_rows(api.backends) == 0
    assert await stored_objects(api.backends) == []


async def test_upload_image_pdf_and_text_and_download_them(api: Api) -> None:
    user = await api.user()
    photo = image_bytes("JPEG", size=(40, 30), exif=camera_exif("SecretCam"))
    cases = [
        (photo, "photo.jpg", "image/jpeg"),
        (image_bytes("GIF"), "anim.gif", "image/gif"),
        (b"%PDF-1.4\n% a tiny document\n%%EOF\n", "doc.pdf", "application/pdf"),
        ("Grüße ✓\nplain text\n".encode(), "notes.txt", "text/plain; charset=utf-8"),
    ]
    for content, name, expected_type in cases:
        # The declared type is ignored: the content decides.
        response = await api.client.post(
            "/v1/files",
            files=multipart(content, name, "application/octet-stream"),
            headers=user.headers,
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert set(body) == {"id", "content_type", "size", "sha256", "url", "name"}
        assert body["name"] == name
        assert body["content_type"] == expected_type
        assert body["url"] == f"https://bca.test/v1/files/{body['id']}"

        fetched = await download(api, user, body["url"])
        assert fetched.status_code == 200
        assert hashlib.sha256(fetched.content).hexdigest() == body["sha256"]
        assert len(fetched.content) == body["size"]
        if expected_type.startswith("image/"):
            assert b"SecretCam" not in fetched.content
            assert Image.open(io.BytesIO(fetched.content)).format in ("JPEG", "GIF")
        else:
            assert fetched.content == content
        disposition = fetched.headers["content-disposition"]
        assert f"filename*=UTF-8''{quote(name)}" in disposition
        if api.backends.settings.storage_backend is StorageBackend.local:
            assert fetched.headers["x-content-type-options"] == "nosniff"
            assert fetched.headers["content-type"] == expected_type
            kind = "inline" if expected_type.startswith("image/") else "attachment"
            assert disposition.startswith(f"{kind}; ")

    assert await file_rows(api.backends) == 4
    keys = await stored_objects(api.backends)
    assert len(keys) == 4
    assert all(key.startswith("files/") and uuid.UUID(key.removeprefix("files/")) for key in keys)


@pytest.mark.parametrize(
    ("uploaded_as", "content", "offered_as", "ascii_fallback"),
    [
        ("Grüße aus Köln.txt", b"hello\n", "Grüße aus Köln.txt", "Grue aus Koln.txt"),
        ("写真.png", None, "写真.png", "download.png"),
        ("page.html", b"<script>alert(1)</script>\n", "page.html.txt", "page.html.txt"),
        ("plan: what? <now>.txt", b"x\n", "plan_ what_ _now_.txt", "plan_ what_ _now_.txt"),
        ("photo.JPEG", None, "photo.JPEG.png", "photo.JPEG.png"),
        ("no extension", b"text\n", "no extension.txt", "no extension.txt"),
    ],
)
async def test_downloads_carry_the_uploaded_name(
    api: Api, uploaded_as: str, content: bytes | None, offered_as: str, ascii_fallback: str
) -> None:
    """RFC 6266: the cleaned UTF-8 name in filename*, an ASCII stand-in in filename; the
    extension always matches the content (read from the bytes), whatever the name said."""
    user = await api.user()
    body = content if content is not None else image_bytes("PNG")
    uploaded = await api.client.post(
        "/v1/files", files=multipart(body, uploaded_as, "text/plain"), headers=user.headers
    )
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["name"] == offered_as
    fetched = await download(api, user, uploaded.json()["url"])
    disposition = fetched.headers["content-disposition"]
    assert disposition.endswith(
        f"filename=\"{ascii_fallback}\"; filename*=UTF-8''{quote(offered_as)}"
    )
    assert "\n" not in disposition


async def test_files_are_private_to_the_uploader(api: Api) -> None:
    owner = await api.user()
    other = await api.user()
    uploaded = (
        await api.client.post("/v1/files", files=multipart(image_bytes()), headers=owner.headers)
    ).json()
    assert (
        await api.client.get(f"/v1/files/{uploaded['id']}", headers=other.headers)
    ).status_code == 404
    assert (
        await api.client.get(f"/v1/files/{uuid.uuid4()}", headers=owner.headers)
    ).status_code == 404
    assert (await api.client.get(f"/v1/files/{uploaded['id']}")).status_code == 401


async def test_chat_participants_see_files_posted_in_their_chat(api: Api) -> None:
    poster = await api.user()
    member = await api.user()
    outsider = await api.user()
    poster_me = await first_profile_id(api, poster)
    member_me = await first_profile_id(api, member)
    uploaded = (
        await api.client.post(
            "/v1/files", files=multipart(b"meeting notes\n", "n.txt"), headers=poster.headers
        )
    ).json()

    # The chat API is another domain's; the rows are arranged directly.
    chat_id = uuid.uuid4()
    async with api.backends.database.transaction() as session:
        session.add(Chat(id=chat_id, owner_profile_id=uuid.UUID(poster_me), last_event_index=1))
        await session.flush()
        for profile_id, user in ((poster_me, poster), (member_me, member)):
            session.add(
                Participant(
                    chat_id=chat_id, profile_id=uuid.UUID(profile_id), user_id=uuid.UUID(user.id)
                )
            )
        await session.flush()
        session.add(
            ChatEvent(
                chat_id=chat_id,
                index=1,
                type="message",
                profile_id=uuid.UUID(poster_me),
                file_id=uuid.UUID(uploaded["id"]),
            )
        )

    assert (await download(api, member, uploaded["url"])).status_code == 200
    assert (
        await api.client.get(f"/v1/files/{uploaded['id']}", headers=outsider.headers)
    ).status_code == 404

    async with api.backends.database.transaction() as session:
        await session.execute(
            update(Participant)
            .where(Participant.chat_id == chat_id, Participant.profile_id == uuid.UUID(member_me))
            .values(left_at=utcnow())
        )
    assert (
        await api.client.get(f"/v1/files/{uploaded['id']}", headers=member.headers)
    ).status_code == 404


async def test_profile_images_and_card_previews_follow_their_visibility(api: Api) -> None:
    owner = await api.user()
    viewer = await api.user()
    profile = await create_profile(api, owner)
    card = await create_card(api, owner, profile["id"], private=True)
    image = (
        await api.client.put(
            f"/v1/profiles/{profile['id']}/image",
            files=multipart(image_bytes()),
            headers=owner.headers,
        )
    ).json()["image_url"]
    preview = (
        await api.client.put(
            f"/v1/cards/{card['id']}/preview",
            files=multipart(image_bytes("PNG")),
            headers=owner.headers,
        )
    ).json()["preview_url"]

    assert (await download(api, viewer, image)).status_code == 200
    # The card is private: its preview is not the viewer's to see.
    assert (await download(api, viewer, preview)).status_code == 404
    await api.client.patch(
        f"/v1/cards/{card['id']}", json={"private": False}, headers=owner.headers
    )
    assert (await download(api, viewer, preview)).status_code == 200

    viewer_me = await first_profile_id(api, viewer)
    await relate(api, owner, profile["id"], viewer_me, "block")
    assert (
        await api.client.get(image.removeprefix("https://bca.test"), headers=viewer.headers)
    ).status_code == 404
    assert (
        await api.client.get(preview.removeprefix("https://bca.test"), headers=viewer.headers)
    ).status_code == 404


async def _chunks(data: bytes, size: int, consumed: list[int]) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        consumed.append(start)
        yield data[start : start + size]


def _multipart_body(content: bytes, filename: str = "big.png") -> tuple[bytes, str]:
    request = httpx.Request("POST", "http://x/", files=multipart(content, filename))
    return request.read(), request.headers["content-type"]


async def test_oversize_upload_is_refused_while_streaming(api: Api) -> None:
    user = await api.user()
    payload = image_bytes("PNG")
    content = payload + b"\0" * (4 * LIMIT)
    body, content_type = _multipart_body(content)

    # Chunked (no Content-Length): refused once the limit is passed, not at the end.
    consumed: list[int] = []
    response = await api.client.post(
        "/v1/files",
        content=_chunks(body, 16 * 1024, consumed),
        headers={**user.headers, "Content-Type": content_type},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert len(consumed) < len(body) // (16 * 1024) // 2

    # With a Content-Length that says it all: refused before a byte of the body is read.
    consumed.clear()
    response = await api.client.post(
        "/v1/files",
        content=_chunks(body, 16 * 1024, consumed),
        headers={**user.headers, "Content-Type": content_type, "Content-Length": str(len(body))},
    )
    assert response.status_code == 413
    assert consumed == []

    # The same for a text file, which streams straight into storage.
    text_body, text_type = _multipart_body(b"a" * (LIMIT + 1), "big.txt")
    response = await api.client.post(
        "/v1/files",
        content=_chunks(text_body, 16 * 1024, []),
        headers={**user.headers, "Content-Type": text_type},
    )
    assert response.status_code == 413
    # Profile image uploads have the same limit.
    me = await first_profile_id(api, user)
    response = await api.client.put(
        f"/v1/profiles/{me}/image",
        content=body,
        headers={**user.headers, "Content-Type": content_type},
    )
    assert response.status_code == 413
    await assert_nothing_stored(api)

    exactly = await api.client.post(
        "/v1/files", files=multipart(b"b" * LIMIT, "limit.txt"), headers=user.headers
    )
    assert exactly.status_code == 201


BAD_UPLOADS = [
    ("executable named .png", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64, "cat.png", 415),
    ("zip named .jpg", b"PK\x03\x04" + b"\x00" * 64, "holiday.jpg", 415),
    ("png magic, garbage after", b"\x89PNG\r\n\x1a\n" + b"\x13" * 200, "broken.png", 422),
    ("text with NUL bytes", b"hello\x00world" * 10, "notes.txt", 415),
    ("text that is not UTF-8", b"caf\xe9 au lait, s'il vous pla\xeet", "menu.txt", 415),
    ("zero bytes", b"", "empty.png", 422),
    ("path traversal", None, "../../etc/passwd.png", 422),
    ("windows path", None, "..\\..\\boot.ini", 422),
    ("absolute path", None, "/etc/cron.d/evil.png", 422),
]


async def test_bad_uploads_are_refused_and_store_nothing(api: Api) -> None:
    user = await api.user()
    me = await first_profile_id(api, user)
    for name, content, filename, status in BAD_UPLOADS:
        body = image_bytes() if content is None else content
        for method, url in (("POST", "/v1/files"), ("PUT", f"/v1/profiles/{me}/image")):
            response = await api.client.request(
                method, url, files=multipart(body, filename, "image/png"), headers=user.headers
            )
            assert response.status_code == status, (name, url, response.text)
            assert response.headers["content-type"] == "application/problem+json"
    profile = await api.client.get(f"/v1/profiles/{me}", headers=user.headers)
    assert profile.json()["image_url"] is None
    assert profile.json()["version"] == 1
    await assert_nothing_stored(api)


async def test_decompression_bomb_is_refused(api: Api, bomb_png: bytes) -> None:
    user = await api.user()
    me = await first_profile_id(api, user)
    assert len(bomb_png) < LIMIT
    for method, url in (("POST", "/v1/files"), ("PUT", f"/v1/profiles/{me}/image")):
        response = await api.client.request(
            method, url, files=multipart(bomb_png, "small.png"), headers=user.headers
        )
        assert response.status_code == 413, response.text
        assert "pixels" in response.json()["detail"]
    await assert_nothing_stored(api)


async def test_malformed_requests_are_refused(api: Api) -> None:
    user = await api.user()
    json_body = await api.client.post("/v1/files", json={"file": "x"}, headers=user.headers)
    assert json_body.status_code == 415
    no_boundary = await api.client.post(
        "/v1/files", content=b"x", headers={**user.headers, "Content-Type": "multipart/form-data"}
    )
    assert no_boundary.status_code == 415
    wrong_field = await api.client.post(
        "/v1/files", files={"document": ("a.png", image_bytes(), "image/png")}, headers=user.headers
    )
    assert wrong_field.status_code == 422
    body, content_type = _multipart_body(image_bytes())
    truncated = await api.client.post(
        "/v1/files",
        content=body[: len(body) - 30],
        headers={**user.headers, "Content-Type": content_type},
    )
    assert truncated.status_code == 422
    two_files = await api.client.post(
        "/v1/files",
        files=[
            ("file", ("a.png", image_bytes(), "image/png")),
            ("file", ("b.png", image_bytes(), "image/png")),
        ],
        headers=user.headers,
    )
    assert two_files.status_code == 422
    pdf_as_image = await api.client.put(
        f"/v1/profiles/{await first_profile_id(api, user)}/image",
        files=multipart(b"%PDF-1.4\n%%EOF\n", "face.png"),
        headers=user.headers,
    )
    assert pdf_as_image.status_code == 415
    anonymous = await api.client.post("/v1/files", files=multipart(image_bytes()))
    assert anonymous.status_code == 401
    await assert_nothing_stored(api)


async def test_failed_database_write_removes_the_stored_object(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bca.profiles import service as profiles_service

    user = await api.user()
    me = await first_profile_id(api, user)

    async def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(profiles_service, "record_profile_change", explode)
    response = await api.client.put(
        f"/v1/profiles/{me}/image", files=multipart(image_bytes()), headers=user.headers
    )
    assert response.status_code == 500
    assert "database went away" not in response.text
    await assert_nothing_stored(api)
