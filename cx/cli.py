"""``python -m cx``: the app's engine without a browser (see ../shared/CONTRACT.md).

Exit status 0 when done; 2 for bad input or usage, with one line on stderr starting ``error:``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from cx.errors import CxInputError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2: the contract's shape for usage errors
        sys.stderr.write(f"error: {message}. Run `python -m cx {self.prog.split()[-1]} --help` for usage.\n"
                         if self.prog.split()[-1] in ("analyze", "report", "inspect", "sample")
                         else f"error: {message}. Run `python -m cx --help` for usage.\n")
        raise SystemExit(2)


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def _add_column_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="survey export: CSV, TSV, XLSX, XLS or Parquet")
    p.add_argument("--loyalty", help="the 0–10 likelihood-to-recommend column")
    p.add_argument("--outcome", help="numeric outcome for key driver analysis, when not the loyalty column")
    p.add_argument("--drivers", type=_split, help="driver rating columns, comma-separated")
    p.add_argument("--comments", help="the free-text column")
    p.add_argument("--segment", action="append", dest="segments", help="a segment column (repeatable)")
    p.add_argument("--revenue", help="annual revenue per respondent/account")
    p.add_argument("--date", help="response date column")
    p.add_argument("--codebook", help="CSV with columns theme,pattern (default: the starter codebook)")
    p.add_argument("--method", choices=["shapley", "relative_weights", "correlation", "beta"],
                   help="key driver method (default: shapley up to 15 drivers)")
    p.add_argument("--where", action="append", default=[], metavar="COL=VALUE",
                   help="keep only matching rows (repeatable; all must hold)")
    p.add_argument("--period", choices=["month", "quarter"], default="quarter", help="trend granularity")
    p.add_argument("--base", help="customer list (id + strata columns): adds post-stratification `weights`")
    p.add_argument("--strata", type=_split, metavar="COL[,COL]",
                   help="strata columns for --base (default: the segment columns the base also has)")
    p.add_argument("--base-id", help="customer id column of --base")


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = _Parser(prog="python -m cx", description="CX Workbench without a browser.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    a = sub.add_parser("analyze", help="JSON summary of a survey on stdout")
    _add_column_options(a)
    r = sub.add_parser("report", help="the single-page action plan as PDF, HTML, Markdown or XLSX")
    _add_column_options(r)
    r.add_argument("--format", choices=["pdf", "html", "md", "xlsx"], required=True, help="file format")
    r.add_argument("--out", required=True, metavar="PATH", help="output file (a folder with --by)")
    r.add_argument("--by", metavar="COL", help="one plan per value of COL (e.g. the business unit), into folder PATH")
    r.add_argument("--workspace", metavar="FILE", help="a .cxw workspace file: its 5 Whys, plan fields, codebook, "
                   "revenue assumptions and column mapping")
    i = sub.add_parser("inspect", help="detected columns, roles, scales and problems (JSON)")
    i.add_argument("file")
    s = sub.add_parser("sample", help="plan the next wave from a customer list and draw the sample")
    s.add_argument("file", help="customer list: id and strata columns (CSV, Excel, Parquet)")
    s.add_argument("--strata", type=_split, required=True, metavar="COL[,COL]", help="strata columns")
    s.add_argument("--moe", type=float, default=5.0, help="target NPS margin of error at 95%%, in points")
    s.add_argument("--method", choices=["neyman", "proportional"], default="neyman", help="allocation")
    s.add_argument("--minimum", type=int, default=0, help="minimum completes per stratum")
    s.add_argument("--response-rate", type=float, help="expected response rate (0-1): invitations per stratum")
    s.add_argument("--id", dest="id_col", help="customer id column")
    s.add_argument("--survey", help="last wave's survey export: its promoter/detractor shares per stratum")
    s.add_argument("--loyalty", help="loyalty column of --survey")
    s.add_argument("--seed", type=int, help="random seed of the draw (default: fixed)")
    s.add_argument("--exclude-recent", type=int, metavar="DAYS", help="skip customers surveyed in the last DAYS")
    s.add_argument("--last-surveyed", metavar="COL", help="date column of the last survey, for --exclude-recent")
    s.add_argument("--today", help="reference date for --exclude-recent (default: today)")
    s.add_argument("--out", metavar="PATH", help="write the drawn sample as CSV")
    return parser


def _options(args: argparse.Namespace):
    from cx.analysis import AnalyzeOptions

    return AnalyzeOptions(
        loyalty=args.loyalty, outcome=args.outcome, drivers=args.drivers, comments=args.comments,
        segments=tuple(args.segments) if args.segments else None, revenue=args.revenue, date=args.date,
        codebook=args.codebook, method=args.method, where=tuple(args.where), period=args.period,
        extra={"base": args.base, "strata": args.strata, "base_id": args.base_id},
    )


def _json_default(value):
    import numpy as np

    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, tuple):
        return list(value)
    return str(value)


def _clean_nan(obj):
    if isinstance(obj, float) and (math.isnan(obj) or math.isinf(obj)):
        return None
    if isinstance(obj, dict):
        return {k: _clean_nan(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean_nan(v) for v in obj]
    return obj


def _print_json(obj) -> None:
    sys.stdout.write(json.dumps(_clean_nan(obj), default=_json_default, ensure_ascii=False, indent=2) + "\n")


def cmd_analyze(args: argparse.Namespace) -> int:
    """``analyze FILE``: the JSON summary."""
    import gc

    gc.disable()  # one pass that keeps what it allocates: no cyclic collections over imports and a big frame
    from cx.load import read_survey_file

    def imports() -> None:  # while the file is parsed in a second thread
        import cx.analysis  # noqa: F401
        import cx.drivers  # noqa: F401
        import cx.themes  # noqa: F401

    guessing: list = []  # comment coding started on the column guessed from the parsed table

    def on_table(table, names) -> None:  # in the parsing thread: a thread of its own waits for the imports
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(max_workers=1)
        # the columns, not the table: building the frame empties the table (self_destruct)
        guessing.append(pool.submit(_start_guessed_coding, list(table.columns), names, args))
        pool.shutdown(wait=False)

    try:
        raw = read_survey_file(args.file, meanwhile=imports, on_table=on_table)
        from cx.analysis import analyze_file

        guessed = guessing.pop().result() if guessing else None
        _print_json(analyze_file(args.file, _options(args), raw=raw, guessed=guessed))
    except BaseException:
        for job in guessing:  # the file failed after it was parsed: stop the coding begun on it
            coding = job.result() if job.exception() is None else None
            if coding is not None:
                coding.result(cancel=True)
        raise
    finally:
        gc.enable()
    return 0


def _start_guessed_coding(columns: list, names: list[str], args: argparse.Namespace):
    """`ThemeCoding.guessed` for the command's options (in its own thread: it waits for the imports)."""
    from cx.analysis import ThemeCoding

    return ThemeCoding.guessed(columns, names, _options(args))


