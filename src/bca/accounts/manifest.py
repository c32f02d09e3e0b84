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
from bca.core.personal import PERSONAL_DATA, ByUser, Personal, Through


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
        PERSONAL_DATA.plug(Personal(User, (ByUser("id"),), secret=frozenset({"password_hash"}))),
        PERSONAL_DATA.plug(
            Personal(AuthSession, (ByUser("user_id"),), secret=frozenset({"push_token"}))
        ),
        PERSONAL_DATA.plug(
            Personal(
                RefreshToken,
                (Through("session_id", AuthSession, ByUser("user_id")),),
                export=None,
                note="hashes of secrets: erased, never exported",
            )
        ),
        PERSONAL_DATA.plug(
            Personal(
                EmailToken,
                (ByUser("user_id"),),
                export=None,
                note="hashes of secrets: erased, never exported",
            )
        ),
        PERSONAL_DATA.plug(
            Personal(AppPassword, (ByUser("user_id"),), secret=frozenset({"secret_hash"}))
        ),
        PERSONAL_DATA.plug(Personal(SigninFailures, (ByUser("account_key", as_text=True),))),
    ),
)
