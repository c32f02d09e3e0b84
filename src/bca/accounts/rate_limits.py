"""The accounts' rate limits (sign-in, sign-up, mailed links, availability, CardDAV failures):
fixed windows kept in the cache (``bca.core.ratelimit``), off with ``BCA_RATE_LIMIT_ENABLED``;
the failed-sign-in lockout, always on, is ``lockout``."""

from __future__ import annotations

from bca.backends import Backends
from bca.core.ratelimit import RateLimiter


def rate_limiter(backends: Backends) -> RateLimiter:
    return RateLimiter(backends.cache, enabled=backends.settings.rate_limit_enabled)
