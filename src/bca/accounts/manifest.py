"""The accounts domain as the service assembles it (see ``bca.core.domain``)."""

from __future__ import annotations

from bca.accounts import tasks
from bca.accounts.models import (
    AppPassword,
    AuthSession,
    EmailToken,
    RefreshToken,
    SigninFailures,
    User,
)
from bca.backends.tasks import TASKS, Task
from bca.core.domain import Domain, Web


def _web() -> Web:
    from bca.accounts import pages, routes

    return Web(routers=(routes.router, pages.router))


MANIFEST = Domain(
    name="accounts",
    web=_web,
    models=(User, AuthSession, RefreshToken, EmailToken, AppPassword, SigninFailures),
    plugs=(
        TASKS.plug(Task("accounts.send_email", tasks.send_email)),
        TASKS.plug(Task("accounts.purge_signin_failures", tasks.purge_signin_failures, every=3600)),
    ),
)
