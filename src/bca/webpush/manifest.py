"""The Web Push domain as the service assembles it (see ``bca.core.domain``)."""

from __future__ import annotations

from bca.core.domain import Domain, Web
from bca.core.personal import PERSONAL_DATA, ByUser, Personal
from bca.webpush.models import WebPushSubscription


def _web() -> Web:
    from bca.webpush import routes

    return Web(routers=(routes.router,))


MANIFEST = Domain(
    name="webpush",
    web=_web,
    models=(WebPushSubscription,),
    plugs=(
        PERSONAL_DATA.plug(
            Personal(
                WebPushSubscription,
                (ByUser("user_id"),),
                secret=frozenset({"p256dh", "auth"}),
            )
        ),
    ),
)
