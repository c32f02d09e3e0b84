"""The contacts domain as the service assembles it (see ``bca.core.domain``)."""

from __future__ import annotations

from bca.contacts import routes, service, sync
from bca.contacts.models import Contact
from bca.core.domain import Domain
from bca.profiles.hooks import PROFILE_REMOVED
from bca.sync.entities import ENTITIES

MANIFEST = Domain(
    name="contacts",
    models=(Contact,),
    routers=(routes.router,),
    plugs=(
        ENTITIES.plug(sync.CONTACT),
        PROFILE_REMOVED.plug(service.contacts_go_with_their_profile),
    ),
)
