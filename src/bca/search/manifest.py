"""The search domain as the service assembles it (see ``bca.core.domain``)."""

from __future__ import annotations

from bca.backends.tasks import TASKS, Task
from bca.chat.hooks import MESSAGES_WRITTEN
from bca.core.domain import Domain, Web
from bca.core.personal import PERSONAL_DATA, NotPersonal, Personal
from bca.profiles.matching import TEXT_MATCHES
from bca.profiles.personal import of_profile
from bca.search import offline, service, tasks
from bca.search.models import SearchedChat, SearchEntry, SearchMessage
from bca.sync.changelog import CHANGED
from bca.sync.snapshot_search import SEARCHABLE


def _web() -> Web:
    from bca.search import routes

    return Web(routers=(routes.router,))


MANIFEST = Domain(
    name="search",
    web=_web,
    models=(SearchEntry, SearchMessage, SearchedChat),
    plugs=(
        TASKS.plug(Task("search.index_chat", tasks.index_chat)),
        MESSAGES_WRITTEN.plug(tasks.schedule_chat),
        CHANGED.plug(tasks.index_changed_entities),
        TEXT_MATCHES.plug(service.matching_ids),
        *(SEARCHABLE.plug(searchable) for searchable in offline.SEARCHABLES),
        # Derived from rows that are exported and erased in their own domains: erased with
        # them (``index_writes.erase_index_of_profiles`` does the same for a profile), not
        # exported twice.
        PERSONAL_DATA.plug(
            Personal(
                SearchEntry,
                (of_profile("profile_id"),),
                export=None,
                note="the search index of their cards, contacts and profiles (derived)",
            )
        ),
        PERSONAL_DATA.plug(
            Personal(
                SearchMessage,
                (of_profile("profile_id"),),
                export=None,
                note="the search index of their messages' texts (derived)",
            )
        ),
        PERSONAL_DATA.plug(NotPersonal(SearchedChat, "how far each chat is indexed")),
    ),
)
