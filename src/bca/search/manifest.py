"""The search domain as the service assembles it (see ``bca.core.domain``)."""

from __future__ import annotations

from bca.backends.tasks import TASKS, Task
from bca.chat.hooks import MESSAGES_WRITTEN
from bca.core.domain import Domain
from bca.search import routes, tasks
from bca.search.models import SearchedChat, SearchEntry, SearchMessage
from bca.sync.changelog import CHANGED

MANIFEST = Domain(
    name="search",
    models=(SearchEntry, SearchMessage, SearchedChat),
    routers=(routes.router,),
    plugs=(
        TASKS.plug(Task("search.index_chat", tasks.index_chat)),
        TASKS.plug(Task("search.index_entities", tasks.index_entities)),
        MESSAGES_WRITTEN.plug(tasks.schedule_chat),
        CHANGED.plug(tasks.schedule_entities),
    ),
)
