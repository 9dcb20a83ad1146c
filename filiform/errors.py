"""The exception tree shared by every layer.

Each error carries an HTTP-like ``status`` and a stable machine ``code`` so that the API,
the web pages and the CLI can map one domain failure to one clear message without
re-deciding what went wrong.
"""

from __future__ import annotations


class FiliformError(Exception):
    """Root of every error Filiform raises on purpose."""

    status: int = 400
    code: str = "filiform_error"

    def __init__(self, message: str, *, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = list(details or [])

    def __str__(self) -> str:
        if not self.details:
            return self.message
        return self.message + "\n" + "\n".join(f"  - {d}" for d in self.details)


class ValidationFailed(FiliformError):
    """Input that does not fit the model: the caller can fix it."""

    status = 422
    code = "validation_failed"


class InvalidParameter(FiliformError):
    """A request parameter the server cannot honour (e.g. a Bulk Data ``_type``): a 400, not a guess."""

    status = 400
    code = "invalid_parameter"


class NotFound(FiliformError):
    """A referenced record or knowledge-base id does not exist (or is not visible)."""

    status = 404
    code = "not_found"


class Conflict(FiliformError):
    """The request contradicts the current state (duplicate, stale amendment...)."""

    status = 409
    code = "conflict"


class PermissionDenied(FiliformError):
    """The user's role or clinic does not allow this action."""

    status = 403
    code = "permission_denied"


class SafetyBlock(FiliformError):
    """A safety rule forbids the action; reasons are in ``details``."""

    status = 409
    code = "safety_block"


class DatabaseContended(FiliformError):
    """The database could not take this unit of work now: a lock wait ran out, or
    PostgreSQL broke a deadlock or a serialisation conflict by rolling it back.

    Nothing of it was saved (the transaction rolled back as a whole), so sending the same
    request again is safe; faces say so instead of showing an internal error.
    """

    status = 503
    code = "database_contended"


class KnowledgeBaseError(FiliformError):
    """The shipped or a local knowledge base is malformed or inconsistent."""

    status = 500
    code = "knowledge_base_error"


class ExportFailed(FiliformError):
    """A background export raised; its status URL reports it as a server error."""

    status = 500
    code = "export_failed"
