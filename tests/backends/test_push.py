"""FCM HTTP v1 client against a local stand-in for Google's token endpoint and FCM."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bca.backends.fcm import FCM_SCOPE, FcmPushSender
from bca.backends.push import NullPushSender, PushMessage, PushResult, create_push_sender
from bca.settings import Settings
from tests.fixtures.fcm import FakeFcm, ScriptedResponse

MESSAGE = PushMessage(
    token="device-1", title="Ada Lovelace", body="Shall we meet?", data={"chat_id": "c-42"}
)


def _sender(fake: FakeFcm, *, fcm_base_url: str | None = None) -> FcmPushSender:
    # Tiny backoff: the tests check how often it retries, not how long it waits.
    return FcmPushSender(
        fake.certificate_path,
        fcm_base_url=fcm_base_url or fake.url,
        token_uri=fake.token_uri,
        retry_base_delay=0.01,
    )


@pytest.fixture
async def sender(fake_fcm: FakeFcm) -> AsyncIterator[FcmPushSender]:
    sender = _sender(fake_fcm)
    yield sender
    await sender.close()


async def test_sent_in_the_fcm_v1_shape(fake_fcm: FakeFcm, sender: FcmPushSender) -> None:
    assert await sender.send(MESSAGE) is PushResult.sent

    assert fake_fcm.delivered() == [
        {
            "token": "device-1",
            "notification": {"title": "Ada Lovelace", "body": "Shall we meet?"},
            "data": {"chat_id": "c-42"},
        }
    ]
    assert [request.project_id for request in fake_fcm.requests] == [fake_fcm.project_id]


async def test_every_send_carries_the_bearer_token(
    fake_fcm: FakeFcm, sender: FcmPushSender
) -> None:
    for token in ("device-1", "device-2", "flaky-3"):
        await sender.send(PushMessage(token=token, title="t", body="b"))

    assert len(fake_fcm.requests) == 5
    assert {request.authorization for request in fake_fcm.requests} == {"Bearer test-token"}


async def test_token_is_fetched_once_and_reused(fake_fcm: FakeFcm, sender: FcmPushSender) -> None:
    # Concurrent sends from cold must not each fetch a token.
    results = await asyncio.gather(
        *(sender.send(PushMessage(token=f"device-{n}", title="t", body="b")) for n in range(8))
    )
    await sender.send(MESSAGE)

    assert set(results) == {PushResult.sent}
    assert len(fake_fcm.token_requests) == 1
    (grant,) = fake_fcm.token_requests
    assert grant.error is None
    assert grant.claims is not None
    assert grant.claims["iss"] == fake_fcm.client_email
    assert grant.claims["scope"] == FCM_SCOPE


async def test_token_is_refreshed_before_it_expires(
    fake_fcm: FakeFcm, sender: FcmPushSender
) -> None:
    fake_fcm.token_expires_in = 60  # inside google-auth's refresh margin: stale at once

    await sender.send(MESSAGE)
    await sender.send(MESSAGE)

    assert len(fake_fcm.token_requests) == 2


async def test_rejected_token_is_dropped_and_fetched_again(
    fake_fcm: FakeFcm, sender: FcmPushSender
) -> None:
    fake_fcm.script(
        "device-1", ScriptedResponse(401, {"error": {"code": 401, "status": "UNAUTHENTICATED"}})
    )

    assert await sender.send(MESSAGE) is PushResult.sent

    assert len(fake_fcm.token_requests) == 2
    assert [request.status for request in fake_fcm.requests] == [401, 200]


@pytest.mark.parametrize("token", ["unregistered-1", "invalid-1"])
async def test_unknown_device_token_is_reported_without_retrying(
    fake_fcm: FakeFcm, sender: FcmPushSender, token: str
) -> None:
    result = await sender.send(PushMessage(token=token, title="t", body="b"))

    assert result is PushResult.unregistered
    assert len(fake_fcm.requests) == 1


async def test_bad_payload_fails_without_retrying(fake_fcm: FakeFcm, sender: FcmPushSender) -> None:
    result = await sender.send(PushMessage(token="bad-payload-1", title="t", body="b"))

    assert result is PushResult.failed
    assert len(fake_fcm.requests) == 1


async def test_unavailable_is_retried_then_sent(fake_fcm: FakeFcm, sender: FcmPushSender) -> None:
    result = await sender.send(PushMessage(token="flaky-1", title="t", body="b"))

    assert result is PushResult.sent
    assert [request.status for request in fake_fcm.requests] == [503, 503, 200]
    assert len(fake_fcm.delivered_to("flaky-1")) == 1


async def test_gives_up_after_four_attempts(fake_fcm: FakeFcm, sender: FcmPushSender) -> None:
    result = await sender.send(PushMessage(token="down-1", title="t", body="b"))

    assert result is PushResult.failed
    assert [request.status for request in fake_fcm.requests] == [503] * 4
    assert fake_fcm.delivered() == []


async def test_retry_after_is_honoured(fake_fcm: FakeFcm, sender: FcmPushSender) -> None:
    started = time.monotonic()

    result = await sender.send(PushMessage(token="throttled-1", title="t", body="b"))

    assert result is PushResult.sent
    assert [request.status for request in fake_fcm.requests] == [429, 200]
    # The backoff alone would be ~0.01 s: only the 1 s Retry-After explains the wait.
    assert time.monotonic() - started >= 0.9


async def test_network_errors_are_retried_then_failed(fake_fcm: FakeFcm) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    sender = _sender(fake_fcm, fcm_base_url=f"http://127.0.0.1:{closed_port}")

    result = await sender.send(MESSAGE)
    await sender.close()

    assert result is PushResult.failed
    assert len(fake_fcm.token_requests) == 1  # the token was fetched; only FCM was unreachable


async def test_key_refused_by_the_token_endpoint_fails_without_sending(
    fake_fcm: FakeFcm, tmp_path: Path
) -> None:
    info = json.loads(fake_fcm.certificate_path.read_text())
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    info["private_key"] = other_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    wrong_certificate = tmp_path / "wrong-key.json"
    wrong_certificate.write_text(json.dumps(info))
    sender = FcmPushSender(
        wrong_certificate, fcm_base_url=fake_fcm.url, token_uri=fake_fcm.token_uri
    )

    result = await sender.send(MESSAGE)
    await sender.close()

    assert result is PushResult.failed
    assert len(fake_fcm.token_requests) == 1
    assert fake_fcm.token_requests[0].error is not None
    assert fake_fcm.requests == []


async def test_without_certificate_pushes_go_nowhere() -> None:
    sender = create_push_sender(Settings(_env_file=None))

    assert isinstance(sender, NullPushSender)
    assert await sender.send(MESSAGE) is PushResult.failed
    await sender.close()


async def test_create_push_sender_from_settings(fake_fcm: FakeFcm) -> None:
    settings = Settings(
        _env_file=None,
        FIREBASE_CERTIFICATE=fake_fcm.certificate_path,
        fcm_base_url=fake_fcm.url,
        fcm_token_uri=fake_fcm.token_uri,
    )
    sender = create_push_sender(settings)

    assert isinstance(sender, FcmPushSender)
    assert await sender.send(MESSAGE) is PushResult.sent
    await sender.close()
    assert await fake_fcm.wait_for_delivered(1) == fake_fcm.delivered_to("device-1")
