"""AppTest entry: runs app.py from a folder without a `pages/` directory.

AppTest resets Streamlit's "pages folder" detection before every run; started from the project
root it would run page files without app.py. From here, app.py's `st.navigation` is in charge.
"""

import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
runpy.run_path(str(ROOT / "app.py"), run_name="__main__")
