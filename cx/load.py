"""Read a survey export into a frame whose columns carry display names.

Handles CSV/TSV (any common delimiter, UTF-8 with or without BOM, UTF-16, cp1252, decimal comma),
XLSX/XLS (header below title rows, data not on the first sheet) and Parquet, and the header shapes
of survey platforms: Qualtrics (3 header rows: codes, question text, ImportId JSON), legacy
Qualtrics (V1..Vn codes, then question text) and SurveyMonkey (question, then sub-question).
Anything unreadable raises `CxInputError` with a message that says what to do.
"""

from __future__ import annotations

import csv
import io
import mmap
import re
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cx.errors import CxInputError

if TYPE_CHECKING:  # pandas is imported where a frame is built, so parsing can start before it loads
    import pandas as pd

Progress = Callable[[float, str], None]

MAX_COLUMNS = 5000
MAX_UNZIPPED_BYTES = 2_000_000_000  # an xlsx that inflates beyond this is refused (decompression bomb)
MAX_ZIP_RATIO = 250
SNIFF_BYTES = 256 * 1024
DICT_MAX_VALUES = 1000  # distinct texts up to which a column is read as a categorical
DELIMITERS = (",", ";", "\t", "|")

QUALTRICS_METADATA = {
    "StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
    "RecordedDate", "ResponseId", "ResponseID", "RecipientLastName", "RecipientFirstName",
    "RecipientEmail", "ExternalReference", "ExternalDataReference", "LocationLatitude",
    "LocationLongitude", "LocationAccuracy", "DistributionChannel", "UserLanguage", "ResponseSet",
    "Name", "EmailAddress", "Q_RecaptchaScore", "Q_RelevantIDDuplicate", "Q_RelevantIDDuplicateScore",
    "Q_RelevantIDFraudScore", "Q_RelevantIDLastStartDate",
}
SURVEYMONKEY_GENERIC = {"response", "open-ended response", "other (please specify)", ""}


@dataclass(frozen=True)
class RawSurvey:
    """A survey export as read: display-named columns, values as they were in the file.

    Attributes
    ----------
    frame : the responses; column names are unique display names.
    source : the file name.
    file_format : "csv", "xlsx", "xls" or "parquet".
    platform : "qualtrics", "qualtrics-legacy", "surveymonkey" or "plain".
    codes : display name -> the raw column code in the file (e.g. ``Q2_1``).
    notes : what the reader did, in plain words (encoding, delimiter, sheet, skipped rows...).
    metadata : display names of survey-platform bookkeeping columns (IP address, progress...).
    """

    frame: pd.DataFrame
    source: str
    file_format: str
    platform: str = "plain"
    codes: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None
    delimiter: str | None = None
    decimal: str = "."
    sheet: str | None = None
    header_rows: int = 1
    notes: tuple[str, ...] = ()
    metadata: tuple[str, ...] = ()

    @property
    def n_rows(self) -> int:
        """Number of response rows read."""
        return len(self.frame)

    def column_for(self, name: str) -> str | None:
        """The display name for a display name or a raw column code, or None."""
        if name in self.frame.columns:
            return name
        for display, code in self.codes.items():
            if code == name:
                return display
        lowered = name.strip().lower()
        for col in self.frame.columns:
            if str(col).strip().lower() == lowered:
                return col
        return None


def read_survey_file(path: str | Path, progress: Progress | None = None, *,
                     meanwhile: Callable[[], object] | None = None,
                     on_table: Callable[[object, list[str]], object] | None = None) -> RawSurvey:
    """Read a survey export from disk (see `read_survey`).

    ``meanwhile`` is work for this thread while a second one parses the file (the CSV parser releases
    the GIL): the command line imports pandas and the analysis modules meanwhile. ``on_table(table,
    names)`` is called in the parsing thread with a CSV's Arrow table and column names, the moment it is
    parsed (before the pandas frame is built); it must return at once.
    """
    path = Path(path)
    if not path.exists():
        raise CxInputError(f"{path} does not exist. Check the path and try again.")
    if path.is_dir():
        raise CxInputError(f"{path} is a folder, not a survey file. Give the path of a CSV, Excel or Parquet file.")
    data = _mapped(path)
    binary = _binary_format(data) is not None
    if binary:  # workbook and Parquet readers take bytes
        data = path.read_bytes()
    if meanwhile is None or binary:  # workbooks and Parquet build pandas frames: after the imports
        if meanwhile is not None:
            meanwhile()
        return read_survey(data, path.name, progress)
    from concurrent.futures import ThreadPoolExecutor

    def parse() -> RawSurvey | _ParsedText:
        parsed = _parse(data, path.name, progress or (lambda fraction, message: None))
        if on_table is not None and isinstance(parsed, _ParsedText):
            on_table(parsed.table, list(parsed.display))
        return parsed

    with ThreadPoolExecutor(max_workers=1) as pool:
        parsing = pool.submit(parse)
        meanwhile()
        return _finish(parsing.result())


