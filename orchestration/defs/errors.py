"""A mistake the user can fix fails its step with the one-line error, not a traceback.

Dagster shows an exception raised in an asset as a chain of tracebacks ending in the message
(`DagsterExecutionStepExecutionError ... The above exception was caused by ...`), in the UI and
in `dg launch` / `dagster asset materialize` output. Inside `one_line_failure()`, a `UserError`
(a missing API key, a bad input file) becomes a `dg.Failure` whose description is that one line
and whose metadata names the error's class, so `orchestration.pipeline.raise_user_error` can
raise the same error again in the CLI.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from retention.core.errors import UserError

USER_ERROR_KEY = "user_error"


@contextmanager
def one_line_failure() -> Iterator[None]:
    """Turn a `UserError` raised in the block into a `dg.Failure` holding its one line."""
    try:
        yield
    except UserError as error:
        raise dg.Failure(
            description=str(error),
            metadata={USER_ERROR_KEY: type(error).__name__},
            allow_retries=False,
        ) from None
