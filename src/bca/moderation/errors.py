from bca.core.errors import Conflict, NotFound


class ReportTargetNotFound(NotFound):
    detail = "The reported item does not exist or is not visible to you."


class ReportAlreadyResolved(Conflict):
    code = "already_resolved"
    detail = "This report was resolved already."


class NotApplicable(Conflict):
    code = "not_applicable"
    detail = "This action does not apply to what the report names."
