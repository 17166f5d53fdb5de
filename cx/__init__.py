"""CX Workbench analysis engine: plain Python, no Streamlit (except `cx.ui`).

Pages and the `python -m cx` command call the same functions, so the numbers on screen and in the
JSON are the same numbers.
"""

import os

__version__ = "0.1.0"

# NumPy asks the kernel for huge pages on large arrays; where the kernel then compacts memory on the
# spot (transparent_hugepage/defrag = madvise, common on Linux), a 1M-row load stalls at random by up
# to 3x. Plain pages are steadier. The variable counts when numpy is not loaded yet, the call after.
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
if "numpy" in __import__("sys").modules and os.environ["NUMPY_MADVISE_HUGEPAGE"] == "0":
    try:
        from numpy._core.multiarray import _set_madvise_hugepage

        _set_madvise_hugepage(False)
    except ImportError:  # a numpy without the switch: keep its default
        pass
