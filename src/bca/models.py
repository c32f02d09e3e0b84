"""Imports every domain's tables so that the metadata (and Alembic) sees the whole schema."""

from bca.accounts import models as accounts_models
from bca.admin import models as admin_models
from bca.cards import models as cards_models
from bca.chat import models as chat_models
from bca.core.db import Base
from bca.files import models as files_models
from bca.profiles import models as profiles_models
from bca.sync import models as sync_models

metadata = Base.metadata

__all__ = [
    "accounts_models",
    "admin_models",
    "cards_models",
    "chat_models",
    "files_models",
    "metadata",
    "profiles_models",
    "sync_models",
]
