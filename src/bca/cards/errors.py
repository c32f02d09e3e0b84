from bca.core.errors import AppError, Conflict, Forbidden, NotFound


class CardNotFound(NotFound):
    detail = "The card does not exist or is not visible to you."


class NotYourCard(Forbidden):
    detail = "This card belongs to someone else."


class CardLimitReached(Conflict):
    code = "limit_reached"
    detail = "A profile may hold at most 100 cards."


class ShareLinkNotFound(NotFound):
    detail = "This card has no active share link."


class SubscriptionNotFound(NotFound):
    detail = "This card is not in this wallet."


class NotSubscribersOwner(Forbidden):
    detail = "Only the card's owner may list its subscribers."


class EmailNotOnCard(Conflict):
    code = "email_not_on_card"
    detail = "This address is not one of the card's email addresses."


class InvalidVerificationCode(AppError):
    code = "invalid_code"
    detail = "The code is wrong or has expired; ask for a new one if it expired."


class VerificationAttemptsExhausted(Conflict):
    code = "attempts_exhausted"
    detail = "Too many wrong codes: ask for a new code."
