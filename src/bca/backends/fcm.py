"""Push through Firebase Cloud Messaging (HTTP v1): the adapter of
``bca.backends.push.PushSender`` that a configured ``FIREBASE_CERTIFICATE`` chooses."""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import google.auth.exceptions
import google.auth.transport.requests
import httpx
from google.auth.credentials import TokenState
from google.oauth2 import service_account

from bca.backends.push import PushMessage, PushResult, redact

logger = logging.getLogger(__name__)

FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
MAX_RETRY_AFTER = 10.0
"""Longest ``Retry-After`` honoured: a push that late is rarely worth more than a retry later."""
QUIET: dict[str, Any] = {
    # Android: delivered when convenient (no waking the device), shown low in the shade on
    # the quiet channel the app creates for it, with no sound of its own.
    "android": {
        "priority": "normal",
        "notification": {
            "channel_id": "quiet",
            "notification_priority": "PRIORITY_LOW",
            "default_sound": False,
        },
    },
    # iOS: delivered by power considerations (priority 5), shown without sound or wake-up.
    "apns": {
        "headers": {"apns-priority": "5"},
        "payload": {"aps": {"interruption-level": "passive"}},
    },
}
"""What a quiet push (``PushMessage.quiet``) adds to the FCM message."""


class FcmPushSender:
    """Sends through FCM HTTP v1 with a service-account key file.

    The OAuth access token is fetched once and reused until google-auth considers it about to
    expire; a lock keeps concurrent sends from all refreshing it at once. ``fcm_base_url`` and
    ``token_uri`` exist so that tests (and private relays) can stand in for Google.
    """

    enabled = True

    def __init__(
        self,
        certificate_path: Path,
        *,
        fcm_base_url: str = "https://fcm.googleapis.com",
        token_uri: str | None = None,
        max_attempts: int = 4,
        retry_base_delay: float = 0.2,
        timeout: float = 10.0,
    ) -> None:
        info: dict[str, Any] = json.loads(certificate_path.read_text(encoding="utf-8"))
        if token_uri is not None:
            info["token_uri"] = token_uri
        project_id = info.get("project_id")
        if not isinstance(project_id, str) or not project_id:
            raise ValueError(f"FIREBASE_CERTIFICATE: no project_id in {certificate_path}")
        load = service_account.Credentials.from_service_account_info
        # google-auth leaves this factory unannotated.
        self._credentials: service_account.Credentials = load(info, scopes=[FCM_SCOPE])  # type: ignore[no-untyped-call]
        self._send_url = f"{fcm_base_url.rstrip('/')}/v1/projects/{project_id}/messages:send"
        self._token_transport = google.auth.transport.requests.Request()
        self._token_lock = asyncio.Lock()
        self._http = httpx.AsyncClient(timeout=timeout)
        self._max_attempts = max_attempts
        self._retry_base_delay = retry_base_delay

    async def send(self, message: PushMessage) -> PushResult:
        payload: dict[str, Any] = {
            "message": {
                "token": message.token,
                "notification": {"title": message.title, "body": message.body},
                "data": message.data,
            }
        }
        if message.quiet:
            payload["message"] |= QUIET
        device = redact(message.token)
        for attempt in range(1, self._max_attempts + 1):
            delay = self._backoff(attempt)
            try:
                access_token = await self._access_token()
                response = await self._http.post(
                    self._send_url,
                    json=payload,
                    headers={"Authorization": f"Bearer {access_token}"},
                )
            except httpx.TransportError as error:
                logger.warning("FCM unreachable for %s (attempt %d): %r", device, attempt, error)
            except google.auth.exceptions.GoogleAuthError as error:
                transient = error.retryable or isinstance(
                    error, google.auth.exceptions.TransportError
                )
                if not transient:
                    # A rejected key or grant is a configuration problem: retrying cannot help.
                    logger.error("FCM access token refused: %s", error)
                    return PushResult.failed
                logger.warning("FCM token endpoint failed (attempt %d): %s", attempt, error)
            else:
                result = _classify(response)
                if result is not None:
                    if result is PushResult.failed:
                        logger.error(
                            "FCM rejected a push to %s: %d %s",
                            device,
                            response.status_code,
                            response.text[:500],
                        )
                    return result
                if response.status_code == 401:
                    # Revoked or rotated early: drop it so that the next attempt fetches a new one.
                    self._credentials.token = None
                retry_after = _retry_after(response)
                if retry_after is not None:
                    delay = retry_after
                logger.warning(
                    "FCM answered %d for %s (attempt %d)", response.status_code, device, attempt
                )
            if attempt < self._max_attempts:
                await asyncio.sleep(delay)
        logger.error("FCM push to %s failed after %d attempts", device, self._max_attempts)
        return PushResult.failed

    async def close(self) -> None:
        await self._http.aclose()
        self._token_transport.session.close()

    async def _access_token(self) -> str:
        async with self._token_lock:
            # Not FRESH includes "expires within minutes": refresh before FCM would refuse it.
            if self._credentials.token_state is not TokenState.FRESH:
                await asyncio.to_thread(self._credentials.refresh, self._token_transport)
            return str(self._credentials.token)

    def _backoff(self, attempt: int) -> float:
        # Jitter spreads out the retries of many pushes that failed in the same FCM hiccup.
        ceiling = self._retry_base_delay * 2.0 ** (attempt - 1)
        return ceiling * random.uniform(0.5, 1.0)  # noqa: S311 - timing jitter, not a secret


def _classify(response: httpx.Response) -> PushResult | None:
    """The final outcome of one FCM answer, or None when it is worth another attempt."""
    status = response.status_code
    if 200 <= status < 300:
        return PushResult.sent
    error = _error_body(response)
    if status == 404 or _is_unregistered(error):
        return PushResult.unregistered
    if status == 400 and _is_bad_token(error):
        return PushResult.unregistered
    if status in (401, 429) or status >= 500:
        return None
    return PushResult.failed


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _error_codes(error: dict[str, Any]) -> set[str]:
    details = error.get("details")
    if not isinstance(details, list):
        return set()
    return {
        str(detail["errorCode"])
        for detail in details
        if isinstance(detail, dict) and "errorCode" in detail
    }


def _is_unregistered(error: dict[str, Any]) -> bool:
    return "UNREGISTERED" in _error_codes(error) or error.get("status") == "NOT_FOUND"


def _is_bad_token(error: dict[str, Any]) -> bool:
    """A 400 blames the device token (rather than our payload) only through these markers."""
    if error.get("status") != "INVALID_ARGUMENT" and "INVALID_ARGUMENT" not in _error_codes(error):
        return False
    for detail in error.get("details") or []:
        if not isinstance(detail, dict):
            continue
        for violation in detail.get("fieldViolations") or []:
            if isinstance(violation, dict) and violation.get("field") == "message.token":
                return True
    return "registration token" in str(error.get("message", "")).lower()


def _retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (either form the header allows), capped at MAX_RETRY_AFTER."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)
