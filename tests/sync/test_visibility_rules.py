"""The sync view's rules on a rolled-back session (the fast tier: no HTTP, see
``tests/fixtures/rolled_back.py``): what offline sync shows a user, decided by the domains'
visibility statements."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bca.cards import service as cards
from bca.cards.schemas import CardCreate
from bca.profiles import service as profiles
from bca.sync.service import render_entities
from tests.fixtures.rolled_back import person

pytestmark = pytest.mark.rules

PUBLIC_URL = "https://bca.test"


async def test_the_card_of_a_profile_that_blocked_me_leaves_my_sync_view(
    db_session: AsyncSession,
) -> None:
    owner, owner_profile = await person(db_session, "owner")
    holder, holder_profile = await person(db_session, "holder")
    card = await cards.create_card(
        db_session, user=owner, my_profile_id=owner_profile.id, data=CardCreate(name="Kept")
    )
    await cards.subscribe(
        db_session, user=holder, my_profile_id=holder_profile.id, card_id=card.id, share_token=None
    )
    key = str(card.id)

    seen = await render_entities(db_session, holder.id, "card", [key], public_url=PUBLIC_URL)
    assert seen[key]["name"] == "Kept"  # in my wallet: in my sync view

    await profiles.set_relation(
        db_session,
        user=owner,
        my_profile_id=owner_profile.id,
        target_id=holder_profile.id,
        status="block",
    )
    after = await render_entities(db_session, holder.id, "card", [key], public_url=PUBLIC_URL)
    assert after == {}
    # The owner still sees it: the block hides it from the holder only.
    mine = await render_entities(db_session, owner.id, "card", [key], public_url=PUBLIC_URL)
    assert key in mine
