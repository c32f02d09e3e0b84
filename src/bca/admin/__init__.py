"""Administration: the audit trail of operators' actions and the web console at ``/admin``."""
