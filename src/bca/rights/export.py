"""Building a person's export: one ZIP, written to a temporary file piece by piece (never whole
in memory), then streamed to storage under ``exports/<user id>/``.

Its layout (``README.txt`` in it says the same; ``export.schema.json`` beside this module is
the schema of its JSON):

- ``manifest.json``: who, when, and where everything else is;
- ``data/<table>.json``: the user's rows of every table that holds something of theirs, by
  each table's exporter (``bca.core.personal.PERSONAL_DATA``): the account, sessions (without
  secrets), profiles, relations, cards (with their versions), the wallet, contacts, scans,
  the chats they are or were in with every message they could read, their files (with hashes)
  ...;
- ``files/<id>/<name>``: every file they uploaded, as stored;
- ``vcards/cards.vcf``, ``vcards/wallet.vcf``, ``vcards/contacts.vcf``: vCards 4.0 of their
  cards, of the cards in their wallet, and of their contacts.
"""

from __future__ import annotations

import hashlib
import json
import uuid
import zipfile
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts.models import User
from bca.backends.storage import CHUNK_SIZE, Storage
from bca.cards.models import Card, Subscription
from bca.cards.vcard import contact_of, to_vcard
from bca.contacts.models import Contact
from bca.contacts.vcard import contact_vcard
from bca.core.time import isoformat
from bca.files.models import StoredFile
from bca.files.service import download_name
from bca.profiles.models import Profile
from bca.rights.residue import personal_tables

FORMAT = "bca-export"
VERSION = 1
SCHEMA = Path(__file__).with_name("export.schema.json")

README = """B.Ca: everything of your account, as it was on {created}.

manifest.json        who, when, and the list of everything below (with each file's SHA-256)
data/<table>.json    your rows of every table that holds something of yours: the account,
                     sessions (without secrets), profiles, relations, cards with their
                     versions, your wallet (subscriptions), contacts, scans, the chats you
                     are or were in and every message you could read there, your files ...
files/<id>/<name>    every file you uploaded, as stored
vcards/cards.vcf     your cards, as vCards 4.0 (RFC 6350)
vcards/wallet.vcf    the cards in your wallet
vcards/contacts.vcf  your contacts

The JSON follows the schema "export.schema.json" in B.Ca's source (bca/rights/).
Times are UTC (ISO 8601); ids are UUIDs.
"""


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1, default=str).encode()


async def _write_stream(archive: zipfile.ZipFile, name: str, chunks: AsyncIterator[bytes]) -> str:
    """One entry from a stream, a chunk at a time; answers the bytes' SHA-256."""
    digest = hashlib.sha256()
    with archive.open(name, "w", force_zip64=True) as entry:
        async for chunk in chunks:
            digest.update(chunk)
            entry.write(chunk)
    return digest.hexdigest()


async def _vcards(session: AsyncSession, user_id: uuid.UUID) -> dict[str, str]:
    theirs = select(Profile.id).where(Profile.user_id == user_id).scalar_subquery()
    own = await session.scalars(
        select(Card)
        .where(Card.profile_id.in_(theirs), Card.deleted_at.is_(None))
        .order_by(Card.created_at, Card.id)
    )
    in_wallet = select(Subscription.card_id).where(Subscription.profile_id.in_(theirs))
    held = await session.scalars(
        select(Card)
        .where(Card.id.in_(in_wallet), Card.deleted_at.is_(None))
        .order_by(Card.created_at, Card.id)
    )
    contacts = await session.scalars(
        select(Contact)
        .where(Contact.profile_id.in_(theirs), Contact.deleted_at.is_(None))
        .order_by(Contact.created_at, Contact.id)
    )

    def cards_vcf(cards: Iterable[Card]) -> str:
        return "".join(
            to_vcard(
                contact_of(name=card.name, data=card.data),
                card_id=card.id,
                updated_at=card.updated_at,
            )
            for card in cards
        )

    return {
        "vcards/cards.vcf": cards_vcf(own.all()),
        "vcards/wallet.vcf": cards_vcf(held.all()),
        "vcards/contacts.vcf": "".join(contact_vcard(contact) for contact in contacts.all()),
    }


async def write_export(
    session: AsyncSession, storage: Storage, *, user: User, created_at: datetime, sink: IO[bytes]
) -> dict[str, Any]:
    """Write the user's export as a ZIP into ``sink``; answers its manifest."""
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "user_id": str(user.id),
        "created_at": isoformat(created_at),
        "tables": {},
        "files": [],
        "vcards": [],
    }
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", README.format(created=isoformat(created_at)))
        for declared in personal_tables():
            if declared.export is None:
                continue
            rows = await declared.export(session, user.id, declared)
            path = f"data/{declared.name}.json"
            archive.writestr(path, _json(list(rows)))
            manifest["tables"][declared.name] = {"path": path, "rows": len(rows)}
        files = await session.scalars(
            select(StoredFile)
            .where(StoredFile.owner_user_id == user.id, StoredFile.deleted_at.is_(None))
            .order_by(StoredFile.created_at, StoredFile.id)
        )
        for row in files.all():
            path = f"files/{row.id}/{download_name(row)}"
            try:
                sha256 = await _write_stream(archive, path, storage.open_stream(row.storage_key))
            except KeyError:  # the object is gone (a half-deleted file): said, not hidden
                manifest["files"].append(_file_entry(row, path=None, sha256=row.sha256))
                continue
            manifest["files"].append(_file_entry(row, path=path, sha256=sha256))
        for path, text in (await _vcards(session, user.id)).items():
            archive.writestr(path, text)
            manifest["vcards"].append(path)
        archive.writestr("manifest.json", _json(manifest))
    return manifest


def _file_entry(row: StoredFile, *, path: str | None, sha256: str) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "name": row.name,
        "content_type": row.content_type,
        "size": row.size,
        "sha256": sha256,
        "path": path,
        "purpose": row.purpose,
        "created_at": isoformat(row.created_at),
    }


async def file_chunks(path: Path) -> AsyncIterator[bytes]:
    """The bytes of a file on disk, a chunk at a time."""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            yield chunk
