"""Re-encoding uploaded images: decoded under a pixel budget (per upload, and per process in
the image pool) and encoded afresh in the same format, so that EXIF and anything appended to
the image are dropped before it is stored."""

from __future__ import annotations

import asyncio
import contextlib
import io
import threading
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from PIL import GifImagePlugin, Image, ImageOps, ImageSequence

from bca.core.errors import AppError
from bca.files.errors import (
    AnimationTooLarge,
    ImageTooLarge,
    InvalidImage,
)
from bca.files.kinds import Kind

MAX_IMAGE_PIXELS = 25_000_000
"""Pixels (width x height x frames) one upload may decode to, read from its header before any
pixel is: a file of a few kilobytes can otherwise inflate to hundreds of megabytes (a 38-
megapixel WebP of 68 KB took half a gigabyte to re-encode). 25 megapixels holds a 24-megapixel
camera's photo (6000 x 4000). Pillow's own bomb check uses the same figure."""

MAX_DECODING_PIXELS = 40_000_000
"""Pixels being decoded at once in one process, all uploads together (about 160 MB of RGBA):
an upload whose pixels do not fit waits in the image pool until earlier ones are done."""

IMAGE_WORKERS = 2
"""Threads of the image pool: decoding and encoding take a core each."""

Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS


class _PixelBudget:
    """The pixels being decoded in this process, bounded by ``MAX_DECODING_PIXELS``: a
    thread-side limit, since decoding runs in the image pool and must not be tied to one
    event loop. One image larger than what is free waits until it is alone."""

    def __init__(self, total: int) -> None:
        self._total = total
        self._used = 0
        self._changed = threading.Condition()

    @contextlib.contextmanager
    def hold(self, pixels: int) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: self._used == 0 or self._used + pixels <= self._total)
            self._used += pixels
        try:
            yield
        finally:
            with self._changed:
                self._used -= pixels
                self._changed.notify_all()


_DECODING = _PixelBudget(MAX_DECODING_PIXELS)
_image_pool: ThreadPoolExecutor | None = None
_image_pool_lock = threading.Lock()


def _images() -> ThreadPoolExecutor:
    """The process's own pool for decoding and encoding images, made at first use.

    Not the default executor that storage and every ``to_thread`` use: a burst of large
    images queues here and never takes the threads that other people's file reads and writes
    need (waiting decodes used to hold default-pool threads).
    """
    global _image_pool
    with _image_pool_lock:
        if _image_pool is None:
            _image_pool = ThreadPoolExecutor(
                max_workers=IMAGE_WORKERS, thread_name_prefix="bca-image"
            )
        return _image_pool


async def reencode_in_pool(data: bytes, kind: Kind, limits: ImageLimits | None = None) -> bytes:
    """``reencode_image`` in the image pool."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_images(), reencode_image, data, kind, limits)


@dataclass(frozen=True)
class ImageLimits:
    """What one image may cost to decode and encode again."""

    max_frames: int = 500
    max_animation_pixels: int = 10_000_000


def reencode_image(data: bytes, kind: Kind, limits: ImageLimits | None = None) -> bytes:
    """Decode under the pixel and frame budgets and encode afresh, in the same format.

    What is written is only what Pillow decoded: EXIF (GPS position, camera serial), text
    chunks and anything appended after the image are gone. The EXIF orientation is applied
    to the pixels first, so photos stay upright without it. The budgets are checked from the
    headers and frame count, before any pixel is decoded. Whatever else Pillow cannot decode
    or encode (a truncated file, a frame duration the format cannot hold) is the file's
    fault, never the server's: a 422.
    """
    assert kind.pillow_format is not None
    limits = limits or ImageLimits()
    with warnings.catch_warnings():
        # The explicit pixel check below is the real guard; this turns Pillow's own warning
        # (raised from its open() for anything it finds over the limit) into a refusal too.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[kind.pillow_format]) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise ImageTooLarge(MAX_IMAGE_PIXELS)
                if _has_more_frames_than(image, limits.max_frames):
                    raise AnimationTooLarge(f"more than {limits.max_frames} frames")
                frames = getattr(image, "n_frames", 1)
                if width * height * frames > MAX_IMAGE_PIXELS:
                    raise ImageTooLarge(MAX_IMAGE_PIXELS)
                if frames > 1 and width * height * frames > limits.max_animation_pixels:
                    raise AnimationTooLarge(
                        f"more than {limits.max_animation_pixels} pixels in all frames"
                    )
                # One frame is decoded at a time; what is held is the frame and its copy.
                with _DECODING.hold(width * height):
                    return _encode(image, kind.pillow_format, animated=frames > 1)
        except AppError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageTooLarge(MAX_IMAGE_PIXELS) from None
        except Exception:  # Pillow raises anything, from OSError to OverflowError
            raise InvalidImage() from None


def _has_more_frames_than(image: Image.Image, limit: int) -> bool:
    """Whether an animation has more than ``limit`` frames, counting no further than that.

    A GIF states no frame count: Pillow's ``n_frames`` walks every frame's blocks (15 µs
    each, so seconds for the 400,000 frames a 10 MiB file can hold). WebP and APNG state
    theirs in a header.
    """
    if not isinstance(image, GifImagePlugin.GifImageFile):
        return bool(getattr(image, "n_frames", 1) > limit)
    try:
        for index in range(1, limit + 1):
            # Walks the blocks without decoding pixels (what n_frames does, but stoppable).
            image._seek(index, update_image=False)
    except EOFError:
        return False
    finally:
        image.seek(0)
    return True


def _encode(image: Image.Image, pillow_format: str, *, animated: bool) -> bytes:
    out = io.BytesIO()
    icc = image.info.get("icc_profile")
    extra = {"icc_profile": icc} if icc else {}
    if animated:
        frames = [frame.copy() for frame in ImageSequence.Iterator(image)]
        durations = image.info.get("duration", 100)
        frames[0].save(
            out,
            pillow_format,
            save_all=True,
            append_images=frames[1:],
            loop=image.info.get("loop", 0),
            duration=durations,
            **extra,
        )
        return out.getvalue()
    image.load()
    upright = ImageOps.exif_transpose(image)
    if pillow_format == "JPEG":
        if upright.mode not in ("L", "RGB", "CMYK"):
            upright = upright.convert("RGB")
        upright.save(out, "JPEG", quality=90, **extra)
    elif pillow_format == "PNG":
        if upright.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
            upright = upright.convert("RGBA")
        upright.save(out, "PNG", **extra)
    elif pillow_format == "GIF":
        upright.save(out, "GIF")
    else:
        upright.save(out, pillow_format, quality=90, **extra)
    return out.getvalue()
