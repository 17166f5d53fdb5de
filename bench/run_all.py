"""Run every benchmark in bench/ and write BENCHMARKS.md (machine, medians, ratios). `make bench`."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHES = [
    ("Core: load, analyze, overview (1,000,000 responses)", "bench_core.py"),
    ("Browser (100,000 responses)", "bench_browser.py"),
    ("Key drivers", "bench_drivers.py"),
    ("Comment themes", "bench_themes.py"),
    ("Revenue at risk", "bench_revenue.py"),
    ("Sampling and leading indicators", "bench_sampling.py"),
]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")).split()[1])
        mem = f", {kb / 1024**2:.0f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{cpu}, {os.cpu_count()} cores{mem}; Python {platform.python_version()}, {platform.system()} "
            f"{platform.release()}; load average {load:.1f} at start")


def main() -> None:
    only = set(sys.argv[1:])
    parts = [f"# Benchmarks\n\nWritten by `make bench` on {dt.date.today().isoformat()}.\n\nMachine: {machine()}.\n",
             "Medians of repeated runs; each script is in `bench/`. Timings on a shared machine vary with its "
             "load; ratios against a bare parse measured in the same run are the steadier figures.\n"]
    for title, script in BENCHES:
        if only and script not in only:
            continue
        print(f"running {script} …", flush=True)
        t = time.perf_counter()
        out = subprocess.run([sys.executable, str(ROOT / "bench" / script)], cwd=ROOT, capture_output=True, text=True)
        took = time.perf_counter() - t
        body = out.stdout.strip() if out.returncode == 0 else f"failed ({out.returncode}):\n\n```\n{out.stderr[-2000:]}\n```"
        if out.returncode == 0 and not any(line.startswith("| ") for line in body.splitlines()):
            body = f"```\n{body}\n```"
        parts.append(f"## {title}\n\n{body}\n\n_({script}, {took:.0f} s)_\n")
    (ROOT / "BENCHMARKS.md").write_text("\n".join(parts))
    print("wrote BENCHMARKS.md")


if __name__ == "__main__":
    main()
