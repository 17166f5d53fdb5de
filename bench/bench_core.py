"""Core benchmarks on the 1,000,000-response survey: load, analyze, overview after a filter change.

Each measurement runs in a fresh process (so imports count and peak memory is that process's own),
repeated with the runs interleaved (bare, app, bare, app...), so a slow spell on a shared machine
hits both sides of a ratio; medians reported. Two comparisons:
- in-process: the app's load of the file's bytes (as an upload arrives) against pyarrow parsing the
  file, both after their imports;
- whole process: ``python -m cx analyze`` against ``python -c "import pyarrow.csv; read_csv(FILE)"``
  and against a minimal pandas script, each timed from outside, interpreter start and imports included.
The app is byte-compiled first (`make bytecode`, as installing a package does). Prints a Markdown
table; `bench/run_all.py` puts it in BENCHMARKS.md.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from big_survey import big_survey  # noqa: E402

PY = sys.executable
REPEAT = 7
# Whole-process pairs (analyze against the bare parse) are cheap and swing most: more of them, for a steady median.
PROCESS_PAIRS = 15

BARE = """
import io, resource, sys, time
import pyarrow.csv as pacsv
t = time.perf_counter()
table = pacsv.read_csv({path!r})
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, table.nbytes)
"""

APP_LOAD = """
import resource, sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
t0 = time.perf_counter()
from cx.load import read_survey
from cx.clean import inspect_survey, prepare_survey
import pandas
imports = time.perf_counter() - t0
data = Path({path!r}).read_bytes()  # an upload arrives in memory
t = time.perf_counter()
raw = read_survey(data, "survey.csv")
survey = prepare_survey(raw, inspection=inspect_survey(raw))
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
      int(survey.frame.memory_usage(deep=True).sum()), imports)
"""

BARE_PROCESS = "import pyarrow.csv as pacsv; pacsv.read_csv({path!r})"

PANDAS_MINIMAL = """
import sys, time
t = time.perf_counter()
import pandas as pd
df = pd.read_csv({path!r})
ltr = df["Likelihood to recommend"]
group = pd.cut(ltr, [-1, 6, 8, 10], labels=["D", "P", "Pr"])
nps = df.groupby(group, observed=True).size()
seg = df.assign(g=group).groupby(["Business unit", "g"], observed=True).size()
drivers = [c for c in df.columns if c not in ("Respondent ID", "Response date", "Business unit", "Region",
                                              "Account tier", "Annual revenue", "Comment")]
corr = df[drivers].corr()
themes = {{t: df["Comment"].str.contains(t, case=False, na=False).sum() for t in
          ["invoice|billing|credit note", "deliver|late|tracking", "support|ticket", "paperwork|approval",
           "quality|defect", "price|expensive", "account manager", "portal|logging"]}}
print(time.perf_counter() - t)
"""

OVERVIEW = """
import sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from cx.load import read_survey
from cx.clean import inspect_survey, prepare_survey
from cx.filters import FilterSpec, apply_filter
from cx.nps import nps_by_segment, nps_summary, nps_trend, score_distribution
raw = read_survey(Path({path!r}).read_bytes(), "survey.csv")
s = prepare_survey(raw, inspection=inspect_survey(raw))
r = s.roles
times = []
for region in ["EMEA", "APAC", "North America", "Latin America", "EMEA"]:
    t = time.perf_counter()
    v = apply_filter(s.frame, FilterSpec.build({{"Region": [region]}}), r.date)
    nps_summary(v, r.loyalty); score_distribution(v, r.loyalty)
    for seg in r.segments:
        nps_by_segment(v, r.loyalty, seg)
    nps_trend(v, r.loyalty, r.date)
    times.append(time.perf_counter() - t)
