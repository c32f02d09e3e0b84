from bca.core.errors import AppError, Conflict, Forbidden, NotFound


class ProfileNotFound(NotFound):
    detail = "The profile does not exist or is not visible to you."


class NotYourProfile(Forbidden):
    detail = "This profile belongs to someone else."


class ProfileLimitReached(Conflict):
    code = "limit_reached"
    detail = "A user may keep at most 20 profiles."


class Blocked(AppError):
    status = 403
    code = "blocked"
    detail = "This profile blocked you."


class SelfRelation(AppError):
    """Relations are between different people: a profile of the caller cannot be the target."""

    status = 422
    code = "validation_error"
    detail = "A profile cannot relate to itself or to another profile of the same user."

    def __init__(self) -> None:
        super().__init__(extra={"errors": [{"loc": ["path", "target"], "msg": self.detail}]})


class RelationNotFound(NotFound):
    detail = "There is no such relation."


class FollowRequestNotFound(NotFound):
    detail = "There is no pending follow request from this profile."
