"""Reading a scanned card in the background (``scans.read_card``).

The scan stack (OpenCV, NumPy, Tesseract: ``bca.scans.reading``) is imported by the first read,
not with this module: every process assembles the domains' tasks, and the CLI's commands
(``bca admin ...``) must not pay seconds for a stack they never use.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from bca.backends import Backends
from bca.core.time import utcnow
from bca.scans import repository
from bca.scans.parsing import Line, parse

logger = logging.getLogger(__name__)

READERS = 2
"""Reading takes a core for seconds: at most this many at once per process."""

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _readers() -> ThreadPoolExecutor:
    """The process's own bounded pool of readers, made at first use (after a worker forks).

    Reads queue here, not in the default executor that storage and every ``to_thread`` use:
    a burst of scans waits for these threads and never takes a thread that a file download
    needs (a waiting read used to hold a default-pool thread while it waited for its turn).
    Shared by whichever event loop enqueued the read, so the bound holds per process.
    """
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="bca-scan")
        return _executor


async def _read(data: bytes, limit: float) -> list[Line]:
    """Read in the readers' pool; the time limit counts from the read's start, not from its
    place in the queue (a burst must not fail scans that only waited)."""
    from bca.scans.reading import read_card

    loop = asyncio.get_running_loop()
    started = asyncio.Event()

    def run() -> list[Line]:
        loop.call_soon_threadsafe(started.set)
        return read_card(data, timeout=limit)

    future = loop.run_in_executor(_readers(), run)
    # ``run`` signals its start before anything else (callbacks from the thread keep their
    # order), so this wait ends before the future's result arrives.
    await started.wait()
    return await asyncio.wait_for(future, timeout=limit * 2)


async def _finish(
    backends: Backends,
    scan_id: uuid.UUID,
    *,
    failure: str | None = None,
    fields: dict[str, object] | None = None,
    raw_text: str | None = None,
) -> None:
    async with backends.database.transaction() as session:
        await repository.finish(
            session,
            scan_id,
            status="failed" if failure else "done",
            failure=failure,
            fields=fields,
            raw_text=raw_text,
            finished_at=utcnow(),
        )


async def read_scan(backends: Backends, *, scan_id: str) -> None:
    """OCR the scan's image and store the proposal; a finished scan is left alone.

    The time limit (``BCA_SCAN_TIME_LIMIT_SECONDS``) bounds the Tesseract run (the program is
    killed) and the whole read. A storage or database hiccup raises, and the task is retried;
    a problem with the image itself ends the scan as failed.
    """
    key = uuid.UUID(scan_id)
    async with backends.database.transaction() as session:
        found = await repository.pending_with_object(session, key)
    if found is None:
        return
    scan, storage_key = found
    region = scan.region
    try:
        data = await backends.storage.get_bytes(storage_key)
    except KeyError:
        await _finish(backends, key, failure="The scanned image is no longer stored.")
        return
    import pytesseract

    from bca.scans.reading import UnreadableImage

    limit = backends.settings.scan_time_limit_seconds
    try:
        lines = await _read(data, limit)
    except UnreadableImage as problem:
        await _finish(backends, key, failure=str(problem))
        return
    except (TimeoutError, RuntimeError):
        # pytesseract raises RuntimeError when it kills a Tesseract run past its timeout.
        await _finish(backends, key, failure=f"Reading the card took longer than {limit:g} s.")
        return
    except pytesseract.TesseractNotFoundError:
        # A server without Debian's tesseract-ocr (e.g. `make run` on a bare machine): retrying
        # cannot help, and the person waiting should learn it instead of waiting forever.
        logger.error("tesseract is not installed: scan %s cannot be read", scan_id)
        await _finish(backends, key, failure="Card reading is not available on this server.")
        return
    except pytesseract.TesseractError as problem:
        logger.warning("tesseract could not read scan %s: %s", scan_id, problem)
        await _finish(backends, key, failure="The image could not be read as a card.")
        return
    raw_text = "\n".join(line.text for line in lines)
    if not raw_text.strip():
        await _finish(backends, key, failure="No text was found on the image.")
        return
    proposal = parse(lines, region=region)
    await _finish(backends, key, fields=proposal.as_json(), raw_text=raw_text)


STALLED_MINUTES = 30
"""A scan still pending this long after it was made has lost its read: the worker or serving
process died with it, or its task was dropped. Far beyond a read's own limit (twice
``BCA_SCAN_TIME_LIMIT_SECONDS``) and a busy queue's wait."""


async def fail_stalled(backends: Backends) -> None:
    """Periodic: end scans whose read was lost as failed, so that nobody waits forever."""
    now = utcnow()
    async with backends.database.transaction() as session:
        failed = await repository.fail_stalled(
            session,
            made_before=now - timedelta(minutes=STALLED_MINUTES),
            failure="Reading the card did not finish; scan it again.",
            finished_at=now,
        )
    if failed:
        logger.warning("%d scans were never read; they ended as failed", failed)
