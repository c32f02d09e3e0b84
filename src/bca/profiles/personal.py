"""How a row refers to a user through one of their profiles (``bca.core.personal``)."""

from __future__ import annotations

from bca.core.personal import ByUser, Through
from bca.profiles.models import Profile


def of_profile(column: str) -> Through:
    """``table.<column>`` is one of the user's profiles (deleted ones included)."""
    return Through(column, Profile, ByUser("user_id"))
