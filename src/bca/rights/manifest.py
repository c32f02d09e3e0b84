"""The rights domain (residue, erasure, exports) as the service assembles it (see
``bca.core.domain``)."""

from __future__ import annotations

from bca.backends.tasks import TASKS, Task
from bca.core.domain import Domain, Web
from bca.core.personal import PERSONAL_DATA, PERSONAL_STORAGE, ByUser, Personal, StoragePrefix
from bca.rights import erasure, service, tasks
from bca.rights.models import DataExport


def _web() -> Web:
    from bca.rights import routes

    return Web(routers=(routes.router,))


MANIFEST = Domain(
    name="rights",
    web=_web,
    models=(DataExport,),
    plugs=(
        TASKS.plug(Task("rights.build_export", tasks.build_export)),
        TASKS.plug(Task("rights.purge_exports", tasks.purge_exports, every=3600)),
        PERSONAL_DATA.plug(
            Personal(DataExport, (ByUser("user_id"),), export=None, objects="storage_key")
        ),
        PERSONAL_STORAGE.plug(
            StoragePrefix("exports", service.export_prefix, "each user's export ZIPs")
        ),
        TASKS.plug(Task("rights.erase_user", erasure.erase_user_task)),
        TASKS.plug(Task("rights.erase_due", erasure.erase_due, every=3600)),
    ),
)