def _mapped(path: Path) -> bytes | mmap.mmap:
    """The file's content mapped into memory: read in place by the parser, no copy of a large file."""
    with open(path, "rb") as f:
        try:
            return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except (ValueError, OSError):  # an empty file, or a file system that cannot map files
            return f.read()


def read_survey(data: bytes, name: str, progress: Progress | None = None) -> RawSurvey:
    """Read a survey export given as bytes and its file name.

    Parameters
    ----------
    data : the file's bytes.
    name : the file name (its extension is a hint; the content decides).
    progress : optional callback ``progress(fraction, message)``.

    Returns
    -------
    RawSurvey

    Raises
    ------
    CxInputError
        When the file is empty, not a survey table, damaged, or has no data rows.
    """
    report = progress or (lambda fraction, message: None)
    raw = _finish(_parse(data, name, report))
    report(1.0, "Read")
    return raw


def _parse(data: bytes, name: str, report: Progress) -> RawSurvey | _ParsedText:
    """Recognise the format and read the file; a CSV stops at the Arrow table (no pandas needed yet)."""
    if not data or not (data[:65536].strip() or bytes(data).strip()):
        raise CxInputError(f"{name} is empty. Export the survey again and load the new file.")
    report(0.05, "Recognising the file format")
    suffix = Path(name).suffix.lower()
    binary = _binary_format(data)
    if binary == "xlsx":
        return _read_xlsx(data, name, report)
    if binary == "xls":
        return _read_xls(data, name, report)
    if binary == "parquet":
        return _read_parquet(data, name)
    if suffix in (".xlsx", ".xlsm", ".xls", ".parquet", ".pq"):
        kind = "a Parquet file" if suffix in (".parquet", ".pq") else "an Excel workbook"
        raise CxInputError(
            f"{name} is named like {kind} but its content is not one (it may be damaged, truncated or "
            "renamed). Open it in the program that made it and save it again, or export as CSV."
        )
    return _parse_text(data, name, report)


def _binary_format(data: bytes) -> str | None:
    """"xlsx", "xls" or "parquet" by the file's first bytes; None for text."""
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "xls"
    return "parquet" if data[:4] == b"PAR1" else None


def _finish(parsed: RawSurvey | _ParsedText) -> RawSurvey:
    return _text_survey(parsed) if isinstance(parsed, _ParsedText) else parsed


def read_table(data: bytes, name: str) -> pd.DataFrame:
    """Any table file (a customer list, operational metrics) read like a survey export: its frame."""
    return read_survey(data, name).frame


# --- text (CSV / TSV) ---------------------------------------------------------------------------


def _looks_binary(head: bytes) -> bool:
    if not head:
        return False
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return False
    nul = head.count(b"\x00")
    if nul > len(head) * 0.3 and _utf16_without_bom(head):
        return False
    control = sum(1 for b in head if 0 < b < 9 or 13 < b < 32)
    return control > len(head) * 0.02 or nul > len(head) * 0.1


def _utf16_without_bom(head: bytes) -> str | None:
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > len(odd) * 0.7 and even.count(0) < len(even) * 0.1:
        return "utf-16-le"
    if even.count(0) > len(even) * 0.7 and odd.count(0) < len(odd) * 0.1:
        return "utf-16-be"
    return None


