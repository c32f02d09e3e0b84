"""Entities as one user sees them: the ``data`` of a change and the rows of a snapshot.

The shapes are the API's read shapes (``profile`` or a private profile's summary,
``relation``, ``card``, ``chat``) so that a client can reuse its models, except
``subscription``, which is ``{profile_id, card_id, subscribed_at}``: the card itself is the
``card`` entity (a wallet entry and its card change independently).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bca.cards.models import Card, Subscription
from bca.chat.models import Chat, Participant
from bca.core.time import isoformat
from bca.profiles.models import Profile, Relation

Data = dict[str, Any]


def _time(moment: datetime) -> str:
    return isoformat(moment)


def file_url(public_url: str, file_id: uuid.UUID | None) -> str | None:
    if file_id is None:
        return None
    return f"{public_url.rstrip('/')}/v1/files/{file_id}"


def profile(row: Profile, *, level: str, public_url: str) -> Data:
    """``level`` is ``mine``, ``full`` or ``limited`` (a private profile for a non-follower)."""
    image_url = file_url(public_url, row.image_file_id)
    if level == "limited":
        return {"id": str(row.id), "name": row.name, "image_url": image_url, "private": True}
    return {
        "id": str(row.id),
        "name": row.name,
        "team_name": row.team_name,
        "description": row.description,
        "email": row.email,
        "phone": row.phone,
        "address": row.address,
        "sns": dict(row.sns or {}),
        "data": dict(row.data or {}),
        "image_url": image_url,
        "private": row.private,
        "version": row.version,
        "created_at": _time(row.created_at),
        "updated_at": _time(row.updated_at),
        "mine": level == "mine",
    }


def card(row: Card, *, public_url: str) -> Data:
    return {
        "id": str(row.id),
        "profile_id": str(row.profile_id),
        "name": row.name,
        "data": dict(row.data or {}),
        "preview_url": file_url(public_url, row.preview_file_id),
        "private": row.private,
        "version": row.version,
        "created_at": _time(row.created_at),
        "updated_at": _time(row.updated_at),
    }


def relation(row: Relation) -> Data:
    return {
        "profile_id": str(row.profile_id),
        "target_id": str(row.target_id),
        "status": row.status,
        "created_at": _time(row.created_at),
    }


def subscription(row: Subscription) -> Data:
    return {
        "profile_id": str(row.profile_id),
        "card_id": str(row.card_id),
        "subscribed_at": _time(row.subscribed_at),
    }


def chat(row: Chat, *, me: Participant, participant_count: int) -> Data:
    """What changes rarely; ``last_event_index`` and ``unread_count`` come with the events."""
    return {
        "id": str(row.id),
        "title": row.title,
        "direct": row.direct,
        "owner_profile_id": str(row.owner_profile_id),
        "my_profile_id": str(me.profile_id),
        "participant_count": participant_count,
        "muted": me.muted,
        "read_index": me.last_read_index,
        "created_at": _time(row.created_at),
    }


def pair_key(first: uuid.UUID, second: uuid.UUID) -> str:
    """The change-log id of a relation (profile:target) or subscription (profile:card)."""
    return f"{first}:{second}"


def parse_pair(key: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    first, _, second = key.partition(":")
    try:
        return uuid.UUID(first), uuid.UUID(second)
    except ValueError:
        return None


def parse_id(key: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(key)
    except ValueError:
        return None


def entity_key(entity: str, row: Any) -> str:
    """The change-log id of a rendered row of ``entity``."""
    if entity == "relation":
        return pair_key(row.profile_id, row.target_id)
    if entity == "subscription":
        return pair_key(row.profile_id, row.card_id)
    return str(row.id)


def render_rows(entity: str, rows: Sequence[Any], *, public_url: str) -> dict[str, Data]:
    """Rows of a ``bca.sync.visibility`` statement (one viewer) as ``{key: data}``."""
    rendered: dict[str, Data] = {}
    for row in rows:
        mapping: Mapping[str, Any] = row._mapping
        if entity == "profile":
            item = mapping["seen"]
            rendered[str(item.id)] = profile(item, level=mapping["level"], public_url=public_url)
        elif entity == "card":
            item = mapping["seen_card"]
            rendered[str(item.id)] = card(item, public_url=public_url)
        elif entity == "relation":
            item = mapping["seen_relation"]
            rendered[entity_key(entity, item)] = relation(item)
        elif entity == "subscription":
            item = mapping["seen_subscription"]
            rendered[entity_key(entity, item)] = subscription(item)
        else:
            item = mapping["seen_chat"]
            me = mapping["me"]
            key = str(item.id)
            # Taking part with two profiles: the smaller profile id is "mine", deterministically.
            if key in rendered and rendered[key]["my_profile_id"] < str(me.profile_id):
                continue
            rendered[key] = chat(item, me=me, participant_count=int(mapping["participant_count"]))
    return rendered
