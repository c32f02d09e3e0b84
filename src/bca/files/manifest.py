"""The files domain as the service assembles it (see ``bca.core.domain``)."""

from __future__ import annotations

from bca.core.domain import Domain, Web
from bca.core.personal import PERSONAL_DATA, ByUser, Personal
from bca.files.models import StoredFile


def _web() -> Web:
    from bca.files import routes

    return Web(routers=(routes.router,))


MANIFEST = Domain(
    name="files",
    web=_web,
    models=(StoredFile,),
    plugs=(
        PERSONAL_DATA.plug(Personal(StoredFile, (ByUser("owner_user_id"),), objects="storage_key")),
    ),
)
