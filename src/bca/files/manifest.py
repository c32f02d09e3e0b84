"""The files domain as the service assembles it (see ``bca.core.domain``)."""

from __future__ import annotations

from bca.core.domain import Domain, Web
from bca.files.models import StoredFile


def _web() -> Web:
    from bca.files import routes

    return Web(routers=(routes.router,))


MANIFEST = Domain(name="files", web=_web, models=(StoredFile,))