def _detect_encoding(data: bytes) -> tuple[str, bytes]:
    """Return (encoding label for the notes, UTF-8 bytes of the whole file)."""
    if data[:3] == b"\xef\xbb\xbf":
        return "UTF-8 with BOM", data[3:]
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "UTF-16", data.decode("utf-16").encode("utf-8")
    utf16 = _utf16_without_bom(data[:4096])
    if utf16:
        return "UTF-16", data.decode(utf16, errors="replace").encode("utf-8")
    try:
        data.decode("utf-8")
        return "UTF-8", data
    except UnicodeDecodeError:
        pass
    # Mostly UTF-8 with a few Windows-1252 lines (files pasted together from two sources).
    lines = data.split(b"\n")
    bad = 0
    fixed = []
    has_multibyte = False
    for line in lines:
        try:
            text = line.decode("utf-8")
            has_multibyte = has_multibyte or any(ord(c) > 127 for c in text)
        except UnicodeDecodeError:
            bad += 1
            text = line.decode("cp1252", errors="replace")
        fixed.append(text)
    if has_multibyte:
        return f"mixed UTF-8 and Windows-1252 ({bad:,} lines)", "\n".join(fixed).encode("utf-8")
    from charset_normalizer import from_bytes

    best = from_bytes(data[:SNIFF_BYTES], cp_isolation=["cp1252", "latin_1", "utf_8", "mac_roman"]).best()
    encoding = best.encoding if best is not None else "cp1252"
    if encoding in ("ascii", "utf_8"):
        encoding = "cp1252"
    return _encoding_label(encoding), data.decode(encoding, errors="replace").encode("utf-8")


def _encoding_label(encoding: str) -> str:
    return {"cp1252": "Windows-1252", "latin_1": "Latin-1", "mac_roman": "Mac Roman"}.get(encoding, encoding)


def _sample_rows(text: str, delimiter: str, limit: int = 40) -> list[list[str]]:
    rows = []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        for row in reader:
            rows.append(row)
            if len(rows) >= limit:
                break
    except csv.Error:
        pass
    return rows


def _detect_delimiter(text: str) -> str:
    lines = text.splitlines()[:50]
    if len(lines) > 1 and not text.endswith("\n"):
        lines = lines[:-1] or lines  # the sample may end mid-line
    sample = "\n".join(lines)
    best, best_score = ",", -1.0
    for delim in DELIMITERS:
        rows = [r for r in _sample_rows(sample, delim) if any(cell.strip() for cell in r)]
        if not rows:
            continue
        widths = Counter(len(r) for r in rows)
        width, freq = widths.most_common(1)[0]
        if width < 2:
            continue
        score = freq / len(rows) * 10 + min(width, 200) / 200
        if score > best_score:
            best, best_score = delim, score
    return best


def _detect_decimal_comma(rows: list[list[str]], delimiter: str) -> bool:
    if delimiter == ",":
        return False
    comma = dot = 0
    for row in rows[1:]:
        for cell in row:
            cell = cell.strip()
            if re.fullmatch(r"-?\d{1,3}(\.\d{3})*,\d+", cell) or re.fullmatch(r"-?\d+,\d+", cell):
                comma += 1
            elif re.fullmatch(r"-?\d+\.\d+", cell):
                dot += 1
    return comma > dot


@dataclass(frozen=True)
class _Header:
    platform: str
    header_rows: int  # rows to skip before data, including title rows
    codes: list[str]
    display: list[str]
    title_rows: int = 0


