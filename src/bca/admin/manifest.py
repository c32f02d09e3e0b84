"""The admin domain (its API, audit records and console pages) as the service assembles it
(see ``bca.core.domain``). The console itself is mounted by the app with every domain's
``console_views``."""

from __future__ import annotations

from bca.admin.models import AuditRecord
from bca.core.domain import Domain, Web


def _web() -> Web:
    from bca.admin import routes, views

    return Web(routers=(routes.router,), console_views=views.VIEWS)


MANIFEST = Domain(
    name="admin",
    web=_web,
    models=(AuditRecord,),
)
