"""The cards service's rules on a rolled-back session (the fast tier: no HTTP, see
``tests/fixtures/rolled_back.py``): who may edit a card, and a stale version refused."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bca.cards import service
from bca.cards.errors import NotYourCard
from bca.cards.schemas import CardCreate, CardUpdate
from bca.core.errors import PreconditionFailed
from bca.core.versioning import parse_if_match
from tests.fixtures.rolled_back import person

pytestmark = pytest.mark.rules


async def test_someone_who_sees_a_card_cannot_edit_it(db_session: AsyncSession) -> None:
    owner, owner_profile = await person(db_session, "owner")
    other, _ = await person(db_session, "other")
    card = await service.create_card(
        db_session, user=owner, my_profile_id=owner_profile.id, data=CardCreate(name="Public")
    )
    seen = await service.get_card(db_session, user=other, card_id=card.id)
    assert seen.id == card.id  # a public card: visible to others ...

    with pytest.raises(NotYourCard) as refused:  # ... but not theirs to change
        await service.update_card(
            db_session,
            user=other,
            card_id=card.id,
            data=CardUpdate(name="Taken over"),
            if_match=None,
        )
    assert refused.value.status == 403
    assert (await service.get_card(db_session, user=owner, card_id=card.id)).name == "Public"


async def test_an_edit_based_on_a_stale_version_is_refused(db_session: AsyncSession) -> None:
    owner, profile = await person(db_session, "owner")
    card = await service.create_card(
        db_session, user=owner, my_profile_id=profile.id, data=CardCreate(name="First")
    )
    assert card.version == 1
    edited = await service.update_card(
        db_session,
        user=owner,
        card_id=card.id,
        data=CardUpdate(name="Second"),
        if_match=parse_if_match('"1"'),
    )
    assert edited.version == 2

    with pytest.raises(PreconditionFailed):  # another device still holds version 1
        await service.update_card(
            db_session,
            user=owner,
            card_id=card.id,
            data=CardUpdate(name="Lost update"),
            if_match=parse_if_match('"1"'),
        )
    current = await service.get_card(db_session, user=owner, card_id=card.id)
    assert (current.name, current.version) == ("Second", 2)
