"""What an image may cost to decode (issue 22, item 8).

- A large-dimension image of a few kilobytes is refused from its header (413 ``too_large``)
  and never decoded: a 38-megapixel WebP of 68 KB used to cost half a gigabyte.
- Images are decoded and encoded again in a pool of their own, never in the default
  executor that other people's file reads and writes use.
"""

from __future__ import annotations

import io
import threading
from typing import Any

import pytest
from PIL import Image, ImageFile

from bca.files import images
from bca.files.images import MAX_IMAGE_PIXELS
from tests.factories.accounts import Api
from tests.factories.cards import first_profile_id, image_bytes, multipart


@pytest.fixture(scope="module")
def wide_webp() -> bytes:
    """6500 x 5800 (37.7 megapixels) of one grey: under 2 KB as a file."""
    out = io.BytesIO()
    Image.new("L", (6500, 5800)).save(out, "WEBP", lossless=True)
    return out.getvalue()


async def test_a_tiny_file_of_many_pixels_is_refused_before_it_is_decoded(
    api: Api, wide_webp: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert len(wide_webp) < 8 * 1024
    assert MAX_IMAGE_PIXELS < 6500 * 5800
    decoded: list[tuple[int, int]] = []
    load = ImageFile.ImageFile.load

    def counting_load(self: ImageFile.ImageFile) -> Any:
        decoded.append(self.size)
        return load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", counting_load)
    user = await api.user()
    me = await first_profile_id(api, user)
    for method, url in (("POST", "/v1/files"), ("PUT", f"/v1/profiles/{me}/image")):
        response = await api.client.request(
            method, url, files=multipart(wide_webp, "wide.webp", "image/webp"), headers=user.headers
        )
        assert response.status_code == 413, response.text
        assert response.json()["code"] == "too_large"
        assert f"{MAX_IMAGE_PIXELS} pixels" in response.json()["detail"]
    assert (6500, 5800) not in decoded


async def test_images_are_reencoded_in_their_own_pool(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    encode = images._encode

    def recording(image: Image.Image, pillow_format: str, *, animated: bool) -> bytes:
        threads.append(threading.current_thread().name)
        return encode(image, pillow_format, animated=animated)

    monkeypatch.setattr(images, "_encode", recording)
    user = await api.user()
    response = await api.client.post(
        "/v1/files", files=multipart(image_bytes(), "photo.png"), headers=user.headers
    )
    assert response.status_code == 201, response.text
    assert threads
    assert all(name.startswith("bca-image") for name in threads), threads