print(sorted(times)[len(times) // 2])
"""


def run(code: str) -> list[float]:
    out = subprocess.run([PY, "-c", code], capture_output=True, text=True, check=True)
    return [float(x) for x in out.stdout.split()]


def timed_command(args: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system, all threads) of a command run in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(args, capture_output=True, check=True, cwd=ROOT)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median(values: list[float]) -> float:
    return statistics.median(values)


def spread(ratios: list[float]) -> str:
    """The range of the paired ratios: on a shared machine single pairs swing well beyond the median."""
    return f"pairs {min(ratios):.2f}–{max(ratios):.2f}"


def main() -> None:
    subprocess.run([PY, "-m", "compileall", "-q", "cx"], cwd=ROOT, check=True)
    path = str(big_survey())
    size_mb = Path(path).stat().st_size / 1e6
    book = str(ROOT / "bench" / "codebook_8.csv")  # the 8 themes of the minimal script's str.contains
    bare, load, bare_proc, analyze, minimal = [], [], [], [], []
    for k in range(max(REPEAT, PROCESS_PAIRS)):
        if k < REPEAT:
            bare.append(run(BARE.format(path=path)))
            load.append(run(APP_LOAD.format(path=path, root=str(ROOT))))
            minimal.append(timed_command([PY, "-c", PANDAS_MINIMAL.format(path=path)])[0])
        bare_proc.append(timed_command([PY, "-c", BARE_PROCESS.format(path=path)]))
        analyze.append(timed_command([PY, "-m", "cx", "analyze", path, "--codebook", book]))
    overview = [run(OVERVIEW.format(path=path, root=str(ROOT)))[0] for _ in range(3)]
    out = json.loads(subprocess.run([PY, "-m", "cx", "analyze", path, "--codebook", book], capture_output=True,
                                    text=True, cwd=ROOT, check=True).stdout)
    b, l_ = median([x[0] for x in bare]), median([x[0] for x in load])
    load_ratios = [x[0] / y[0] for x, y in zip(load, bare)]
    bp, a, m = median([x[0] for x in bare_proc]), median([x[0] for x in analyze]), median(minimal)
    analyze_ratios = [x[0] / y[0] for x, y in zip(analyze, bare_proc)]
    under = sum(r < 2.5 for r in analyze_ratios)
    bp_cpu, a_cpu = median([x[1] for x in bare_proc]), median([x[1] for x in analyze])
    rows = [
        ("Bare pyarrow parse of the CSV (in the process, after `import pyarrow.csv`)", f"{b:.2f} s", "reference"),
        ("App's full load (read the bytes, detect format, infer roles, clean), as on upload, after imports",
         f"{l_:.2f} s", f"{median(load_ratios):.2f}× bare ({spread(load_ratios)}; goal < 1.5×)"),
        ("Imports the load needs (pandas, numpy, pyarrow; once per process, before any upload)",
         f"{median([x[3] for x in load]):.2f} s", ""),
        ("Peak memory of the full load", f"{median([x[1] for x in load]) / 1e6:,.0f} MB",
         f"{median([x[1] for x in load]) / median([x[2] for x in load]):.2f}× the cleaned frame "
         f"({median([x[2] for x in load]) / 1e6:,.0f} MB); bare parse peak {median([x[1] for x in bare]) / 1e6:,.0f} MB "
         f"for a {median([x[2] for x in bare]) / 1e6:,.0f} MB table"),
        ("Bare parse as a whole process: `python -c \"import pyarrow.csv; read_csv(FILE)\"`", f"{bp:.2f} s",
         "reference"),
        ("`python -m cx analyze` (NPS, segments, trend, 12-driver Shapley, 8-theme Pareto, revenue), whole process",
         f"{a:.2f} s",
         f"{median(analyze_ratios):.2f}× the bare parse process ({spread(analyze_ratios)}, {under} of "
         f"{len(analyze_ratios)} under 2.5×; goal < 2.5×)"),
        ("CPU time of those two processes (user + system, all threads)",
         f"{a_cpu:.2f} s against {bp_cpu:.2f} s",
         f"{a_cpu / bp_cpu:.2f}× (both keep every core busy, so the time ratio cannot stay far below this one)"),
        ("Minimal pandas script (read_csv, groupby NPS, correlations, str.contains per theme), whole process",
         f"{m:.2f} s", f"ours is {m / a:.2f}× as fast" if a < 0.98 * m else
         (f"level ({a / m:.2f}×)" if a <= 1.02 * m else f"ours is slower ({a / m:.2f}×)")),
        ("Overview recomputed after a filter change (NPS, distribution, 3 segment tables, trend)",
         f"{median(overview) * 1000:.0f} ms", "goal < 500 ms"),
    ]
    print(f"Survey: {out['n_rows']:,} responses, {size_mb:.0f} MB CSV, {len(out['columns']['drivers'])} drivers, "
          f"{out['themes']['comments']:,} comments, {len(out['themes']['items'])} themes coded. Ratios are medians "
          f"of the {REPEAT} paired runs ({PROCESS_PAIRS} for whole processes).\n")
    print("| measure | median | ratio |\n| --- | --- | --- |")
    for name, value, ratio in rows:
        print(f"| {name} | {value} | {ratio} |")


if __name__ == "__main__":
    main()
