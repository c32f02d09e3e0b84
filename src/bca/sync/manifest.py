"""The offline-sync domain as the service assembles it (see ``bca.core.domain``). The entity
types themselves are declared by the domains that own them."""

from __future__ import annotations

from bca.accounts.hooks import ACCOUNT_CREATED
from bca.backends.tasks import TASKS, Task
from bca.core.domain import Domain, Web
from bca.core.personal import PERSONAL_DATA, PERSONAL_STORAGE, ByUser, Personal, StoragePrefix
from bca.sync import hooks, tasks
from bca.sync.models import Change, ChangeCounter, HeldEntity, Snapshot
from bca.sync.snapshots import snapshot_prefix


def _web() -> Web:
    from bca.sync import routes

    return Web(routers=(routes.router,))


MANIFEST = Domain(
    name="sync",
    web=_web,
    models=(ChangeCounter, Change, Snapshot, HeldEntity),
    hot=True,
    plugs=(
        ACCOUNT_CREATED.plug(hooks.start_change_log),
        TASKS.plug(Task("sync.update_snapshot", tasks.update_snapshot)),
        TASKS.plug(Task("sync.compact_changes", tasks.compact_changes, every=3600)),
        PERSONAL_DATA.plug(Personal(ChangeCounter, (ByUser("user_id"),), export=None)),
        PERSONAL_DATA.plug(Personal(Change, (ByUser("user_id"),), export=None)),
        PERSONAL_DATA.plug(
            Personal(Snapshot, (ByUser("user_id"),), export=None, objects="storage_key")
        ),
        PERSONAL_DATA.plug(Personal(HeldEntity, (ByUser("user_id"),), export=None)),
        PERSONAL_STORAGE.plug(
            StoragePrefix("sync snapshots", snapshot_prefix, "each user's snapshot files")
        ),
    ),
)
