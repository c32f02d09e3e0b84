"""The moderation domain (reports of messages, profiles and cards, and their outcomes) as the
service assembles it (see ``bca.core.domain``). The moderator's queue and actions are the
admin console's (``bca.admin.views.ReportView``, ``bca.admin.actions``)."""

from __future__ import annotations

from bca.core.domain import Domain, Web
from bca.core.personal import PERSONAL_DATA, ByUser, Personal
from bca.moderation.models import Report


def _web() -> Web:
    from bca.moderation import routes

    return Web(routers=(routes.router,))


MANIFEST = Domain(
    name="moderation",
    web=_web,
    models=(Report,),
    plugs=(
        PERSONAL_DATA.plug(
            Personal(
                Report,
                (ByUser("reporter_user_id"), ByUser("reported_user_id")),
                exported=(ByUser("reporter_user_id"),),
                note="their reports, and reports about them: erased with either account, "
                "exported to the reporter only (nobody learns who reported them)",
            )
        ),
    ),
)
