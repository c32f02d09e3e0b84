"""Imports every domain's task module so that each task is registered, in the API and workers."""

from bca.accounts import tasks as accounts_tasks
from bca.chat import tasks as chat_tasks
from bca.sync import tasks as sync_tasks

__all__ = ["accounts_tasks", "chat_tasks", "sync_tasks"]
