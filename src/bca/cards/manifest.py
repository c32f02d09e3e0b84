"""The cards domain (cards, share links, wallets) as the service assembles it (see
``bca.core.domain``)."""

from __future__ import annotations

from bca.backends.tasks import TASKS, Task
from bca.cards import service, sync, verification, visibility
from bca.cards.models import Card, CardEmailVerification, CardShareLink, Subscription
from bca.core.domain import Domain, Web
from bca.core.personal import PERSONAL_DATA, ByUser, Personal, Through
from bca.files.uses import EXPOSURES
from bca.profiles.hooks import BLOCKED, PROFILE_REMOVED
from bca.profiles.personal import of_profile
from bca.profiles.sync import LINKS
from bca.profiles.visibility import REACHES
from bca.sync.entities import ENTITIES


def _web() -> Web:
    from bca.cards import routes, verification_routes

    return Web(
        routers=(
            routes.router,
            verification_routes.router,
            routes.public_router,
            verification_routes.page_router,
        )
    )


_OF_THEIR_CARD = Through("card_id", Card, of_profile("profile_id"))

MANIFEST = Domain(
    name="cards",
    web=_web,
    models=(Card, CardShareLink, Subscription, CardEmailVerification),
    plugs=(
        ENTITIES.plug(sync.CARD),
        ENTITIES.plug(sync.SUBSCRIPTION),
        PROFILE_REMOVED.plug(service.cards_go_with_their_profile),
        BLOCKED.plug(service.block_empties_wallets),
        EXPOSURES.plug(visibility.card_preview),
        REACHES.plug(sync.WALLET_REACH),
        LINKS.plug(sync.WALLET_LINK),
        PERSONAL_DATA.plug(Personal(Card, (of_profile("profile_id"),))),
        PERSONAL_DATA.plug(Personal(CardShareLink, (_OF_THEIR_CARD,))),
        PERSONAL_DATA.plug(
            Personal(
                Subscription,
                (of_profile("profile_id"), _OF_THEIR_CARD),
                exported=(of_profile("profile_id"),),
                note="their wallet, and others' subscriptions to their cards",
            )
        ),
        # Pending codes of their cards' addresses (verified ones live on the card row).
        PERSONAL_DATA.plug(
            Personal(
                CardEmailVerification,
                (ByUser("user_id"), _OF_THEIR_CARD),
                secret=frozenset({"code_hash", "token_hash"}),
            )
        ),
        TASKS.plug(
            Task("cards.expire_verifications", verification.expire_verifications, every=3600)
        ),
    ),
)
