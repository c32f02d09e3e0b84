"""Who sees which card: the one definition, used by the API's queries and by offline sync.

A card is visible to a user when it is not deleted, its profile exists for the user (see
``bca.profiles.visibility``), and one of: the user owns it; it is public and the user may see
its profile in full (public profile, or an accepted follow of a private one); the user holds
it in a wallet. Offline sync asks the same of a profile the user *holds* (``profile_rule``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import aliased

from bca.cards.models import Card, Subscription
from bca.profiles.models import Profile
from bca.profiles.visibility import ProfileEntity, Viewer, exists_for, full_view

ProfileRule = Callable[[Viewer, ProfileEntity], ColumnElement[bool]]


def held_by(viewer: Viewer, card_id: Any) -> ColumnElement[bool]:
    """The card is in a wallet of one of the viewer's live profiles."""
    held = aliased(Subscription)
    return (
        exists()
        .where(held.card_id == card_id, held.profile_id.in_(viewer.profiles()))
        .correlate_except(held)
    )


def card_visible(
    viewer: Viewer,
    card: Any = Card,
    profile: ProfileEntity = Profile,
    *,
    profile_rule: ProfileRule = exists_for,
) -> ColumnElement[bool]:
    """``card`` may be seen by the viewer; ``profile`` must be the card's profile in the query."""
    return and_(
        card.deleted_at.is_(None),
        card.profile_id == profile.id,
        profile_rule(viewer, profile),
        or_(
            profile.user_id == viewer.id,
            and_(card.private.is_(False), full_view(viewer, profile)),
            held_by(viewer, card.id),
        ),
    )


def card_preview(viewer: uuid.UUID, file_id: Any) -> ColumnElement[bool]:
    """A card's preview, to whoever sees the card."""
    return exists(
        select(Card.id)
        .join(Profile, Profile.id == Card.profile_id)
        .where(Card.preview_file_id == file_id, card_visible(Viewer(viewer)))
    )
