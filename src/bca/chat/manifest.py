"""The chat domain as the service assembles it (see ``bca.core.domain``)."""

from __future__ import annotations

from bca.backends.tasks import TASKS, Task
from bca.chat import repository, sync, tasks
from bca.chat.models import Chat, ChatEvent, IdempotencyRecord, Participant, PastMembership
from bca.core.domain import Domain, Web
from bca.files.uses import EXPOSURES, KEEPERS
from bca.profiles.sync import LINKS
from bca.profiles.visibility import REACHES
from bca.sync.entities import ENTITIES


def _web() -> Web:
    from bca.chat import routes

    return Web(routers=(routes.router,))


MANIFEST = Domain(
    name="chat",
    web=_web,
    models=(Chat, Participant, PastMembership, ChatEvent, IdempotencyRecord),
    hot=True,
    plugs=(
        ENTITIES.plug(sync.CHAT),
        TASKS.plug(Task("chat.send_push", tasks.send_push)),
        TASKS.plug(
            Task("chat.purge_idempotency_records", tasks.purge_idempotency_records, every=3600)
        ),
        EXPOSURES.plug(repository.attachment_shown),
        KEEPERS.plug(repository.attachment_kept),
        REACHES.plug(sync.CHAT_REACH),
        LINKS.plug(sync.CHAT_LINK),
    ),
)
