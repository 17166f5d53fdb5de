"""CX Workbench analysis engine: plain Python, no Streamlit (except `cx.ui`).

Pages and the `python -m cx` command call the same functions, so the numbers on screen and in the
JSON are the same numbers.
"""

__version__ = "0.1.0"