def cmd_inspect(args: argparse.Namespace) -> int:
    """``inspect FILE``: columns, kinds, scales, inferred roles, reader notes and problems."""
    from cx.clean import inspect_survey, prepare_survey
    from cx.load import read_survey_file

    raw = read_survey_file(args.file)
    inspection = inspect_survey(raw)
    survey = prepare_survey(raw, inspection.roles, inspection)
    columns = [{"name": p.name, "code": p.code, "kind": p.kind, "scale": list(p.scale) if p.scale else None,
                "labelled": p.labelled, "missing": p.n_missing, "distinct": p.n_distinct,
                "examples": list(p.examples), "platform_metadata": p.metadata}
               for p in inspection.profiles.values()]
    _print_json({
        "source": raw.source, "format": raw.file_format, "platform": raw.platform, "encoding": raw.encoding,
        "delimiter": raw.delimiter, "sheet": raw.sheet, "n_rows": raw.n_rows, "n_columns": raw.frame.shape[1],
        "roles": inspection.roles.to_dict(), "columns": columns, "notes": list(raw.notes),
        "checks": [c.sentence() for c in survey.report.checks], "problems": list(survey.report.problems),
    })
    return 0


def _workspace_settings(path: str | None) -> dict:
    """The settings inside a .cxw workspace file (empty without one)."""
    if not path:
        return {}
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            manifest = json.loads(z.read("manifest.json"))
    except FileNotFoundError:
        raise CxInputError(f"{path} does not exist. Download the workspace from the Data page and try again.") from None
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, UnicodeDecodeError, IsADirectoryError):
        raise CxInputError(f"{path} is not a CX Workbench workspace file (.cxw). Download it again from the Data "
                           "page.") from None
    return manifest.get("settings") or {}


