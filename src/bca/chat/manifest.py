"""The chat domain as the service assembles it (see ``bca.core.domain``)."""

from __future__ import annotations

from bca.backends.tasks import TASKS, Task
from bca.chat import personal, previews, reactions, repository, retention, scheduled, sync, tasks
from bca.chat.models import (
    Chat,
    ChatEvent,
    ChatRequest,
    IdempotencyRecord,
    Mention,
    Participant,
    PastMembership,
    Pin,
    Reaction,
    ScheduledMessage,
)
from bca.core.domain import Domain, Web
from bca.core.personal import PERSONAL_DATA, ByUser, Personal
from bca.files.uses import EXPOSURES, KEEPERS
from bca.profiles.personal import of_profile
from bca.profiles.sync import LINKS
from bca.profiles.visibility import REACHES
from bca.sync.entities import ENTITIES


def _web() -> Web:
    from bca.chat import conversation_routes, request_routes, routes, scheduled_routes

    return Web(
        routers=(
            routes.router,
            scheduled_routes.router,
            conversation_routes.router,
            request_routes.router,
        )
    )


MANIFEST = Domain(
    name="chat",
    web=_web,
    models=(
        Chat,
        Participant,
        PastMembership,
        ChatEvent,
        IdempotencyRecord,
        ScheduledMessage,
        Reaction,
        Mention,
        Pin,
        ChatRequest,
    ),
    hot=True,
    plugs=(
        ENTITIES.plug(sync.CHAT),
        TASKS.plug(Task("chat.send_push", tasks.send_push)),
        TASKS.plug(Task("chat.send_request_notice", tasks.send_request_notice)),
        TASKS.plug(Task("chat.fetch_preview", previews.fetch_preview)),
        TASKS.plug(
            Task("chat.send_scheduled", scheduled.send_scheduled, every=scheduled.SWEEP_SECONDS)
        ),
        TASKS.plug(
            Task("chat.purge_idempotency_records", tasks.purge_idempotency_records, every=3600)
        ),
        TASKS.plug(Task("chat.apply_retention", retention.apply_retention, every=3600)),
        EXPOSURES.plug(repository.attachment_shown),
        KEEPERS.plug(repository.attachment_kept),
        REACHES.plug(sync.CHAT_REACH),
        LINKS.plug(sync.CHAT_LINK),
        PERSONAL_DATA.plug(
            Personal(
                Chat,
                (of_profile("owner_profile_id"),),
                erase=personal.hand_over_chats,
                export=personal.chats_they_were_in,
                note="removed when no one else was in it, else owned by a deleted profile",
            )
        ),
        PERSONAL_DATA.plug(Personal(Participant, (ByUser("user_id"), of_profile("profile_id")))),
        PERSONAL_DATA.plug(
            Personal(
                ChatRequest,
                (ByUser("user_id"), of_profile("profile_id"), of_profile("inviter_profile_id")),
                note="who asked whom into a chat; removed with either profile",
            )
        ),
        PERSONAL_DATA.plug(Personal(PastMembership, (ByUser("user_id"), of_profile("profile_id")))),
        PERSONAL_DATA.plug(
            Personal(
                ChatEvent,
                (of_profile("profile_id"), of_profile("target_profile_id")),
                erase=personal.redact_events,
                export=personal.events_they_could_read,
                note="redacted in chats with others (index kept), removed in chats of their own",
            )
        ),
        PERSONAL_DATA.plug(Personal(IdempotencyRecord, (ByUser("user_id"),))),
        PERSONAL_DATA.plug(
            Personal(ScheduledMessage, (ByUser("user_id"), of_profile("profile_id")))
        ),
        PERSONAL_DATA.plug(
            Personal(
                Reaction,
                (ByUser("user_id"), of_profile("profile_id")),
                erase=reactions.erase_reactions,
                note="removed, and each message's counts drop accordingly",
            )
        ),
        PERSONAL_DATA.plug(Personal(Mention, (ByUser("user_id"), of_profile("profile_id")))),
        PERSONAL_DATA.plug(
            Personal(Pin, (of_profile("profile_id"),), note="unpinned (the pin goes)")
        ),
    ),
)