def _detect_header(rows: list[list[str]]) -> _Header:
    """Recognise the header shape from the first rows of the table."""
    rows = [list(r) for r in rows]
    title = _title_rows(rows)
    rows = rows[title:]
    if not rows:
        raise CxInputError("The file has no header row. Export it again with column names in the first row.")
    first = rows[0]
    width = max(len(r) for r in rows[:3])
    first = first + [""] * (width - len(first))

    def row(i: int) -> list[str]:
        r = rows[i] if i < len(rows) else []
        return [str(c) for c in r] + [""] * (width - len(r))

    second, third = row(1), row(2)
    import_ids = sum(1 for c in third if c.strip().startswith('{"ImportId"') or c.strip().startswith("{'ImportId'"))
    if len(rows) >= 3 and import_ids >= max(1, 0.5 * sum(1 for c in third if c.strip())):
        display = [_qualtrics_display(code, text) for code, text in zip(first, second)]
        return _Header("qualtrics", title + 3, first, display, title)
    v_codes = sum(1 for c in first if re.fullmatch(r"V\d+", c.strip()))
    if len(rows) >= 2 and v_codes >= 3 and any(c.strip() == "ResponseID" for c in second):
        display = [_qualtrics_display(code, text) for code, text in zip(first, second)]
        return _Header("qualtrics-legacy", title + 2, first, display, title)
    generic = sum(1 for c in second if c.strip().lower() in ("response", "open-ended response"))
    if len(rows) >= 2 and generic >= 1 and ("Respondent ID" in first or sum(1 for c in first if not c.strip()) >= 1):
        question = ""
        codes, display = [], []
        for q, sub in zip(first, second):
            question = q.strip() or question
            sub = sub.strip()
            if sub.lower() in SURVEYMONKEY_GENERIC:
                display.append(question)
                codes.append(question)
            else:
                display.append(sub)
                codes.append(f"{question} - {sub}")
        return _Header("surveymonkey", title + 2, codes, display, title)
    plain = list(rows[0])
    return _Header("plain", title + 1, plain, list(plain), title)


def _title_rows(rows: list[list[str]]) -> int:
    """Rows above the header: titles, dates, blank lines (at most 20)."""
    widths = [sum(1 for c in r if str(c).strip()) for r in rows[:30]]
    if not widths:
        return 0
    widest = max(widths)
    if widest < 2:
        return 0
    for i, w in enumerate(widths[:20]):
        if w >= max(2, 0.5 * widest):
            return i
    return 0


def _qualtrics_display(code: str, text: str) -> str:
    text = " ".join(str(text).split())
    code = str(code).strip()
    if not text:
        return code
    if code in QUALTRICS_METADATA:
        return code
    if " - " in text:
        tail = text.rsplit(" - ", 1)[1].strip()
        if tail and tail != code:
            return tail
    return text


def _unique_names(names: list[str]) -> tuple[list[str], list[str]]:
    seen: Counter[str] = Counter()
    out, notes = [], []
    for i, name in enumerate(names):
        base = " ".join(str(name).split()) or f"Column {i + 1}"
        seen[base] += 1
        if seen[base] > 1:
            new = f"{base} ({seen[base]})"
            while new in seen:
                seen[base] += 1
                new = f"{base} ({seen[base]})"
            seen[new] += 1
            notes.append(f'"{base}" appears more than once in the header; the repeat is called "{new}".')
            out.append(new)
        else:
            out.append(base)
    return out, notes


