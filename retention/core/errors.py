"""Errors a user can act on. The CLI prints them as one line (no traceback unless --debug)."""


class UserError(Exception):
    """Something the user can fix: the message says what was wrong, where, and what to do."""

    exit_code = 1


class InputError(UserError):
    """Bad input files, formats or arguments (exit code 2)."""

    exit_code = 2
