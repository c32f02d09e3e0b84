"""The list of domains, and how a process is assembled from it.

``DOMAINS`` is the one list: each entry is a domain package's manifest
(``bca/<domain>/manifest.py``, a :class:`bca.core.domain.Domain`). A new domain is one line
here (and its package in ``[tool.importlinter]``'s layers). The order matters where order is
seen: hooks and sync entities (the snapshot file's tables) follow it, and routes are included
in it, ``hot`` domains first.

- :func:`assemble` fills every slot (tasks, sync entities, hooks, file uses, profile reaches
  and links) from the manifests; ``bca.wiring.create_backends`` calls it, so the app, the
  worker, the Lambda handler and the CLI's commands all run on the same assembly.
- :func:`metadata_of` is the schema: Alembic's ``target_metadata`` and the tests' tables.
- ``bca.app.create_app(settings, domains=...)`` calls each domain's ``web`` and includes its
  routers, exception handlers and console views.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import MetaData

from bca.accounts.manifest import MANIFEST as ACCOUNTS
from bca.admin.manifest import MANIFEST as ADMIN
from bca.carddav.manifest import MANIFEST as CARDDAV
from bca.cards.manifest import MANIFEST as CARDS
from bca.chat.manifest import MANIFEST as CHAT
from bca.contacts.manifest import MANIFEST as CONTACTS
from bca.core.db import NAMING_CONVENTION
from bca.core.domain import Domain, Slot
from bca.files.manifest import MANIFEST as FILES
from bca.moderation.manifest import MANIFEST as MODERATION
from bca.profiles.manifest import MANIFEST as PROFILES
from bca.rights.manifest import MANIFEST as RIGHTS
from bca.scans.manifest import MANIFEST as SCANS
from bca.search.manifest import MANIFEST as SEARCH
from bca.sync.manifest import MANIFEST as SYNC
from bca.sync.visibility import clear_statements
from bca.webpush.manifest import MANIFEST as WEBPUSH

DOMAINS: tuple[Domain, ...] = (
    ACCOUNTS,
    FILES,
    PROFILES,
    CARDS,
    CHAT,
    CONTACTS,
    WEBPUSH,
    SYNC,
    SCANS,
    CARDDAV,
    MODERATION,
    RIGHTS,
    ADMIN,
    SEARCH,
)


def assemble(domains: Sequence[Domain] = DOMAINS) -> None:
    """Fill every slot with ``domains``' plugs, in their order. Idempotent: the last call
    decides (tests assemble a list of their own, then the usual one again)."""
    names = [domain.name for domain in domains]
    if len(set(names)) != len(names):
        raise ValueError(f"a domain is listed twice: {names}")
    contents: dict[Slot[Any], list[Any]] = {slot: [] for slot in Slot.every}
    for domain in domains:
        for plug in domain.plugs:
            contents[plug.slot].append(plug.item)
    for slot, items in contents.items():
        slot.fill(items)
    clear_statements()  # sync's built statements belong to the specs they were built from


def metadata_of(domains: Sequence[Domain] = DOMAINS) -> MetaData:
    """The schema of ``domains``: every table of their models, in one metadata."""
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    for domain in domains:
        for model in domain.models:
            model.__table__.to_metadata(metadata)
    return metadata


def routing_order(domains: Sequence[Domain]) -> list[Domain]:
    """The domains whose routes are matched first (``hot``), then the others, each in order."""
    return sorted(domains, key=lambda domain: not domain.hot)
