from bca.core.errors import AppError, Conflict, NotFound, Unauthorized


class EmailTaken(Conflict):
    code = "email_taken"
    detail = "An account with this email address exists."


class UsernameTaken(Conflict):
    code = "username_taken"
    detail = "This username is taken."


class AlreadyVerified(Conflict):
    code = "already_verified"
    detail = "The email address is already verified."


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    detail = "The login or password is wrong."
    # The failure's count towards the lockout (bca.accounts.lockout) must be kept.
    commit_anyway = True


class InvalidToken(AppError):
    """A mailed token (verification, reset) that is unknown, used or expired."""

    status = 400
    code = "invalid_token"
    detail = "The token is not valid, already used, or expired."


class InvalidRefreshToken(Unauthorized):
    code = "invalid_token"
    detail = "The refresh token is not valid."


class RefreshTokenReused(Unauthorized):
    code = "token_reused"
    detail = "This refresh token was already used; the session has been revoked."
    # The session's revocation must be kept even though the request fails.
    commit_anyway = True


class EmailUnverified(AppError):
    status = 403
    code = "email_unverified"
    detail = "Verify your email address before signing in."


class AccountLocked(AppError):
    status = 423
    code = "account_locked"
    detail = "This account is locked."


class WeakPassword(AppError):
    status = 422
    code = "validation_error"
    detail = "The password does not meet the rules."

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, extra={"errors": [{"loc": ["body", field], "msg": message}]})


class AppPasswordLimitReached(Conflict):
    code = "limit_reached"
    detail = "An account may have at most 50 app passwords; revoke one first."


class BasicAuthRequired(AppError):
    """HTTP Basic with the login and an app password (CardDAV clients)."""

    status = 401
    code = "unauthorized"
    detail = "Sign in with your username (or email) and an app password."
    # A wrong app password's count towards the lockout (bca.accounts.lockout) must be kept.
    commit_anyway = True

    def __init__(self) -> None:
        super().__init__(headers={"WWW-Authenticate": 'Basic realm="B.Ca", charset="UTF-8"'})


class UserNotFound(NotFound):
    """An operator named an account that does not exist (the message says how it was named)."""


class ResendFormInvalid(AppError):
    status = 422
    code = "validation_error"
    detail = "Send either a bearer token (signed in) or a body {login}, not both."

    def __init__(self) -> None:
        super().__init__(extra={"errors": [{"loc": ["body"], "msg": self.detail}]})
