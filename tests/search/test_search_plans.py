"""PostgreSQL finds through the GIN index, not by a scan: the plan of every search statement
(messages, cards, contacts, profiles) over 100,000 index rows of each table, for a user in 500
of 1,000 chats. Searching one chat's messages may take that chat's range of the
``(chat_id, message_index)`` key instead (the planner's choice for a chat of 100 messages):
an index either way, never a sequential scan of an index table. So may contacts: a
person's contacts are few (10,000 a profile at most) and the planner reads them first by
their keeper, then each one's entry by its key.

``slow``: about 20 s (200,000 rows written and analysed in a rolled-back transaction).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import Select, insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts.models import User
from bca.cards.models import Card, Subscription
from bca.chat.models import Chat, Participant
from bca.contacts.models import Contact
from bca.profiles.models import Profile
from bca.search import repository
from bca.search.models import SearchEntry
from bca.search.tokens import query_terms
from tests.fixtures.rolled_back import person

pytestmark = [pytest.mark.rules, pytest.mark.slow]

ROWS = 100_000
CHATS = 1_000
MY_CHATS = 500
PROFILES = 10_000
CARDS = 40_000


@pytest.fixture
def stack() -> str:
    return "postgres"


async def plan_of(session: AsyncSession, statement: Select[Any]) -> str:
    """The plan PostgreSQL would run, as JSON text."""
    compiled = statement.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True}
    )
    connection = await session.connection()
    parameters = tuple(compiled.params[name] for name in compiled.positiontup or [])
    result = await connection.exec_driver_sql(
        f"EXPLAIN (FORMAT JSON) {compiled.string}", parameters
    )
    return json.dumps(result.scalar_one())


async def test_every_search_statement_uses_the_gin_index_at_100000_rows(
    db_session: AsyncSession,
) -> None:
    user, profile = await person(db_session, "planner")
    chats = [uuid.uuid4() for _ in range(CHATS)]
    await db_session.execute(
        insert(Chat), [{"id": chat, "owner_profile_id": profile.id} for chat in chats]
    )
    await db_session.execute(
        insert(Participant),
        [
            {"chat_id": chat, "profile_id": profile.id, "user_id": user.id}
            for chat in chats[:MY_CHATS]
        ],
    )
    # Common words everywhere, a rare one in one row of 2,000.
    await db_session.execute(
        text(
            "INSERT INTO search_messages (chat_id, message_index, valid_from, profile_id,"
            " created_at, text, terms)"
            " SELECT (CAST(:chats AS uuid[]))[1 + i % :n], i, i, CAST(:profile AS uuid),"
            " now(), 'x',"
            " 'w' || (i % 5000) || ' v' || (i * 7 % 3000) ||"
            " CASE WHEN i % 2000 = 0 THEN ' 희귀' ELSE '' END"
            " FROM generate_series(1, :rows) AS i"
        ),
        {"chats": chats, "n": CHATS, "profile": profile.id, "rows": ROWS},
    )
    # Entries of real rows: 10,000 profiles (two entries each), 40,000 cards, 40,000
    # contacts; 200 of the cards in my wallet, 400 of the contacts mine.
    owners = [uuid.uuid4() for _ in range(100)]
    await db_session.execute(
        insert(User),
        [
            {"id": owner, "email": f"{owner}@example.com", "username": owner.hex[:30],
             "password_hash": "x"}
            for owner in owners
        ],
    )  # fmt: skip
    profiles = [uuid.uuid4() for _ in range(PROFILES)]
    await db_session.execute(
        insert(Profile),
        [
            {"id": id_, "user_id": owners[i % len(owners)], "name": f"p{i}"}
            for i, id_ in enumerate(profiles)
        ],
    )
    cards = [uuid.uuid4() for _ in range(CARDS)]
    await db_session.execute(
        insert(Card),
        [
            {"id": id_, "profile_id": profiles[i % PROFILES], "name": f"c{i}"}
            for i, id_ in enumerate(cards)
        ],
    )
    await db_session.execute(
        insert(Subscription),
        [{"profile_id": profile.id, "card_id": card} for card in cards[:200]],
    )
    contacts = [uuid.uuid4() for _ in range(CARDS)]
    await db_session.execute(
        insert(Contact),
        [
            {
                "id": id_,
                "profile_id": profile.id if i < 400 else profiles[i % PROFILES],
                "name": f"k{i}",
            }
            for i, id_ in enumerate(contacts)
        ],
    )
    entries = (
        [("card", card, profiles[i % PROFILES]) for i, card in enumerate(cards)]
        + [("contact", contact, profiles[i % PROFILES]) for i, contact in enumerate(contacts)]
        + [(kind, id_, id_) for id_ in profiles for kind in ("profile", "profile_name")]
    )
    await db_session.execute(
        insert(SearchEntry),
        [
            {
                "kind": kind,
                "entity_id": id_,
                "profile_id": owner,
                "text": "x",
                "terms": f"w{i % 5000}" + (" 희귀" if i % 2000 == 0 else ""),
            }
            for i, (kind, id_, owner) in enumerate(entries)
        ],
    )
    for table in (
        "search_messages",
        "search_entries",
        "chats",
        "chat_participants",
        "users",
        "profiles",
        "cards",
        "subscriptions",
        "contacts",
    ):
        await db_session.execute(text(f"ANALYZE {table}"))

    query = query_terms("희귀")
    statements = {
        "messages": repository.messages_statement(
            db_session,
            user_id=user.id,
            query=query,
            chat_id=None,
            profile_id=None,
            offset=0,
            limit=21,
        ),
        "messages of a chat": repository.messages_statement(
            db_session,
            user_id=user.id,
            query=query,
            chat_id=chats[0],
            profile_id=profile.id,
            offset=0,
            limit=21,
        ),
    }
    for kind in ("card", "contact", "profile"):
        statements[kind] = repository.entries_statement(
            db_session,
            kind=kind,
            user_id=user.id,
            query=query,
            profile_id=None,
            offset=0,
            limit=21,
        )
    for name, statement in statements.items():
        plan = await plan_of(db_session, statement)
        if name == "messages of a chat":
            # One chat's messages: its range of the (chat, index) key, or the tokens' index.
            index = "search_messages_"
        elif name == "messages":
            index = "ix_search_messages_tokens"
        elif name == "contact":
            # My contacts (10,000 a profile at most): theirs, then each one's entry by its key,
            # or the tokens' index.
            index = "search_entries_"
        else:
            index = "ix_search_entries_tokens"
        assert index in plan, (name, plan)
        assert not _scanned(json.loads(plan), "search_"), (name, plan)


def _scanned(node: Any, prefix: str) -> bool:
    """A sequential scan of a table named ``prefix``... anywhere in the plan."""
    if isinstance(node, list):
        return any(_scanned(item, prefix) for item in node)
    if not isinstance(node, dict):
        return False
    if node.get("Node Type") == "Seq Scan" and str(node.get("Relation Name", "")).startswith(
        prefix
    ):
        return True
    return any(_scanned(value, prefix) for value in node.values())