def _parse_text(data: bytes, name: str, report: Progress) -> _ParsedText:
    """Sniff and parse a CSV/TSV export into an Arrow table (pyarrow only: no pandas)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    head = data[:8192]
    if _looks_binary(head):
        raise CxInputError(
            f"{name} does not look like a CSV/TSV text file, an Excel workbook or a Parquet file (it contains "
            "binary data). Export the survey as CSV or XLSX and load that file."
        )
    notes: list[str] = []
    # ``data`` may be a mapped file (bytes-like, read in place); the rare repairs below work on a copy.
    if data.find(b"\x00") >= 0 and not (data[:2] in (b"\xff\xfe", b"\xfe\xff") or _utf16_without_bom(head)):
        data = bytes(data)
        count = data.count(b"\x00")
        data = data.replace(b"\x00", b"")
        notes.append(f"Removed {count:,} NUL bytes (invisible characters that do not belong in a CSV file).")
    report(0.1, "Detecting the encoding")
    # Plain UTF-8 is validated by the parser itself (no second pass over a big file); other encodings,
    # and UTF-8 that fails validation, are converted to UTF-8 first.
    if data[:3] == b"\xef\xbb\xbf" or data[:2] in (b"\xff\xfe", b"\xfe\xff") or _utf16_without_bom(data[:4096]):
        encoding, utf8 = _detect_encoding(bytes(data))
    else:
        encoding, utf8 = "UTF-8", data
        try:
            data[:SNIFF_BYTES].decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < SNIFF_BYTES - 4:
                encoding, utf8 = _detect_encoding(bytes(data))
    if b"\n" not in utf8[:SNIFF_BYTES] and b"\r" in utf8[:SNIFF_BYTES]:
        utf8 = bytes(utf8).replace(b"\r", b"\n")  # classic Mac line endings
        notes.append("Converted old Mac line endings (CR) to standard ones.")
    sample_text = utf8[:SNIFF_BYTES].decode("utf-8", errors="ignore")
    delimiter = _detect_delimiter(sample_text)
    sample = _sample_rows(sample_text, delimiter)
    if not sample:
        raise CxInputError(f"{name} has no rows. Export the survey again and load the new file.")
    header = _detect_header(sample)
    decimal_comma = _detect_decimal_comma(sample[header.header_rows - 1:], delimiter)
    width = len(header.codes)
    if width > MAX_COLUMNS:
        raise CxInputError(
            f"{name} has {width:,} columns; CX Workbench reads up to {MAX_COLUMNS:,}. Remove columns you do not "
            "need (keep the loyalty question, driver ratings, comments and segments) and load it again."
        )
    display, dup_notes = _unique_names(header.display)
    notes += dup_notes
    delim_name = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}[delimiter]
    notes.append(f"Columns separated by {delim_name}" + (", decimal comma." if decimal_comma else "."))
    if header.title_rows:
        notes.append(f"Skipped {header.title_rows} title row(s) above the header.")
    if header.platform != "plain":
        notes.append(f"Recognised a {_platform_label(header.platform)} export ({header.header_rows - header.title_rows} header rows).")
    report(0.2, "Parsing rows")
    skipped: list[int] = []

    def on_invalid(row) -> str:
        skipped.append(row.actual_columns)
        return "skip"

    internal = [f"c{i}" for i in range(width)]

    def convert_options(column_types: dict) -> pacsv.ConvertOptions:
        return pacsv.ConvertOptions(
            null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=True,
            # Columns with few distinct texts (segments, labelled answers) arrive as categoricals.
            auto_dict_encode=True, auto_dict_max_cardinality=DICT_MAX_VALUES,
            decimal_point="," if decimal_comma else ".",
            timestamp_parsers=["%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", pacsv.ISO8601],
            column_types=column_types,
        )

    small = _small_integer_columns(utf8, header.header_rows, internal, delimiter, convert_options({}))

    def read(text: bytes, multiline: bool, column_types: dict):
        skipped.clear()
        return pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(text)),  # zero-copy; a Python file object would be read under the GIL
            read_options=pacsv.ReadOptions(skip_rows=header.header_rows, column_names=internal,
                                           block_size=16 << 20),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=multiline,
                                             invalid_row_handler=on_invalid),
            convert_options=convert_options(column_types),
        )

    def parse(text: bytes, multiline: bool):
        nonlocal small
        if small:
            try:
                return read(text, multiline, small)
            except pa.ArrowInvalid as exc:
                if "conversion error to int8" not in str(exc):
                    raise
                small = {}  # an answer past the sampled rows is not a small whole number: read as inferred
        return read(text, multiline, {})

    def unreadable(exc: Exception) -> CxInputError:
        return CxInputError(
            f"{name} could not be read as a table: {_arrow_message(exc)}. Open it in a spreadsheet, check the "
            "rows around the one named, save it as CSV and load it again.")

    try:
        # Values with line breaks need a serial parse (twice as slow): first try the parallel parse,
        # which splits such a value into rows with the wrong number of fields; then parse serially.
        try:
            table = parse(utf8, multiline=False)
        except pa.ArrowInvalid as exc:
            if "utf8" in str(exc).lower():
                raise
            table = None
        if table is None or skipped:
            table = parse(utf8, multiline=True)
    except pa.ArrowInvalid as exc:
        if encoding != "UTF-8" or "utf8" not in str(exc).lower():
            raise unreadable(exc) from None
        table = None
    # Bytes that are not UTF-8: Arrow fails on them in the first rows, and past those reads their column as
    # binary. Either way the file is read again in the encoding its lines are in.
    if table is None or (encoding == "UTF-8" and any(_is_binary(f.type) for f in table.schema)):
        encoding, utf8 = _detect_encoding(bytes(utf8))
        try:
            table = parse(utf8, multiline=True)
        except pa.ArrowInvalid as exc:
            raise unreadable(exc) from None
    if encoding != "UTF-8":
        notes.append(f"Read as {encoding}.")
    report(0.75, "Building the table")
    if skipped:
        notes.append(
            f"Skipped {len(skipped):,} row(s) whose number of fields differs from the header ({width}); "
            "a stray delimiter or quote usually causes this."
        )
        if table.num_rows and len(skipped) > 0.2 * (table.num_rows + len(skipped)):
            raise CxInputError(
                f"{name}: {len(skipped):,} of {table.num_rows + len(skipped):,} rows do not have the {width} "
                "fields of the header. Check the delimiter and quotes (export again as standard CSV) and retry."
            )
    # Values spanning lines exist only when the file has more line breaks than rows; only then can a
    # quote left open have swallowed the lines after it.
    if _count_newlines(utf8) > table.num_rows + len(skipped) + header.header_rows:
        _check_unclosed_quote(table, display, delimiter, width, name)
    return _ParsedText(table=table, name=name, display=display, header=header, encoding=encoding,
                       delimiter=delimiter, decimal="," if decimal_comma else ".", notes=notes)


def _small_integer_columns(data, header_rows: int, names: list[str], delimiter: str, options) -> dict:
    """Columns whose sampled answers are all whole numbers from -128 to 127 (ratings, codes), typed int8.

    Read as int8 such a column takes an eighth of the memory of an int64 one, in the parse and in the
    frame; the cleaning converts it to floats once. The sample is the first rows, the middle and the end
    of the file; a column holds the type only if every part agrees. The caller reads the file again
    without these types when a later answer does not fit.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    if len(data) <= SNIFF_BYTES:
        parts = [(bytes(data), header_rows)]
    else:
        window = SNIFF_BYTES // 4
        parts = [(bytes(data[:SNIFF_BYTES]), header_rows)]
        for start in (len(data) // 2, len(data) - window):
            chunk = bytes(data[start:start + window])
            parts.append((chunk[chunk.find(b"\n") + 1:], 0))  # from the first line break: a whole row, unless quoted
    small = None
    for text, skip in parts:
        if len(parts) > 1 and text.rfind(b"\n") > 0:
            text = text[:text.rfind(b"\n") + 1]  # to the last line break: no cut last row
        try:
            table = pacsv.read_csv(
                pa.BufferReader(text),
                read_options=pacsv.ReadOptions(skip_rows=skip, column_names=names, use_threads=False),
                parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                                 invalid_row_handler=lambda row: "skip"),
                convert_options=options)
        except pa.ArrowInvalid:
            return {}  # a part cut inside a quoted value: no types rather than wrong ones
        fits = set()
        for name, column in zip(names, table.columns):
            if pa.types.is_integer(column.type) and column.null_count < len(column):
                lo, hi = pc.min_max(column).values()
                if lo.as_py() >= -128 and hi.as_py() <= 127:
                    fits.add(name)
        small = fits if small is None else small & fits
        if not small:
            return {}
    return {name: pa.int8() for name in names if name in small}