def cmd_report(args: argparse.Namespace) -> int:
    """``report FILE --format F --out PATH [--by COL] [--workspace FILE]``: the one-page action plan(s)."""
    from dataclasses import replace
    from pathlib import Path

    from cx.analysis import load_survey
    from cx.plan import build_action_plan, plan_inputs_from_settings, plans_by
    from cx.report import export_plan, plan_files

    settings = _workspace_settings(args.workspace)
    options = _options(args)
    saved = settings.get("roles") or {}
    if saved:  # the workspace's column mapping, unless the command line names a column itself
        options = replace(options, **{k: (tuple(v) if isinstance(v, list) else v) for k, v in saved.items()
                                      if k in ("loyalty", "outcome", "drivers", "comments", "segments", "revenue",
                                               "date") and v and getattr(options, k) is None})
    raw, survey = load_survey(args.file, options)
    kw = plan_inputs_from_settings(settings)
    fields = kw.pop("fields_by_scope")
    if args.codebook:
        from cx.themes import load_codebook

        kw["codebook"] = load_codebook(Path(args.codebook))
    common = dict(source=raw.source, filter_text=" · ".join(args.where), period=args.period,
                  outcome_scale=survey.scales.get(survey.roles.outcome), **kw)
    out = Path(args.out)
    if args.by:
        by = raw.column_for(args.by)
        if by is None or by not in survey.frame.columns:
            raise CxInputError(f'--by names no column "{args.by}". Run `python -m cx inspect FILE` to list them.')
        plans = plans_by(survey.frame, survey.roles, by, fields_by_scope=fields, **common)
        if out.exists() and not out.is_dir():
            raise CxInputError(f"{out} is a file; with --by, --out names a folder for one plan per {by}.")
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, data in plan_files(plans, args.format).items():
            (out / name).write_bytes(data)
            written.append(str(out / name))
        _print_json({"format": args.format, "by": by, "files": written})
    else:
        if out.is_dir():
            raise CxInputError(f"{out} is a folder; give a file name such as {out / ('plan.' + args.format)}.")
        plan = build_action_plan(survey.frame, survey.roles, fields=fields.get("Overall"), **common)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(export_plan(plan, args.format))
        _print_json({"format": args.format, "files": [str(out)]})
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    """``sample FILE --strata COL``: sample size, allocation, invitations and the seeded draw."""
    from pathlib import Path

    from cx.load import read_survey_file
    from cx.privacy import safe_csv
    from cx.sampling import last_wave_shares, plan_sample

    customers = read_survey_file(args.file).frame
    last_wave = None
    if args.survey:
        from cx.analysis import AnalyzeOptions, load_survey

        _, survey = load_survey(args.survey, AnalyzeOptions(loyalty=args.loyalty))
        if not survey.roles.loyalty:
            raise CxInputError(f"{args.survey} has no 0–10 loyalty column; name it with --loyalty COL.")
        last_wave = last_wave_shares(survey.frame, survey.roles.loyalty, list(args.strata))
    plan = plan_sample(customers, list(args.strata), moe_points=args.moe, method=args.method, minimum=args.minimum,
                       response_rate=args.response_rate, id_col=args.id_col, last_wave=last_wave,
                       draw=args.out is not None, seed=args.seed, exclude_recent_days=args.exclude_recent,
                       last_surveyed_col=args.last_surveyed, today=args.today)
    if args.out:
        Path(args.out).write_bytes(safe_csv(plan.draw.to_frame(), mask=False))
    _print_json({"source": Path(args.file).name, "survey": Path(args.survey).name if args.survey else None,
                 **plan.to_dict(), "out": args.out})
    return 0


COMMANDS = {"analyze": cmd_analyze, "inspect": cmd_inspect, "sample": cmd_sample, "report": cmd_report}


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help(sys.stderr)
        sys.stderr.write("error: name a command: analyze, report, inspect, sample.\n")
        return 2
    try:
        return COMMANDS[args.command](args)
    except CxInputError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except MemoryError:
        sys.stderr.write("error: the file is too large for this machine's memory. Remove unused columns or "
                         "split the file, and try again.\n")
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # never a traceback: say what happened and what to do
        sys.stderr.write(f"error: the analysis failed unexpectedly ({type(exc).__name__}: {exc}). Check the file "
                         "with `python -m cx inspect FILE`, and report this if it persists.\n")
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
