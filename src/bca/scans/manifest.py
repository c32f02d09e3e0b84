"""The card-scan domain as the service assembles it (see ``bca.core.domain``)."""

from __future__ import annotations

from bca.backends.tasks import TASKS, Task
from bca.core.domain import Domain, Web
from bca.core.personal import PERSONAL_DATA, Personal
from bca.files.uses import KEEPERS
from bca.profiles.personal import of_profile
from bca.scans import repository, tasks
from bca.scans.models import Scan


def _web() -> Web:
    from bca.scans import routes

    return Web(routers=(routes.router,))


MANIFEST = Domain(
    name="scans",
    web=_web,
    models=(Scan,),
    plugs=(
        TASKS.plug(Task("scans.read_card", tasks.read_scan)),
        TASKS.plug(Task("scans.fail_stalled", tasks.fail_stalled, every=300)),
        KEEPERS.plug(repository.scan_photo_kept),
        PERSONAL_DATA.plug(Personal(Scan, (of_profile("profile_id"),))),
    ),
)