def _is_binary(dtype) -> bool:
    import pyarrow as pa

    if pa.types.is_dictionary(dtype):
        dtype = dtype.value_type
    return pa.types.is_binary(dtype) or pa.types.is_large_binary(dtype)


@dataclass
class _ParsedText:
    """A CSV/TSV export parsed into an Arrow table, before it becomes a pandas frame."""

    table: object
    name: str
    display: list[str]
    header: object
    encoding: str
    delimiter: str
    decimal: str
    notes: list[str]


def _text_survey(parsed: _ParsedText) -> RawSurvey:
    """The parsed table as a `RawSurvey` (columns by display name, blank unnamed columns dropped)."""
    name, header, notes = parsed.name, parsed.header, parsed.notes
    frame = parsed.table.to_pandas(split_blocks=True, self_destruct=True, date_as_object=False)
    parsed.table = None
    frame.columns = parsed.display
    frame = _drop_blank_columns(frame, notes)
    if frame.empty or len(frame) == 0:
        raise CxInputError(
            f"{name} has a header but no data rows. Export the survey again with its responses included."
        )
    codes = {d: str(c) for d, c in zip(parsed.display, header.codes) if d in frame.columns}
    metadata = tuple(d for d, c in codes.items() if header.platform.startswith("qualtrics") and c in QUALTRICS_METADATA)
    return RawSurvey(frame=frame, source=name, file_format="csv", platform=header.platform, codes=codes,
                     encoding=parsed.encoding, delimiter=parsed.delimiter, decimal=parsed.decimal,
                     header_rows=header.header_rows, notes=tuple(notes), metadata=metadata)


