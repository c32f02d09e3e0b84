"""The admin domain (its API, audit records and console pages) as the service assembles it
(see ``bca.core.domain``). The console itself is mounted by the app with every domain's
``console_views``."""

from __future__ import annotations

from bca.admin import erasure
from bca.admin.models import AuditRecord
from bca.core.domain import Domain, Web
from bca.core.personal import PERSONAL_DATA, ByUser, Personal


def _web() -> Web:
    from bca.admin import routes, views

    return Web(routers=(routes.router,), console_views=views.VIEWS)


MANIFEST = Domain(
    name="admin",
    web=_web,
    models=(AuditRecord,),
    plugs=(
        PERSONAL_DATA.plug(
            Personal(
                AuditRecord,
                (ByUser("actor_id"),),
                erase=erasure.unname_actor,
                note="what they did as an operator stays, by an erased user",
            )
        ),
    ),
)
