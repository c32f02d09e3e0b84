"""The files domain as the service assembles it (see ``bca.core.domain``)."""

from __future__ import annotations

from bca.core.domain import Domain
from bca.files import routes
from bca.files.models import StoredFile

MANIFEST = Domain(name="files", models=(StoredFile,), routers=(routes.router,))
