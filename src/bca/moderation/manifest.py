"""The moderation domain (reports of messages, profiles and cards, and their outcomes) as the
service assembles it (see ``bca.core.domain``). The moderator's queue and actions are the
admin console's (``bca.admin.views.ReportView``, ``bca.admin.actions``)."""

from __future__ import annotations

from bca.core.domain import Domain
from bca.moderation import routes
from bca.moderation.models import Report

MANIFEST = Domain(
    name="moderation",
    models=(Report,),
    routers=(routes.router,),
)
