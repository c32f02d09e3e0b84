"""The free-mail domains: an address there proves that someone reads it, not who employs them.

A verified address at one of these domains shows ``work: false`` (``bca.cards.verification``).
The list is kept by hand: add a domain in lower case, in its group, with no subdomain (a
subdomain of a listed domain counts as listed: ``mail.yahoo.co.jp`` is under ``yahoo.co.jp``).
"""

from __future__ import annotations

FREE_MAIL_DOMAINS: frozenset[str] = frozenset(
    {
        # Korea
        "naver.com",
        "daum.net",
        "hanmail.net",
        "kakao.com",
        "nate.com",
        "korea.com",
        "hanmir.com",
        "dreamwiz.com",
        # Japan, China
        "yahoo.co.jp",
        "docomo.ne.jp",
        "ezweb.ne.jp",
        "qq.com",
        "163.com",
        "126.com",
        "sina.com",
        "foxmail.com",
        # worldwide
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "ymail.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "proton.me",
        "protonmail.com",
        "pm.me",
        "gmx.com",
        "gmx.net",
        "gmx.de",
        "web.de",
        "mail.com",
        "mail.ru",
        "yandex.com",
        "yandex.ru",
        "zoho.com",
        "tutanota.com",
        "fastmail.com",
        "hey.com",
    }
)


def is_free_mail(domain: str) -> bool:
    """Whether ``domain`` (lower case) is a free-mail domain or one of its subdomains."""
    parts = domain.lower().rstrip(".").split(".")
    return any(".".join(parts[index:]) in FREE_MAIL_DOMAINS for index in range(len(parts) - 1))
