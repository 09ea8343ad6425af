"""One-line descriptions of the errors a command can end with (pure)."""

from __future__ import annotations

from aura_async._errors import (
    AuraError,
    AuthenticationError,
    OutcomeUnknownError,
)

__all__ = ["CREDENTIALS_HINT", "CommandError", "describe_error", "is_rejected_credential"]

TOKEN_PATH = "/oauth/token"

CREDENTIALS_HINT = (
    "check --client-id/--client-secret (or AURA_CLIENT_ID/AURA_CLIENT_SECRET), or try --emulator"
)


class CommandError(Exception):
    """A command cannot go on; its message is the one line shown to the user.

    Args:
        message: What went wrong and, where it helps, what to do about it.
    """


def is_rejected_credential(error: BaseException) -> bool:
    """Tell whether the token endpoint rejected the client id or secret.

    Args:
        error: Any exception.

    Returns:
        True for an :class:`AuthenticationError` answered by ``/oauth/token``.
    """
    if not isinstance(error, AuthenticationError):
        return False
    return (error.url or "").rstrip("/").endswith(TOKEN_PATH)


def describe_error(error: BaseException) -> str:
    """Return a one-line, secret-free description of ``error`` for the terminal.

    Args:
        error: What a command raised (an :class:`AuraError`, a :class:`CommandError`,
            or an unexpected exception, described by its type and message).

    Returns:
        One line of text, without the ``error:`` prefix.
    """
    if is_rejected_credential(error):
        return f"the API rejected the client credentials (401 Unauthorized): {CREDENTIALS_HINT}"
    if isinstance(error, OutcomeUnknownError):
        text = f"{error}; it may or may not have been applied: check before trying again"
    elif isinstance(error, AuraError | CommandError):
        text = str(error)
    else:
        text = f"unexpected {type(error).__name__}: {error} (run with --debug for the traceback)"
    return _one_line(text)


def _one_line(text: str) -> str:
    return " ".join(text.split())
