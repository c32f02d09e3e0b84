"""Small async factories that build data through the HTTP API, as a client would."""

from __future__ import annotations

import email
import email.policy
import itertools
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import update

from bca.accounts.models import User
from bca.backends import Backends

DEFAULT_PASSWORD = "correct horse battery"
_counter = itertools.count(1)


@dataclass
class TestUser:
    __test__ = False  # a data holder, not a test class

    id: str
    email: str
    username: str
    password: str
    access_token: str = ""
    refresh_token: str = ""
    session_id: str = ""
    profile_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def token_from_text(text: str, kind: str) -> str:
    path = "verify-email" if kind == "verify" else "reset-password"
    match = re.search(rf"/{path}\?token=([A-Za-z0-9_\-]+)", text)
    if match is None:
        raise AssertionError(f"no {kind} link in mail: {text!r}")
    return match.group(1)


class Api:
    def __init__(
        self, client: httpx.AsyncClient, backends: Backends, smtp_inbox: Any | None = None
    ) -> None:
        self.client = client
        self.backends = backends
        self.smtp_inbox = smtp_inbox

    def unique(self, prefix: str = "user") -> str:
        return f"{prefix}{next(_counter)}"

    async def signup(self, **fields: Any) -> httpx.Response:
        name = self.unique()
        body = {"email": f"{name}@example.com", "username": name, "password": DEFAULT_PASSWORD}
        return await self.client.post("/v1/auth/signup", json=body | fields)

    async def outbox_texts(self, address: str) -> list[str]:
        """Mail bodies sent to ``address``, oldest first (SMTP inbox, else the console outbox)."""
        await self.backends.tasks.drain()
        if self.smtp_inbox is not None:
            return [
                message.get_body(("plain",)).get_content()
                for message in self.smtp_inbox.to(address)
            ]
        outbox = self.backends.settings.outbox_path
        files = sorted(outbox.glob("*.eml"), key=lambda path: path.stat().st_mtime_ns)
        texts = []
        for path in files:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if message["To"] == address:
                body = message.get_body(("plain",))
                assert body is not None, "every mail has a plain-text part"
                texts.append(body.get_content())
        return texts

    async def mail_token(self, address: str, kind: str = "verify") -> str:
        texts = await self.outbox_texts(address)
        assert texts, f"no mail for {address}"
        return token_from_text(texts[-1], kind)

    async def signin(self, user: TestUser, **fields: Any) -> httpx.Response:
        body = {"login": user.username, "password": user.password} | fields
        return await self.client.post("/v1/auth/signin", json=body)

    async def user(self, *, admin: bool = False, **fields: Any) -> TestUser:
        """A verified, signed-in user."""
        response = await self.signup(**fields)
        assert response.status_code == 201, response.text
        data = response.json()
        user = TestUser(
            id=data["id"],
            email=data["email"],
            username=data["username"],
            password=fields.get("password", DEFAULT_PASSWORD),
        )
        token = await self.mail_token(user.email)
        verified = await self.client.post("/v1/auth/email/verify", json={"token": token})
        assert verified.status_code == 204, verified.text
        if admin:
            async with self.backends.database.transaction() as session:
                await session.execute(
                    update(User).where(User.id == uuid.UUID(data["id"])).values(role="admin")
                )
        await self.sign_in_as(user)
        return user

    async def sign_in_as(self, user: TestUser, device_name: str | None = None) -> TestUser:
        fields = {"device_name": device_name} if device_name else {}
        response = await self.signin(user, **fields)
        assert response.status_code == 200, response.text
        tokens = response.json()
        user.access_token = tokens["access_token"]
        user.refresh_token = tokens["refresh_token"]
        user.session_id = tokens["session_id"]
        return user
