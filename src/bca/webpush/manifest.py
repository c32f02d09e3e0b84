"""The Web Push domain as the service assembles it (see ``bca.core.domain``)."""

from __future__ import annotations

from bca.core.domain import Domain
from bca.webpush import routes
from bca.webpush.models import WebPushSubscription

MANIFEST = Domain(
    name="webpush",
    models=(WebPushSubscription,),
    routers=(routes.router,),
)
