"""Entry point for ``python -m cx``."""

import os
import sys

from cx.cli import main

status = main()
try:
    sys.stdout.flush()
    sys.stderr.flush()
except BrokenPipeError:  # the reader stopped early (e.g. `| head`): nothing left to say
    pass
# Leave without tearing down the native thread pools (Arrow's, BLAS'): under a tight memory limit their
# teardown can abort the process after the answer was written, turning exit status 2 into a crash.
os._exit(status)
