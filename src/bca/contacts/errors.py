from bca.core.errors import Conflict, NotFound


class ContactNotFound(NotFound):
    detail = "The contact does not exist or is not yours."


class ContactLimitReached(Conflict):
    code = "limit_reached"
    detail = "A profile may keep at most 10000 contacts."
