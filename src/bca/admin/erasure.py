"""What erasing a user does to the audit trail (``bca.core.personal``): what they did as an
operator stays on record, by "an erased user", without their id or address. What was done to
their account stays too (its target is a bare id that names no one once the account is gone)."""

from __future__ import annotations

from sqlalchemy import update

from bca.admin.models import AuditRecord
from bca.core.personal import Erasure, Personal

ERASED_ACTOR = "erased user"


async def unname_actor(erasure: Erasure, declared: Personal) -> int:
    result = await erasure.session.execute(
        update(AuditRecord)
        .where(declared.where(erasure.user_id))
        .values(actor_id=None, actor=ERASED_ACTOR, address=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)
