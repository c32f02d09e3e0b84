"""The profiles domain as the service assembles it (see ``bca.core.domain``)."""

from __future__ import annotations

from bca.accounts.hooks import ACCOUNT_CREATED, ACCOUNT_SHOWN_OR_HIDDEN
from bca.core.domain import Domain, Web
from bca.core.personal import PERSONAL_DATA, ByUser, Personal
from bca.files.uses import EXPOSURES
from bca.profiles import service, sync, visibility
from bca.profiles.models import Profile, Relation
from bca.profiles.personal import of_profile
from bca.sync.entities import ENTITIES


def _web() -> Web:
    from bca.profiles import routes

    return Web(routers=(routes.router,))


MANIFEST = Domain(
    name="profiles",
    web=_web,
    models=(Profile, Relation),
    plugs=(
        ENTITIES.plug(sync.PROFILE),
        ENTITIES.plug(sync.RELATION),
        ACCOUNT_CREATED.plug(service.create_first_profile),
        ACCOUNT_SHOWN_OR_HIDDEN.plug(sync.record_account_change),
        EXPOSURES.plug(visibility.profile_image),
        visibility.REACHES.plug(visibility.RELATION_REACH),
        PERSONAL_DATA.plug(Personal(Profile, (ByUser("user_id"),))),
        PERSONAL_DATA.plug(
            Personal(
                Relation,
                (of_profile("profile_id"), of_profile("target_id")),
                exported=(of_profile("profile_id"),),
                note="both ways; their export holds only their own (not who blocked them)",
            )
        ),
    ),
)
