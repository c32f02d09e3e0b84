"""The one place every domain's declarations are collected, by importing their modules.

- tables: every model, so that foreign keys resolve and Alembic sees the whole schema
  (``metadata``);
- tasks: every ``@task`` (``bca.backends.tasks.REGISTRY``), in the API and in workers;
- offline sync: every entity spec (``bca.sync.entities.REGISTRY``, in this order: the snapshot
  file's tables follow it) and the links domains lend each other for the change log;
- hooks: what a domain does when something of a domain below it happens (an account created,
  a profile removed), registered by the services that do it.

Entry points import this module (through ``bca.wiring``); domains never do.
"""

from bca.accounts import models as accounts_models
from bca.accounts import tasks as accounts_tasks
from bca.admin import models as admin_models
from bca.cards import models as cards_models
from bca.cards import service as cards_service
from bca.cards import sync as cards_sync
from bca.chat import models as chat_models
from bca.chat import repository as chat_repository
from bca.chat import sync as chat_sync
from bca.chat import tasks as chat_tasks
from bca.contacts import models as contacts_models
from bca.contacts import service as contacts_service
from bca.contacts import sync as contacts_sync
from bca.core.db import Base
from bca.files import models as files_models
from bca.profiles import models as profiles_models
from bca.profiles import service as profiles_service
from bca.profiles import sync as profiles_sync
from bca.scans import models as scans_models
from bca.scans import tasks as scans_tasks
from bca.sync import hooks as sync_hooks
from bca.sync import models as sync_models
from bca.sync import tasks as sync_tasks

metadata = Base.metadata

__all__ = [
    "accounts_models",
    "accounts_tasks",
    "admin_models",
    "cards_models",
    "cards_service",
    "cards_sync",
    "chat_models",
    "chat_repository",
    "chat_sync",
    "chat_tasks",
    "contacts_models",
    "contacts_service",
    "contacts_sync",
    "files_models",
    "metadata",
    "profiles_models",
    "profiles_service",
    "profiles_sync",
    "scans_models",
    "scans_tasks",
    "sync_hooks",
    "sync_models",
    "sync_tasks",
]
