"""The card-scan domain as the service assembles it (see ``bca.core.domain``)."""

from __future__ import annotations

from bca.backends.tasks import TASKS, Task
from bca.core.domain import Domain
from bca.files.uses import KEEPERS
from bca.scans import repository, routes, tasks
from bca.scans.models import Scan

MANIFEST = Domain(
    name="scans",
    models=(Scan,),
    routers=(routes.router,),
    plugs=(
        TASKS.plug(Task("scans.read_card", tasks.read_scan)),
        TASKS.plug(Task("scans.fail_stalled", tasks.fail_stalled, every=300)),
        KEEPERS.plug(repository.scan_photo_kept),
    ),
)
