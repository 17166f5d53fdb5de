"""Entry point for ``python -m cx``."""

import os
import sys


def _keep_freed_memory() -> None:
    """Ask glibc to keep freed memory for reuse instead of handing it back to the kernel at once.

    A run allocates and frees hundreds of MB (the file, the parsed table, cleaned columns); memory the
    kernel must supply afresh costs page faults and zeroing, which on a virtual machine can take longer
    than the analysis itself. Blocks up to 32 MB come from the heap, and its top is not trimmed below
    4 GB. No effect where malloc is not glibc's.
    """
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
    mallopt(m_mmap_threshold, 32 << 20)
    mallopt(m_trim_threshold, 4 << 30)
    mallopt(m_top_pad, 256 << 20)


_keep_freed_memory()
# The command line's matrices are small (drivers × drivers): one BLAS thread, not a pool that spins on
# the cores the CSV parser and the comment coding use. Set before NumPy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from cx.cli import main  # noqa: E402

status = main()
try:
    sys.stdout.flush()
    sys.stderr.flush()
except BrokenPipeError:  # the reader stopped early (e.g. `| head`): nothing left to say
    pass
# Leave without tearing down the native thread pools (Arrow's, BLAS'): under a tight memory limit their
# teardown can abort the process after the answer was written, turning exit status 2 into a crash.
os._exit(status)
