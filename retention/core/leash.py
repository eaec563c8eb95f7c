"""`retention-dbt`: the dbt of this venv, on a leash: it dies the moment its parent dies.

Dagster's DbtCliResource starts dbt as a child of the run's process. When that process is
killed with SIGKILL, dbt used to live on as an orphan and keep writing to the warehouse after
the warehouse lock (held by the dead parent) was released. This wrapper asks the kernel to
send SIGKILL to it when its parent thread exits (Linux `PR_SET_PDEATHSIG`), checks the parent
did not die before that was in place, and then execs the real `dbt` (the setting survives
exec), so there is no extra process and `retention-dbt --version` answers like dbt.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Have the kernel SIGKILL this process when its parent exits (no-op off Linux)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")


def main() -> None:
    """Put this process on the leash, then become `dbt` with the same arguments."""
    parent = os.getppid()
    _die_with_parent()
    if parent == 1 or os.getppid() != parent:
        sys.exit(137)  # the parent is already gone: nobody holds the warehouse lock for us
    dbt = Path(sys.executable).with_name("dbt")
    os.execv(dbt, [str(dbt), *sys.argv[1:]])


if __name__ == "__main__":
    main()