def _count_newlines(data: bytes) -> int:
    """Line feeds in the file, counted in slices of 8 MB.

    Each slice is one NumPy call that lets go of the GIL and must take it back; with another thread
    busy (the command line imports pandas meanwhile), each take can wait 5 ms. So few slices, yet none
    as big as the file (a temporary array): beside a busy thread, a 117 MB file took 2.9 s in 256 kB
    slices and 0.09 s in 16 MB ones; alone, 20 ms against 10.5 ms in 8 MB ones.
    """
    view = np.frombuffer(data, dtype=np.uint8)
    step = 8 << 20
    return sum(int(np.count_nonzero(view[i:i + step] == 10)) for i in range(0, len(view), step))


def _platform_label(platform: str) -> str:
    return {"qualtrics": "Qualtrics", "qualtrics-legacy": "legacy Qualtrics", "surveymonkey": "SurveyMonkey"}.get(
        platform, platform)


def _arrow_message(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0]
    text = re.sub(r"^CSV parse error:\s*", "", text)
    return text.rstrip(".")


def _check_unclosed_quote(table, display: list[str], delimiter: str, width: int, name: str) -> None:
    """An unclosed quote swallows the rest of the file into one value: refuse it rather than lose rows."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if width < 2:
        return
    def text(t) -> bool:
        return pa.types.is_string(t) or pa.types.is_large_string(t)

    for col, column in zip(display, table.columns):
        if pa.types.is_dictionary(column.type) and text(column.type.value_type):
            # few distinct values: look at them, and spell the column out only when one spans lines
            if not any(pc.any(pc.greater_equal(pc.count_substring(c.dictionary, "\n"), 2)).as_py()
                       for c in column.chunks):
                continue
            column = column.cast(column.type.value_type)
        if not text(column.type):
            continue
        lines = pc.count_substring(column, "\n")
        suspects = pc.greater_equal(lines, 2)
        if not pc.any(suspects).as_py():
            continue
        idx = pc.indices_nonzero(pc.fill_null(suspects, False))
        for i in idx.to_pylist()[:50]:
            value = column[i].as_py()
            tail = value.split("\n")[1:]
            if sum(1 for line in tail if line.count(delimiter) >= width - 1) >= 2:
                raise CxInputError(
                    f"{name}: a value in column \"{col}\" (data row {i + 1:,}) opens a quote that is never "
                    f"closed, so {len(tail):,} following lines were read as one value. Close or remove that "
                    "quote (or export the file again) and load it again."
                )


def _drop_blank_columns(frame: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    blank = [c for c in frame.columns if re.fullmatch(r"Column \d+", str(c)) and frame[c].isna().all()]
    if blank:
        frame = frame.drop(columns=blank)
    return frame


# --- Excel -----------------------------------------------------------------------------------------


def _check_zip(data: bytes, name: str) -> zipfile.ZipFile:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise CxInputError(
            f"{name} is a damaged or truncated Excel file. Open it in Excel and save it again, or export the "
            "survey as CSV."
        ) from None
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        raise CxInputError(
            f"{name} is a zip archive, not an Excel workbook. Unzip it and load the survey file inside, or "
            "export the survey as XLSX or CSV."
        )
    total = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if total > MAX_UNZIPPED_BYTES or (total > 50_000_000 and total / packed > MAX_ZIP_RATIO):
        raise CxInputError(
            f"{name} declares {total / 1e9:.1f} GB of content inside a {len(data) / 1e6:.1f} MB file, which looks "
            "like a decompression bomb, not a survey export. Export the survey again as CSV."
        )
    return zf


def _read_xlsx(data: bytes, name: str, report: Progress) -> RawSurvey:
    _check_zip(data, name)
    return _read_workbook(data, name, "xlsx", report)


def _read_xls(data: bytes, name: str, report: Progress) -> RawSurvey:
    return _read_workbook(data, name, "xls", report)


def _read_workbook(data: bytes, name: str, fmt: str, report: Progress) -> RawSurvey:
    from python_calamine import CalamineWorkbook

    report(0.1, "Opening the workbook")
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for sheet_name in wb.sheet_names:
            rows = wb.get_sheet_by_name(sheet_name).to_python(skip_empty_area=True)
            filled = sum(1 for r in rows[:2000] for c in r if c not in ("", None))
            sheets.append((filled * max(1, len(rows)) / max(1, min(len(rows), 2000)), sheet_name, rows))
    except CxInputError:
        raise
    except Exception:  # calamine raises its own error types for damaged files
        raise CxInputError(
            f"{name} is a damaged or unsupported Excel file. Open it in Excel and save it again as XLSX, or "
            "export the survey as CSV."
        ) from None
    if not sheets or all(s[0] == 0 for s in sheets):
        raise CxInputError(f"{name} has no data in any sheet. Check you exported the responses and try again.")
    sheets.sort(key=lambda s: -s[0])
    _, sheet_name, rows = sheets[0]
    notes = []
    if len(sheets) > 1:
        others = ", ".join(f'"{s[1]}"' for s in sheets[1:])
        notes.append(f'Read sheet "{sheet_name}", the one with the most data (also in the file: {others}).')
    report(0.5, "Reading rows")
    text_rows = [["" if c is None else str(c) for c in r] for r in rows[:40]]
    header = _detect_header(text_rows)
    if header.title_rows:
        notes.append(f"Skipped {header.title_rows} title row(s) above the header.")
    if header.platform != "plain":
        notes.append(f"Recognised a {_platform_label(header.platform)} export.")
    body = rows[header.header_rows:]
    width = len(header.codes)
    if width > MAX_COLUMNS:
        raise CxInputError(
            f"{name} has {width:,} columns; CX Workbench reads up to {MAX_COLUMNS:,}. Remove columns you do not "
            "need and load it again."
        )
    display, dup_notes = _unique_names(header.display)
    notes += dup_notes
    body = [r for r in body if any(c not in ("", None) for c in r)]
    if not body:
        raise CxInputError(f"{name} has a header but no data rows. Export the survey again with its responses.")
    columns = {}
    for j, col in enumerate(display):
        values = [r[j] if j < len(r) else None for r in body]
        columns[col] = _excel_column(values)
    import pandas as pd

    frame = pd.DataFrame(columns)
    frame = _drop_blank_columns(frame, notes)
    codes = {d: str(c) for d, c in zip(display, header.codes) if d in frame.columns}
    metadata = tuple(d for d, c in codes.items() if header.platform.startswith("qualtrics") and c in QUALTRICS_METADATA)
    return RawSurvey(frame=frame, source=name, file_format=fmt, platform=header.platform, codes=codes,
                     sheet=sheet_name, header_rows=header.header_rows, notes=tuple(notes), metadata=metadata)


def _excel_column(values: list) -> pd.Series:
    """One Excel column as a typed Series: numbers, dates, or text (numbers in text columns as text)."""
    import datetime as dt

    import pandas as pd

    present = [v for v in values if v not in ("", None)]
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return pd.Series([np.nan if v in ("", None) else float(v) for v in values], dtype="float64")
    if present and all(isinstance(v, (dt.date, dt.datetime)) for v in present):
        return pd.to_datetime(pd.Series([None if v in ("", None) else v for v in values]), errors="coerce")

    def text(v):
        if v in ("", None):
            return None
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)

    return pd.Series([text(v) for v in values], dtype="str")


# --- Parquet ---------------------------------------------------------------------------------------


def _read_parquet(data: bytes, name: str) -> RawSurvey:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except Exception:
        raise CxInputError(
            f"{name} is a damaged Parquet file. Write it again, or export the survey as CSV."
        ) from None
    frame = table.to_pandas()
    display, notes = _unique_names([str(c) for c in frame.columns])
    frame.columns = display
    if len(frame) == 0:
        raise CxInputError(f"{name} has columns but no data rows. Export the survey again with its responses.")
    return RawSurvey(frame=frame, source=name, file_format="parquet", codes={d: d for d in display},
                     notes=tuple(notes))
