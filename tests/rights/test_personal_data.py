"""Where a person's data lives is declared (``bca.core.personal``): every table of every domain
says whether it holds anything of a user, and how it refers to them."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, MetaData, Table, Uuid

from bca.core.personal import PERSONAL_DATA, NotPersonal, Personal
from bca.domains import DOMAINS, assemble, metadata_of
from bca.rights.erasure import erasure_order


def undeclared(metadata: MetaData) -> set[str]:
    return set(metadata.tables) - set(PERSONAL_DATA.names())


def test_every_table_is_declared_personal_or_not() -> None:
    """A table a change adds fails here until its domain's manifest declares it: one
    ``PERSONAL_DATA.plug(Personal(Model, (of_profile("profile_id"),)))`` (or ``NotPersonal``
    with the reason)."""
    assemble()
    assert undeclared(metadata_of(DOMAINS)) == set()
    assert set(PERSONAL_DATA.names()) <= set(metadata_of(DOMAINS).tables)
    for declared in PERSONAL_DATA:
        if isinstance(declared, NotPersonal):
            assert declared.why.strip(), declared.name
        else:
            assert declared.refers, f"{declared.name} says it is personal but refers to no one"


def test_a_new_table_is_caught() -> None:
    """The check sees a table nobody declared (here, one added to the schema beside them)."""
    assemble()
    metadata = metadata_of(DOMAINS)
    Table(
        "reactions",
        metadata,
        Column("id", Uuid, primary_key=True),
        Column("profile_id", Uuid, ForeignKey("profiles.id")),
    )
    assert undeclared(metadata) == {"reactions"}


def test_erasure_goes_from_the_rows_that_point_to_those_they_point_at() -> None:
    assemble()
    order = [declared.name for declared in erasure_order()]
    assert order[-1] == "users"
    for before, after in [
        ("chat_events", "chats"),
        ("chat_events", "files"),
        ("cards", "profiles"),
        ("profiles", "files"),
        ("refresh_tokens", "auth_sessions"),
        ("scans", "contacts"),
        ("admin_audit", "users"),
    ]:
        assert order.index(before) < order.index(after), (before, after)
    assert all(isinstance(declared, Personal) for declared in erasure_order())
