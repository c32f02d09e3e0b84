"""The contacts domain as the service assembles it (see ``bca.core.domain``)."""

from __future__ import annotations

from bca.contacts import service, sync
from bca.contacts.models import Contact
from bca.core.domain import Domain, Web
from bca.core.personal import PERSONAL_DATA, Personal
from bca.profiles.hooks import PROFILE_REMOVED
from bca.profiles.personal import of_profile
from bca.sync.entities import ENTITIES


def _web() -> Web:
    from bca.contacts import routes

    return Web(routers=(routes.router,))


MANIFEST = Domain(
    name="contacts",
    web=_web,
    models=(Contact,),
    plugs=(
        ENTITIES.plug(sync.CONTACT),
        PROFILE_REMOVED.plug(service.contacts_go_with_their_profile),
        PERSONAL_DATA.plug(Personal(Contact, (of_profile("profile_id"),))),
    ),
)
