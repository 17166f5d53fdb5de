r"""Comments: code them into themes, sort the themes into a Pareto, find the vital few.

A **codebook** is a table ``theme, pattern[, parent]``: each pattern is a case-insensitive regular
expression, and a comment may match several themes. Coding is transparent (a comment is coded
with a theme exactly when the theme's pattern occurs in it), reproducible (same codebook, same
counts) and editable (:func:`add_theme`, :func:`rename_theme`, :func:`merge_themes`,
:func:`delete_theme`; an invalid pattern is flagged on its row by :func:`validate_codebook` and
the other themes keep working).

The **Pareto** (:func:`pareto_table`) counts, per theme, the non-empty comments that mention it,
sorts the themes by count and marks the *vital few*: the shortest run of themes, most frequent
first, that together reach 80% of all mentions.

Regular-expression semantics are Python's ``re`` with ``re.IGNORECASE``. For speed the matching
runs on RE2 (pyarrow's ``match_substring_regex``) whenever RE2 is guaranteed to give the same
answer; patterns RE2 cannot run (look-around, back-references) and Unicode-sensitive escapes
(``\b \w \d \s``) on non-ASCII comments fall back to Python ``re``.
"""

from __future__ import annotations

import functools
import io
import math
import os
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from cx.errors import CxInputError

VITAL_FEW_CUT = 0.8
# Tolerance for "cumulative share reaches 0.8" with float weights; integer counts are exact.
_CUT_TOLERANCE = 1e-12
WEIGHTINGS = ("mentions", "detractor mentions", "revenue", "nps impact")
STARTER_CODEBOOK_PATH = Path(__file__).resolve().parent.parent / "data" / "codebook.csv"

_COLUMN_ALIASES = {
    "theme": ("theme", "name", "topic", "code"),
    "pattern": ("pattern", "regex", "regexp", "regular expression"),
    "parent": ("parent", "parent theme", "group"),
}
# Constructs whose meaning differs between RE2 and Python outside printable ASCII (see _Matcher).
_ENGINE_SENSITIVE = re.compile(r"\\[bBwWdDsS]|\$")
_LEADING_FLAGS = re.compile(r"^\(\?i\)")


# --------------------------------------------------------------------------------------------
# Codebook
# --------------------------------------------------------------------------------------------

def _blank_codebook() -> pd.DataFrame:
    return pd.DataFrame({"theme": pd.Series([], dtype="str"), "pattern": pd.Series([], dtype="str"),
                         "parent": pd.Series([], dtype="str")})


def _as_codebook(codebook: pd.DataFrame | Mapping[str, str]) -> pd.DataFrame:
    """Normalise a codebook to columns theme, pattern, parent (strings, '' when blank)."""
    if isinstance(codebook, Mapping):
        codebook = pd.DataFrame({"theme": list(codebook.keys()), "pattern": list(codebook.values())})
    if not isinstance(codebook, pd.DataFrame):
        raise CxInputError("The codebook must be a table with the columns 'theme' and 'pattern'.")
    lower = {str(c).strip().lower(): c for c in codebook.columns}
    picked = {}
    for want, aliases in _COLUMN_ALIASES.items():
        for alias in aliases:
            if alias in lower:
                picked[want] = lower[alias]
                break
    missing = [c for c in ("theme", "pattern") if c not in picked]
    if missing:
        found = ", ".join(repr(str(c)) for c in codebook.columns) or "no columns"
        raise CxInputError(
            f"The codebook needs the columns 'theme' and 'pattern' (missing: {', '.join(missing)}; "
            f"found: {found}). Add a header row 'theme,pattern' (optionally ',parent') and try again."
        )
    out = pd.DataFrame(index=codebook.index)
    for col in ("theme", "pattern", "parent"):
        if col in picked:
            values = codebook[picked[col]].astype("str").fillna("").str.strip()
        else:
            values = pd.Series("", index=codebook.index, dtype="str")
        out[col] = values.astype("str")
    return out


def load_codebook(source: bytes | str | os.PathLike | io.IOBase) -> pd.DataFrame:
    r"""Read a codebook CSV (``theme,pattern[,parent]``).

    Parameters
    ----------
    source : bytes, str, path-like or file-like
        The CSV's bytes (an upload), a path to it, or an open binary/text file.

    Returns
    -------
    pandas.DataFrame
        Columns ``theme``, ``pattern``, ``parent`` (strings; ``""`` when blank), one row per CSV
        row, surrounding spaces stripped, fully blank rows dropped, index 0..n-1.

    Raises
    ------
    CxInputError
        When the file is missing, empty, not CSV, or lacks a ``theme`` or ``pattern`` column.

    Notes
    -----
    Header names are matched case-insensitively (``Theme``, ``PATTERN``; ``regex`` is accepted for
    ``pattern``). The text is read as UTF-8 (with or without BOM), falling back to cp1252.
    Patterns are not checked here: call :func:`validate_codebook`.

    References
    ----------
    RFC 4180, *Common Format and MIME Type for Comma-Separated Values (CSV) Files*.

    Examples
    --------
    >>> load_codebook(b"theme,pattern\nBilling errors,invoic|billing\n").to_dict("records")
    [{'theme': 'Billing errors', 'pattern': 'invoic|billing', 'parent': ''}]
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        raw = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise CxInputError(f"Codebook file not found: {path}. Check the path, or leave it out to use "
                               "the starter codebook.")
        raw = path.read_bytes()
    elif hasattr(source, "read"):
        raw = source.read()
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
    else:
        raise CxInputError("Give the codebook as CSV bytes, a file path or an open file.")
    if not raw.strip():
        raise CxInputError("The codebook file is empty. It needs a header row 'theme,pattern' and one row "
                           "per theme.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    try:
        table = pd.read_csv(io.StringIO(text), dtype="str", keep_default_na=False, skip_blank_lines=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise CxInputError(f"The codebook is not a readable CSV ({err}). Save it as CSV with the columns "
                           "'theme,pattern' and quote patterns that contain commas.") from err
    book = _as_codebook(table)
    book = book[(book["theme"] != "") | (book["pattern"] != "")]
    return book.reset_index(drop=True)


def starter_codebook() -> pd.DataFrame:
    """The built-in starter codebook for B2B comments (``data/codebook.csv``).

    Returns
    -------
    pandas.DataFrame
        As :func:`load_codebook`.

    Notes
    -----
    Tuned to code most non-empty comments of the bundled sample survey; edit it for your own
    customers' words.

    References
    ----------
    ``data/README.md`` (what the sample survey plants).
    """
    return load_codebook(STARTER_CODEBOOK_PATH)


def codebook_to_csv(codebook: pd.DataFrame | Mapping[str, str]) -> bytes:
    r"""Write a codebook as CSV bytes (UTF-8), ready to download and re-import.

    Parameters
    ----------
    codebook : pandas.DataFrame or mapping
        Table with ``theme`` and ``pattern`` (and optionally ``parent``), or ``{theme: pattern}``.

    Returns
    -------
    bytes
        ``theme,pattern`` CSV, with a ``parent`` column when any theme has a parent.

    Notes
    -----
    :func:`load_codebook` reads the output back to an identical table.

    References
    ----------
    RFC 4180 (quoting of fields that hold commas or quotes).

    Examples
    --------
    >>> codebook_to_csv({"Price": "price|expensive"})
    b'theme,pattern\nPrice,price|expensive\n'
    """
    book = _as_codebook(codebook)
    cols = ["theme", "pattern"] + (["parent"] if (book["parent"] != "").any() else [])
    return book[cols].to_csv(index=False, lineterminator="\n").encode("utf-8")


@lru_cache(maxsize=4096)
def _compile(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.IGNORECASE)


@lru_cache(maxsize=4096)
def _re2_accepts(pattern: str) -> bool:
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        pc.match_substring_regex(pa.array([""], pa.large_string()), pattern, ignore_case=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


def _pattern_problem(pattern: str) -> str | None:
    """Why a pattern cannot be used for coding (None when it can)."""
    if not pattern:
        return "empty pattern: type a word or a regular expression, e.g. invoice|billing"
    try:
        rx = _compile(pattern)
    except re.error as err:
        where = f" at position {err.pos}" if err.pos is not None else ""
        return f"invalid pattern: {err.msg}{where}; fix it (a literal ( [ + * ? needs a backslash)"
    if rx.search("") is not None:
        return ("the pattern matches an empty text, so it would code every comment; remove the empty "
                "alternative (e.g. a trailing |) or the * after the whole pattern")
    return None


def validate_codebook(codebook: pd.DataFrame | Mapping[str, str]) -> pd.DataFrame:
    """List the problems of a codebook, row by row.

    Parameters
    ----------
    codebook : pandas.DataFrame or mapping
        Table with ``theme`` and ``pattern`` (and optionally ``parent``), or ``{theme: pattern}``.

    Returns
    -------
    pandas.DataFrame
        One row per problem, columns ``row`` (the codebook's index label), ``theme``, ``problem``
        (what is wrong and what to do) and ``skipped`` (True when :func:`code_comments` leaves the
        row out; False for a note). Empty when every row is fine.

    Raises
    ------
    CxInputError
        When the table lacks a ``theme`` or ``pattern`` column.

    Notes
    -----
    Skipped rows: no theme name; empty pattern; a pattern Python's ``re`` rejects (the message is
    Python's, with the position); a pattern that matches the empty text (it would code every
    comment). Notes (not skipped): a theme name used on several rows (the rows' patterns are
    combined with ``|``); a pattern RE2 cannot run (look-around, back-references), coded with the
    slower Python engine; a parent that is the theme itself.

    References
    ----------
    Python documentation, ``re`` — Regular expression operations.

    Examples
    --------
    >>> validate_codebook({"Billing": "invoice(", "Price": "price"})[["theme", "skipped"]].to_dict("records")
    [{'theme': 'Billing', 'skipped': True}]
    """
    book = _as_codebook(codebook)
    rows: list[tuple[object, str, str, bool]] = []
    first_row: dict[str, object] = {}
    for label, theme, pattern, parent in zip(book.index, book["theme"], book["pattern"], book["parent"]):
        if not theme:
            rows.append((label, theme, "the theme has no name: give it one", True))
            continue
        problem = _pattern_problem(pattern)
        if problem is not None:
            rows.append((label, theme, problem, True))
        elif not _re2_accepts(pattern):
            rows.append((label, theme, "uses look-around or back-references: works, but is coded with "
                                       "Python's slower regex engine", False))
        key = theme.casefold()
        if key in first_row:
            rows.append((label, theme, f"duplicate theme name (also on row {first_row[key]}): the rows' "
                                       "patterns are combined; merge or rename them", False))
        else:
            first_row[key] = label
        if parent and parent.casefold() == key:
            rows.append((label, theme, "the parent is the theme itself: clear it or name another theme", False))
    return pd.DataFrame(rows, columns=["row", "theme", "problem", "skipped"]).astype(
        {"theme": "str", "problem": "str", "skipped": "bool"})


def _coding_rules(codebook: pd.DataFrame | Mapping[str, str]) -> tuple[list[str], list[str], list[str]]:
    """Themes and patterns to code (duplicates combined, bad rows left out), and skipped names."""
    book = _as_codebook(codebook)
    names: dict[str, str] = {}
    pats: dict[str, list[str]] = {}
    bad: list[str] = []
    for theme, pattern in zip(book["theme"], book["pattern"]):
        if not theme:
            continue
        key = theme.casefold()
        if _pattern_problem(pattern) is not None:
            bad.append(theme)
            continue
        names.setdefault(key, theme)
        pats.setdefault(key, [])
        if pattern not in pats[key]:
            pats[key].append(pattern)
    themes = list(names.values())
    patterns = [_join_patterns(pats[k]) for k in names]
    skipped = [t for t in dict.fromkeys(bad) if t.casefold() not in names]
    return themes, patterns, skipped


def _join_patterns(patterns: Sequence[str]) -> str:
    # "|" has the lowest precedence, so joining keeps each alternative whole; a leading (?i) is
    # dropped because Python rejects global flags that are not at the start.
    parts = list(dict.fromkeys(_LEADING_FLAGS.sub("", p) for p in patterns if p))
    return "|".join(parts)


def _new_book(rows: list[dict]) -> pd.DataFrame:
    if not rows:
        return _blank_codebook()
    return pd.DataFrame(rows, columns=["theme", "pattern", "parent"]).astype("str")


def _find(book: pd.DataFrame, theme: str) -> np.ndarray:
    hit = (book["theme"].str.casefold() == str(theme).strip().casefold()).to_numpy()
    if not hit.any():
        raise CxInputError(f"No theme named {theme!r} in the codebook. Pick one of: "
                           f"{', '.join(book['theme'].tolist()) or '(none)'}.")
    return hit


def add_theme(codebook: pd.DataFrame | Mapping[str, str], theme: str, pattern: str,
              parent: str = "") -> pd.DataFrame:
    r"""Add a theme to the end of a codebook.

    Parameters
    ----------
    codebook : pandas.DataFrame or mapping
        The current codebook.
    theme : str
        The new theme's name (must not exist yet, case-insensitively).
    pattern : str
        Its case-insensitive regular expression (e.g. from :func:`suggest_themes`).
    parent : str, optional
        Parent theme, for a two-level codebook.

    Returns
    -------
    pandas.DataFrame
        A new codebook (the input is not changed), index 0..n-1.

    Raises
    ------
    CxInputError
        When the name is blank or already used. An invalid pattern is accepted and flagged by
        :func:`validate_codebook`, so the editor can show it on its row.

    Notes
    -----
    Pure table edit; nothing is coded.

    References
    ----------
    Python documentation, ``re`` — Regular expression operations.

    Examples
    --------
    >>> add_theme({"Price": "price"}, "Credit notes", r"\bcredit\W+notes?\b")["theme"].tolist()
    ['Price', 'Credit notes']
    """
    book = _as_codebook(codebook)
    theme = str(theme).strip()
    if not theme:
        raise CxInputError("Give the new theme a name.")
    if (book["theme"].str.casefold() == theme.casefold()).any():
        raise CxInputError(f"A theme named {theme!r} already exists: pick another name, or merge the themes.")
    rows = book.to_dict("records") + [{"theme": theme, "pattern": str(pattern).strip(),
                                       "parent": str(parent or "").strip()}]
    return _new_book(rows)


def rename_theme(codebook: pd.DataFrame | Mapping[str, str], old: str, new: str) -> pd.DataFrame:
    """Rename a theme (and the parent references to it).

    Parameters
    ----------
    codebook : pandas.DataFrame or mapping
        The current codebook.
    old : str
        The theme to rename (case-insensitive).
    new : str
        Its new name; must not be another theme's name.

    Returns
    -------
    pandas.DataFrame
        A new codebook, index 0..n-1.

    Raises
    ------
    CxInputError
        When ``old`` is not in the codebook, ``new`` is blank, or ``new`` names another theme.

    Notes
    -----
    Patterns are unchanged, so the counts are unchanged.

    References
    ----------
    None; a table edit.

    Examples
    --------
    >>> rename_theme({"Price": "price"}, "Price", "Price and value")["theme"].tolist()
    ['Price and value']
    """
    book = _as_codebook(codebook)
    hit = _find(book, old)
    new = str(new).strip()
    if not new:
        raise CxInputError("Give the theme a new name.")
    clash = (book["theme"].str.casefold() == new.casefold()).to_numpy() & ~hit
    if clash.any():
        raise CxInputError(f"A theme named {new!r} already exists: merge the two themes instead.")
    rows = book.to_dict("records")
    for i, r in enumerate(rows):
        if hit[i]:
            r["theme"] = new
        if r["parent"].casefold() == str(old).strip().casefold():
            r["parent"] = new
    return _new_book(rows)


def merge_themes(codebook: pd.DataFrame | Mapping[str, str], themes: Sequence[str],
                 into: str | None = None) -> pd.DataFrame:
    """Merge several themes into one, joining their patterns with ``|``.

    Parameters
    ----------
    codebook : pandas.DataFrame or mapping
        The current codebook.
    themes : sequence of str
        The theme names to merge (case-insensitive), usually two or more.
    into : str, optional
        Name of the merged theme. Default: the first of ``themes`` keeps its name. It may be a new
        name or one of ``themes``, not another existing theme.

    Returns
    -------
    pandas.DataFrame
        A new codebook: the merged row takes the place of the first merged row and the parent of
        the first theme; parent references to merged themes point to the merged theme.

    Raises
    ------
    CxInputError
        When a theme is not in the codebook, no theme is given, or ``into`` clashes with a theme
        that is not merged.

    Notes
    -----
    merged pattern = p1 | p2 | ... (each row's pattern in codebook order, duplicates once). A
    comment matches the merged theme exactly when it matched any of the merged themes, so the
    merged count is the number of comments matching at least one of them (not the sum).

    References
    ----------
    Python documentation, ``re``: ``A|B`` matches A or B; ``|`` has the lowest precedence.

    Examples
    --------
    >>> merge_themes({"Late": "late", "Delay": "delay", "Price": "price"}, ["Late", "Delay"],
    ...              into="Delivery delays").to_dict("records")[0]
    {'theme': 'Delivery delays', 'pattern': 'late|delay', 'parent': ''}
    """
    book = _as_codebook(codebook)
    if isinstance(themes, str) or not themes:
        raise CxInputError("Pick the themes to merge.")
    merged = np.zeros(len(book), dtype=bool)
    for t in themes:
        merged |= _find(book, t)
    keys = {str(t).strip().casefold() for t in themes}
    into = str(into).strip() if into is not None and str(into).strip() else str(themes[0]).strip()
    into = next((t for t in book["theme"] if t.casefold() == into.casefold() and t.casefold() in keys), into)
    if ((book["theme"].str.casefold() == into.casefold()).to_numpy() & ~merged).any():
        raise CxInputError(f"A theme named {into!r} already exists and is not being merged: pick another name.")
    rows = book.to_dict("records")
    first = int(np.flatnonzero(merged)[0])
    pattern = _join_patterns([r["pattern"] for r, m in zip(rows, merged) if m])
    out = []
    for i, r in enumerate(rows):
        if i == first:
            out.append({"theme": into, "pattern": pattern, "parent": r["parent"]})
        elif not merged[i]:
            if r["parent"].casefold() in keys:
                r = {**r, "parent": into}
            out.append(r)
    if out[first]["parent"].casefold() in keys | {into.casefold()}:
        out[first]["parent"] = ""
    return _new_book(out)


def delete_theme(codebook: pd.DataFrame | Mapping[str, str], theme: str) -> pd.DataFrame:
    """Delete a theme (every row with that name).

    Parameters
    ----------
    codebook : pandas.DataFrame or mapping
        The current codebook.
    theme : str
        The theme to delete (case-insensitive).

    Returns
    -------
    pandas.DataFrame
        A new codebook; themes whose parent was the deleted theme lose their parent.

    Raises
    ------
    CxInputError
        When the theme is not in the codebook.

    Notes
    -----
    Comments coded only with the deleted theme become uncoded (coverage falls).

    References
    ----------
    None; a table edit.

    Examples
    --------
    >>> delete_theme({"Price": "price", "Late": "late"}, "price")["theme"].tolist()
    ['Late']
    """
    book = _as_codebook(codebook)
    hit = _find(book, theme)
    key = str(theme).strip().casefold()
    rows = []
    for r, h in zip(book.to_dict("records"), hit):
        if not h:
            rows.append({**r, "parent": "" if r["parent"].casefold() == key else r["parent"]})
    return _new_book(rows)


def phrase_pattern(phrase: str) -> str:
    r"""A ready regular expression for a word phrase: whole words, any spacing or punctuation between.

    Parameters
    ----------
    phrase : str
        One or more words, e.g. ``"credit note"``.

    Returns
    -------
    str
        ``\bword1\W+word2\b``: each word escaped, whole words only.

    Notes
    -----
    ``\W+`` between words lets "credit-note", "credit  note" and "credit note" all match.

    References
    ----------
    Python documentation, ``re``: ``\b`` (word boundary), ``\W`` (non-word character).

    Examples
    --------
    >>> phrase_pattern("credit note")
    '\\bcredit\\W+note\\b'
    """
    words = str(phrase).split()
    if not words:
        raise CxInputError("The phrase is empty: type at least one word.")
    return r"\b" + r"\W+".join(re.escape(w) for w in words) + r"\b"


# --------------------------------------------------------------------------------------------
# Coding
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class CodedComments:
    """Which comment mentions which theme: a boolean matrix, comments × themes.

    Attributes
    ----------
    themes : tuple of str
        Coded themes, in codebook order (rows skipped as invalid are not here).
    patterns : tuple of str
        Each theme's pattern (rows of one theme joined with ``|``).
    matrix : numpy.ndarray
        ``bool`` array of shape (n rows, n themes); all False on empty comments.
    non_empty : numpy.ndarray
        ``bool`` array, True where the comment has non-whitespace text.
    index : pandas.Index
        The comments' index, to align with the survey frame.
    skipped : tuple of str
        Themes left out because every row of theirs has a problem (see :func:`validate_codebook`).
    """

    themes: tuple[str, ...]
    patterns: tuple[str, ...]
    matrix: np.ndarray
    non_empty: np.ndarray
    index: pd.Index
    skipped: tuple[str, ...] = ()

    @property
    def n_rows(self) -> int:
        """Rows, comment or not."""
        return int(len(self.non_empty))

    @property
    def n_comments(self) -> int:
        """Non-empty comments."""
        return int(self.non_empty.sum())

    @property
    def coded_any(self) -> np.ndarray:
        """True where a comment matches at least one theme."""
        return self.matrix.any(axis=1) if self.matrix.shape[1] else np.zeros(self.n_rows, dtype=bool)

    @property
    def n_coded(self) -> int:
        """Non-empty comments coded with at least one theme."""
        return int(self.coded_any.sum())

    @property
    def coverage(self) -> float:
        """Share of non-empty comments coded with at least one theme (NaN when no comments)."""
        n = self.n_comments
        return self.n_coded / n if n else float("nan")

    @property
    def counts(self) -> pd.Series:
        """Comments matching each theme, in codebook order."""
        return pd.Series(self.matrix.sum(axis=0).astype(np.int64), index=list(self.themes), name="count")

    def theme_mask(self, theme: str) -> np.ndarray:
        """True where the comment mentions ``theme``."""
        try:
            j = self.themes.index(theme)
        except ValueError:
            raise CxInputError(f"No coded theme named {theme!r}. Coded themes: "
                               f"{', '.join(self.themes) or '(none)'}.") from None
        return self.matrix[:, j]

    def subset(self, mask: np.ndarray | pd.Series | Sequence[bool]) -> CodedComments:
        """Keep only the rows where ``mask`` is True (a filter), without re-coding."""
        if isinstance(mask, pd.Series):
            mask = mask.reindex(self.index).fillna(False).to_numpy(dtype=bool)
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != (self.n_rows,):
            raise CxInputError(f"The filter has {mask.size} values for {self.n_rows} coded rows: build it "
                               "from the same frame the comments were coded from.")
        return CodedComments(self.themes, self.patterns, self.matrix[mask], self.non_empty[mask],
                             self.index[mask], self.skipped)

    def to_frame(self) -> pd.DataFrame:
        """The matrix as a DataFrame: one boolean column per theme, the comments' index."""
        return pd.DataFrame(self.matrix, index=self.index, columns=list(self.themes))


def _arrow_strings(comments: pd.Series):
    """The comments as an Arrow chunked string array: the column's own memory when it is Arrow-backed."""
    import pyarrow as pa

    if not isinstance(comments.dtype, pd.StringDtype):
        comments = comments.astype("str")
    arr = pa.array(comments.array)
    return arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])


_DEDUP_MIN_ROWS = 25_000  # in a part of the rows (see code_comments)
_DEDUP_BELOW = 0.6


def _distinct_share(texts) -> float:
    """Share of distinct texts among the comments of an evenly spread sample of 20,000 rows (cheap estimate)."""
    import pyarrow.compute as pc

    step = max(1, len(texts) // 20_000)
    sample = pc.drop_null(texts.take(np.arange(0, len(texts), step)[:20_000]))
    return pc.count_distinct(sample).as_py() / max(len(sample), 1)


def _non_empty(texts) -> np.ndarray:
    """Which texts hold something other than whitespace (missing ones do not); no copy of the text."""
    import pyarrow.compute as pc

    if not len(texts):
        return np.zeros(0, dtype=bool)
    blank = pc.or_kleene(pc.equal(pc.binary_length(texts), 0), pc.utf8_is_space(texts))
    return np.asarray(pc.fill_null(pc.invert(blank), False).to_numpy(zero_copy_only=False), dtype=bool)


def _python_match(texts: list[str], pattern: str) -> np.ndarray:
    search = _compile(pattern).search
    return np.fromiter((search(t) is not None for t in texts), dtype=bool, count=len(texts))


class _Matcher:
    r"""Match patterns against a fixed set of non-empty comments, RE2 where it agrees with Python.

    RE2 and Python agree on printable-ASCII text. They can differ elsewhere for a few constructs:
    ``\b \w \d \s`` are ASCII-only in RE2 and Unicode in Python, RE2's ``\s`` omits ``\v``, and
    Python's ``$`` also matches before a final newline. Patterns using those are re-checked with
    Python on the (usually few) comments holding anything but printable ASCII.
    """

    def __init__(self, arr):
        self.arr = arr
        self._unusual: np.ndarray | None = None
        self._texts: list[str] | None = None
        self._unusual_texts: list[str] | None = None

    @property
    def unusual(self) -> np.ndarray:
        """Positions of the texts holding anything but printable ASCII (found on first use: a pass over all text)."""
        if self._unusual is None:
            import pyarrow.compute as pc

            # tabs count as unusual too: they are safe, and rare enough not to matter
            unusual = pc.invert(pc.fill_null(pc.ascii_is_printable(self.arr), True))
            self._unusual = np.flatnonzero(unusual.to_numpy(zero_copy_only=False))
        return self._unusual

    def texts(self) -> list[str]:
        if self._texts is None:
            self._texts = self.arr.to_pylist()
        return self._texts

    def unusual_texts(self) -> list[str]:
        if self._unusual_texts is None:
            self._unusual_texts = self.arr.take(self.unusual).to_pylist()
        return self._unusual_texts

    def match(self, pattern: str) -> np.ndarray:
        import pyarrow.compute as pc

        if not _re2_accepts(pattern):
            return _python_match(self.texts(), pattern)
        hit = pc.fill_null(pc.match_substring_regex(self.arr, pattern, ignore_case=True), False)
        hit = hit.to_numpy(zero_copy_only=False)
        if _ENGINE_SENSITIVE.search(pattern) and self.unusual.size:
            hit = hit.copy()
            hit[self.unusual] = _python_match(self.unusual_texts(), pattern)
        return hit


def code_comments(comments: pd.Series, codebook: pd.DataFrame | Mapping[str, str]) -> CodedComments:
    r"""Code every comment with the themes whose pattern it matches.

    Parameters
    ----------
    comments : pandas.Series
        Free-text comments, one per respondent (the cleaned frame's comment column).
    codebook : pandas.DataFrame or mapping
        ``theme, pattern`` table (see :func:`load_codebook`) or ``{theme: pattern}``.

    Returns
    -------
    CodedComments
        Boolean matrix comments × themes, which comments are non-empty, the themes left out.

    Raises
    ------
    CxInputError
        When the codebook lacks a ``theme`` or ``pattern`` column.

    Notes
    -----
    coded[i, t] = comment i is non-empty and ``re.search(pattern_t, comment_i, re.IGNORECASE)``
    finds a match. A comment that is missing or only whitespace is empty and codes nothing.
    Rows with an invalid pattern are left out (listed in ``skipped`` and by
    :func:`validate_codebook`); the other themes are coded as usual. Rows sharing a theme name
    are one theme whose pattern is the rows' patterns joined with ``|``.

    Matching runs on RE2 (pyarrow), one pass per theme, the rows split between the cores: about
    0.07 s per theme per 300,000 comments of 130 characters on one core. When fewer than 60% of a
    large set of comments are distinct, each distinct text is matched once. Python ``re`` takes over for patterns RE2 cannot run and, on
    comments with characters other than printable ASCII, for patterns using ``\b \w \d \s`` or
    ``$`` (whose meaning differs there), so results always follow Python's semantics.

    References
    ----------
    Cox, R. (2010). *Regular Expression Matching in the Wild* (RE2). Python documentation, ``re``.

    Examples
    --------
    >>> coded = code_comments(pd.Series(["Invoice wrong", "late delivery, wrong invoice", " "]),
    ...                       {"Billing": "invoice", "Delivery": "late|deliver"})
    >>> coded.counts.to_dict(), coded.n_comments
    ({'Billing': 2, 'Delivery': 1}, 2)
    """
    if not isinstance(comments, pd.Series):
        comments = pd.Series(comments)
    themes, patterns, skipped = _coding_rules(codebook)
    n = len(comments)
    arr = _arrow_strings(comments)
    matrix = np.zeros((n, len(themes)), dtype=bool, order="F")
    non_empty = np.zeros(n, dtype=bool)
    # pyarrow's kernels release the GIL: the rows are split between the cores, each part coded whole
    # (deduplicated, then every theme), so no part waits for another.
    parts = max(1, min(os.cpu_count() or 1, n // _PART_MIN_ROWS)) if themes else 1
    bounds = [n * k // parts for k in range(parts + 1)]
    if parts > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=parts) as pool:
            coded = list(pool.map(lambda k: _code_part(arr.slice(bounds[k], bounds[k + 1] - bounds[k]), patterns),
                                  range(parts)))
    else:
        coded = [_code_part(arr, patterns)]
    for start, (rows, hits) in zip(bounds, coded):
        rows = rows + start
        non_empty[rows] = True
        for j, hit in enumerate(hits):
            matrix[rows, j] = hit
    return CodedComments(tuple(themes), tuple(patterns), matrix, non_empty, comments.index.copy(),
                         tuple(skipped))


_PART_MIN_ROWS = 20_000


def _code_part(arr, patterns: Sequence[str]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The non-empty rows of a run of comments, and for each pattern which of those rows match it."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(arr)
    codes = None
    if n >= _DEDUP_MIN_ROWS and patterns and _distinct_share(arr) < _DEDUP_BELOW:
        # Many repeated comments ("Good service", "N/A"): each distinct text is checked and matched once.
        # Missing comments are dropped first (hashing them is a third of the work when most rows have none).
        present = np.flatnonzero(arr.is_valid().to_numpy(zero_copy_only=False)) if arr.null_count else None
        encoded = pc.dictionary_encode(_combined(arr if present is None else pc.drop_null(arr)))
        texts = encoded.dictionary
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        kept = _non_empty(texts)[codes]
        rows = np.flatnonzero(kept) if present is None else present[kept]
        codes = codes[kept]
    else:
        # Only non-empty comments are matched: a pass costs as much per missing comment as per short one.
        kept = _non_empty(arr)
        rows = np.flatnonzero(kept)
        texts = None
        if rows.size and patterns:
            texts = arr if rows.size == n else arr.filter(pa.array(kept))
    if not (rows.size and patterns):
        return rows, [np.zeros(rows.size, dtype=bool) for _ in patterns]
    matcher = _Matcher(texts)
    hits = [matcher.match(p) for p in patterns]
    return rows, hits if codes is None else [h[codes] for h in hits]


def _combined(arr):
    """A chunked string array as one array (large offsets when its text would overflow 32-bit ones)."""
    import pyarrow as pa

    if arr.type == pa.string() and arr.nbytes >= 1 << 31:
        arr = arr.cast(pa.large_string())
    return arr.combine_chunks()


def roll_up_to_parents(coded: CodedComments, codebook: pd.DataFrame | Mapping[str, str]) -> CodedComments:
    """Code at the parent level: a comment mentions a parent when it mentions any of its children.

    Parameters
    ----------
    coded : CodedComments
        Coding at the theme level (from :func:`code_comments`).
    codebook : pandas.DataFrame
        The codebook with a ``parent`` column; themes without a parent stay as they are.

    Returns
    -------
    CodedComments
        Themes are the parents (and parentless themes), in order of first appearance; patterns
        are the children's patterns joined with ``|``.

    Notes
    -----
    coded[i, P] = OR over the children t of P of coded[i, t]. A parent's count is the number of
    comments mentioning at least one child, not the sum of the children's counts.

    References
    ----------
    None; a logical OR over the codebook's hierarchy.

    Examples
    --------
    >>> book = pd.DataFrame({"theme": ["Late", "Damaged"], "pattern": ["late", "damag"],
    ...                      "parent": ["Delivery", "Delivery"]})
    >>> roll_up_to_parents(code_comments(pd.Series(["late and damaged"]), book), book).counts.to_dict()
    {'Delivery': 1}
    """
    book = _as_codebook(codebook)
    parent_of = {}
    for t, p in zip(book["theme"], book["parent"]):
        parent_of.setdefault(t.casefold(), p or t)
    groups: dict[str, list[int]] = {}
    for j, t in enumerate(coded.themes):
        groups.setdefault(parent_of.get(t.casefold(), t), []).append(j)
    names = list(groups)
    matrix = np.zeros((coded.n_rows, len(names)), dtype=bool, order="F")
    for k, name in enumerate(names):
        matrix[:, k] = coded.matrix[:, groups[name]].any(axis=1)
    patterns = tuple(_join_patterns([coded.patterns[j] for j in groups[name]]) for name in names)
    return CodedComments(tuple(names), patterns, matrix, coded.non_empty, coded.index, coded.skipped)


# --------------------------------------------------------------------------------------------
# Pareto
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ThemeShare:
    """One bar of the Pareto.

    Attributes
    ----------
    theme : str
        Theme name.
    count : int
        Non-empty comments that mention the theme.
    weight : float
        The value the Pareto sorts by: ``count`` for mentions, else the weighting's value.
    share : float
        weight / total weight (= count / mentions when weighting by mentions).
    cumulative_share : float
        Running total of ``share`` down the sorted list.
    vital_few : bool
        In the shortest run of top themes whose cumulative share reaches 0.8.
    """

    theme: str
    count: int
    weight: float
    share: float
    cumulative_share: float
    vital_few: bool


@dataclass(frozen=True)
class ThemePareto:
    """The Pareto of comment themes: counts, shares, the vital few.

    Attributes
    ----------
    items : tuple of ThemeShare
        Themes sorted by weight (by count for mentions), largest first, ties by theme name.
    comments : int
        Non-empty comments in the base.
    mentions : int
        Sum of the themes' counts (a comment with two themes is two mentions).
    coded : int
        Non-empty comments that mention at least one theme.
    weighting : str
        What the bars measure: ``"mentions"``, ``"detractor mentions"``, ``"revenue"``,
        ``"nps impact"`` or ``"custom"``.
    """

    items: tuple[ThemeShare, ...]
    comments: int
    mentions: int
    coded: int
    weighting: str = "mentions"

    @property
    def coverage(self) -> float:
        """Share of non-empty comments coded with at least one theme (NaN when none)."""
        return self.coded / self.comments if self.comments else float("nan")

    @property
    def total_weight(self) -> float:
        """Sum of the bars' weights (= mentions when weighting by mentions)."""
        return float(sum(i.weight for i in self.items))

    @property
    def vital_few(self) -> tuple[str, ...]:
        """The vital-few themes, most important first."""
        return tuple(i.theme for i in self.items if i.vital_few)

    @property
    def vital_few_share(self) -> float:
        """Cumulative share reached by the vital few (≥ 0.8; NaN when nothing to rank)."""
        vital = [i for i in self.items if i.vital_few]
        return vital[-1].cumulative_share if vital else float("nan")

    @property
    def themes_with_mentions(self) -> int:
        """Themes with a non-zero weight."""
        return sum(1 for i in self.items if i.weight > 0)

    def to_frame(self) -> pd.DataFrame:
        """One row per theme: theme, count, weight, share, cumulative_share, vital_few."""
        cols = ["theme", "count", "weight", "share", "cumulative_share", "vital_few"]
        if not self.items:
            return pd.DataFrame({c: pd.Series([], dtype=d) for c, d in zip(
                cols, ["str", "int64", "float64", "float64", "float64", "bool"])})
        return pd.DataFrame([i.__dict__ for i in self.items], columns=cols).astype(
            {"theme": "str", "count": "int64", "weight": "float64", "share": "float64",
             "cumulative_share": "float64", "vital_few": "bool"})

    def to_dict(self) -> dict:
        """The ``themes`` section of the ``analyze`` JSON (see CONTRACT.md), plus extras."""
        cov = self.coverage
        return {
            "comments": int(self.comments),
            "mentions": int(self.mentions),
            "coded": int(self.coded),
            "coverage": None if math.isnan(cov) else float(cov),
            "weighting": self.weighting,
            "items": [{"theme": i.theme, "count": int(i.count), "share": float(i.share),
                       "cumulative_share": float(i.cumulative_share), "vital_few": bool(i.vital_few),
                       "weight": float(i.weight)} for i in self.items],
        }


def _build_pareto(themes: Sequence[str], counts: np.ndarray, weights: np.ndarray, comments: int,
                  coded: int, weighting: str) -> ThemePareto:
    counts = np.asarray(counts, dtype=np.int64)
    mentions = int(counts.sum())
    weights = np.asarray(weights, dtype=np.float64)
    order = sorted(range(len(themes)), key=lambda j: (-weights[j], themes[j]))
    total = float(weights.sum())
    if total <= 0:
        return ThemePareto((), int(comments), mentions, int(coded), weighting)
    if weighting == "mentions":
        # Integer running totals: exact shares, so a cut at exactly 80% is exactly 0.8.
        cum = np.cumsum(counts[order]) / mentions
        share = counts[order] / mentions
    else:
        cum = np.cumsum(weights[order]) / total
        share = weights[order] / total
    reached = np.flatnonzero(cum >= VITAL_FEW_CUT - _CUT_TOLERANCE)
    last_vital = int(reached[0]) if reached.size else len(order) - 1
    items = tuple(
        ThemeShare(themes[j], int(counts[j]), float(weights[j]), float(share[k]), float(cum[k]), k <= last_vital)
        for k, j in enumerate(order)
    )
    return ThemePareto(items, int(comments), mentions, int(coded), weighting)


def _per_comment(values, coded: CodedComments, what: str) -> np.ndarray:
    if isinstance(values, pd.Series):
        if not values.index.equals(coded.index):
            if not values.index.is_unique:
                raise CxInputError(f"The {what} cannot be lined up with the comments (duplicate row labels): "
                                   "reset the frame's index first.")
            values = values.reindex(coded.index)
        values = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    values = np.asarray(values, dtype=np.float64)
    if values.shape != (coded.n_rows,):
        raise CxInputError(f"The {what} has {values.size} values for {coded.n_rows} comments: give one "
                           "value per row of the coded frame.")
    return values


def pareto_table(coded: CodedComments, weights=None, *, weighting: str | None = None) -> ThemePareto:
    """The Pareto of themes: count, share, cumulative share and the vital few.

    Parameters
    ----------
    coded : CodedComments
        From :func:`code_comments` (possibly filtered with ``coded.subset(mask)``).
    weights : array-like or pandas.Series, optional
        A non-negative weight per comment row (a Series is aligned on the index; NaN counts as
        0). Default: every mention weighs 1 (the Pareto of mentions).
    weighting : str, optional
        Label of the weighting, reported in the result. Default ``"mentions"`` without weights,
        ``"custom"`` with.

    Returns
    -------
    ThemePareto
        Items sorted by weight, largest first, ties broken by theme name.

    Raises
    ------
    CxInputError
        When weights do not line up with the comments or are negative.

    Notes
    -----
    Over non-empty comments only:

    - count_t = number of comments matching theme t; mentions = Σ_t count_t;
    - weight_t = count_t (mentions) or Σ_{i matches t} w_i (weighted);
    - share_t = weight_t / Σ weight (= count_t / mentions by mentions);
    - cumulative_share = running sum of share in sorted order;
    - vital_few is true for the themes up to and including the first one whose cumulative share
      reaches 0.8 (a theme at exactly 0.8 is vital). Themes tied with the last vital theme but
      sorted after it (by name) are not vital: the cut is the shortest prefix.

    A theme that no comment mentions (count 0) is listed, at the end, with share 0 and
    ``vital_few`` false, so an editor sees which patterns match nothing. When nothing is
    mentioned at all (total weight 0) there is nothing to rank and ``items`` is empty.
    ``coverage`` = comments coded by at least one theme / non-empty comments.

    References
    ----------
    Juran, J.M. (1951). *Quality Control Handbook* ("vital few and trivial many").
    ../shared/CONTRACT.md, "Themes" definition.

    Examples
    --------
    >>> coded = code_comments(pd.Series(["late", "late invoice", "invoice", "late"]),
    ...                       {"Billing": "invoice", "Delivery": "late"})
    >>> [(i.theme, i.count, i.share, i.vital_few) for i in pareto_table(coded).items]
    [('Delivery', 3, 0.6, True), ('Billing', 2, 0.4, True)]
    """
    counts = coded.matrix.sum(axis=0).astype(np.int64)
    if weights is None:
        return _build_pareto(coded.themes, counts, counts.astype(np.float64), coded.n_comments,
                             coded.n_coded, weighting or "mentions")
    w = _per_comment(weights, coded, "weight")
    w = np.where(np.isnan(w) | ~coded.non_empty, 0.0, w)
    if (w < 0).any():
        raise CxInputError("Weights must not be negative (e.g. credits in a revenue column): clip them at 0 "
                           "or choose another weighting.")
    theme_weights = w @ coded.matrix if coded.themes else np.zeros(0)
    return _build_pareto(coded.themes, counts, theme_weights, coded.n_comments, coded.n_coded,
                         weighting or "custom")


def _frame_column(frame: pd.DataFrame, coded: CodedComments, col: str) -> pd.Series:
    if col not in frame.columns:
        raise CxInputError(f"Column {col!r} is not in the data. Pick one of: {', '.join(map(str, frame.columns))}.")
    s = frame[col]
    if s.index.equals(coded.index):
        return s
    if not frame.index.is_unique:
        raise CxInputError("The data's row labels repeat, so comments cannot be lined up with it: reset the "
                           "index (frame.reset_index(drop=True)) before coding.")
    return s.reindex(coded.index)


def _loyalty(frame: pd.DataFrame, coded: CodedComments, col: str) -> np.ndarray:
    score = np.array(pd.to_numeric(_frame_column(frame, coded, col), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan))
    score[(score < 0) | (score > 10)] = np.nan
    return score


def _nps_groups(score: np.ndarray) -> np.ndarray:
    group = np.full(score.shape, None, dtype=object)
    group[score <= 6] = "Detractor"
    group[(score >= 7) & (score <= 8)] = "Passive"
    group[score >= 9] = "Promoter"
    return group


def nps_impact(frame: pd.DataFrame, coded: CodedComments, loyalty_col: str) -> pd.DataFrame:
    """NPS of the commenters who mention each theme against those who do not.

    Parameters
    ----------
    frame : pandas.DataFrame
        The cleaned survey frame the comments were coded from (aligned on the index).
    coded : CodedComments
        From :func:`code_comments` (possibly a ``subset``).
    loyalty_col : str
        The 0–10 likelihood-to-recommend column.

    Returns
    -------
    pandas.DataFrame
        One row per theme, codebook order: ``theme``, ``n_mentioning``, ``nps_mentioning``,
        ``n_other``, ``nps_other``, ``impact``, ``points_at_stake``.

    Notes
    -----
    Base: non-empty comments with a valid 0–10 score (N of them). For theme t, M = those who
    mention t, O = the others; NPS(X) = 100 × (promoters − detractors) / |X|.

    - impact_t = NPS(M) − NPS(O) (NaN when M or O is empty);
    - points_at_stake_t = max(0, −impact_t) × |M| / N.

    points_at_stake is the rise of the commenters' NPS if those mentioning t scored like the
    others: a non-negative measure, proportional to (negative impact × count), that the NPS-impact
    Pareto sorts by. Themes that go with a higher NPS (praise) have 0 at stake.

    References
    ----------
    Reichheld, F.F. (2003). The One Number You Need to Grow. *Harvard Business Review*.

    Examples
    --------
    >>> f = pd.DataFrame({"c": ["late", "late", "fine", "fine"], "ltr": [2.0, 6.0, 10.0, 9.0]})
    >>> nps_impact(f, code_comments(f["c"], {"Delivery": "late"}), "ltr")[["impact", "points_at_stake"]].iloc[0].tolist()
    [-200.0, 100.0]
    """
    score = _loyalty(frame, coded, loyalty_col)
    base = coded.non_empty & ~np.isnan(score)
    n = int(base.sum())
    m = coded.matrix[base].astype(np.float64)
    net = np.where(score[base] >= 9, 1.0, 0.0) - np.where(score[base] <= 6, 1.0, 0.0)
    n_m = m.sum(axis=0)
    net_m = net @ m if m.shape[1] else np.zeros(0)
    n_o = n - n_m
    net_o = net.sum() - net_m
    with np.errstate(invalid="ignore", divide="ignore"):
        nps_m = np.where(n_m > 0, 100 * net_m / n_m, np.nan)
        nps_o = np.where(n_o > 0, 100 * net_o / n_o, np.nan)
        impact = nps_m - nps_o
        stake = np.where(np.isnan(impact), 0.0, np.maximum(0.0, -impact) * n_m / max(n, 1))
    return pd.DataFrame({
        "theme": pd.Series(list(coded.themes), dtype="str"),
        "n_mentioning": n_m.astype(np.int64), "nps_mentioning": nps_m,
        "n_other": n_o.astype(np.int64), "nps_other": nps_o,
        "impact": impact, "points_at_stake": stake,
    })


def weighted_pareto(frame: pd.DataFrame, coded: CodedComments, weighting: str = "mentions", *,
                    loyalty_col: str | None = None, revenue_col: str | None = None) -> ThemePareto:
    """The Pareto of themes under a chosen weighting.

    Parameters
    ----------
    frame : pandas.DataFrame
        The cleaned survey frame the comments were coded from (aligned on the index).
    coded : CodedComments
        From :func:`code_comments` (possibly a ``subset``).
    weighting : {"mentions", "detractor mentions", "revenue", "nps impact"}
        What a bar measures; see Notes.
    loyalty_col : str, optional
        The 0–10 loyalty column (needed for detractor mentions and NPS impact).
    revenue_col : str, optional
        Annual revenue per respondent (needed for revenue).

    Returns
    -------
    ThemePareto
        ``count``, ``comments`` and ``mentions`` always count comments; ``weight``, ``share``,
        ``cumulative_share`` and ``vital_few`` follow the weighting.

    Raises
    ------
    CxInputError
        For an unknown weighting, a missing column it needs, or negative revenue.

    Notes
    -----
    weight_t per weighting (over non-empty comments):

    - mentions: count_t;
    - detractor mentions: comments mentioning t from detractors (score 0–6);
    - revenue: Σ revenue of the commenters mentioning t (missing revenue counts 0; a respondent
      mentioning two themes counts for both);
    - nps impact: points_at_stake_t = max(0, NPS(others) − NPS(mentioning t)) × |mentioning t| / N
      (see :func:`nps_impact`).

    References
    ----------
    Juran (1951); Reichheld (2003), see :func:`pareto_table` and :func:`nps_impact`.

    Examples
    --------
    >>> f = pd.DataFrame({"c": ["late", "late", "invoice"], "ltr": [3.0, 9.0, 5.0]})
    >>> p = weighted_pareto(f, code_comments(f["c"], {"Billing": "invoice", "Delivery": "late"}),
    ...                     "detractor mentions", loyalty_col="ltr")
    >>> [(i.theme, i.count, i.weight) for i in p.items]
    [('Billing', 1, 1.0), ('Delivery', 2, 1.0)]
    """
    key = str(weighting).strip().lower()
    if key not in WEIGHTINGS:
        raise CxInputError(f"Unknown weighting {weighting!r}: choose one of {', '.join(WEIGHTINGS)}.")
    if key == "mentions":
        return pareto_table(coded)
    if key in ("detractor mentions", "nps impact") and not loyalty_col:
        raise CxInputError(f"Weighting by {key} needs the loyalty (0–10) column: map it on the Data page.")
    if key == "detractor mentions":
        score = _loyalty(frame, coded, loyalty_col)
        return pareto_table(coded, (score <= 6).astype(np.float64), weighting=key)
    if key == "revenue":
        if not revenue_col:
            raise CxInputError("Weighting by revenue needs a revenue column: map it on the Data page.")
        revenue = _per_comment(_frame_column(frame, coded, revenue_col), coded, "revenue")
        if (revenue < 0).any():
            raise CxInputError(f"Column {revenue_col!r} has negative revenue: fix or clip those rows to weight "
                               "themes by revenue.")
        return pareto_table(coded, revenue, weighting=key)
    impact = nps_impact(frame, coded, loyalty_col)
    counts = coded.matrix.sum(axis=0).astype(np.int64)
    return _build_pareto(coded.themes, counts, impact["points_at_stake"].to_numpy(), coded.n_comments,
                         coded.n_coded, key)


@dataclass(frozen=True, eq=False)
class VitalFewShift:
    """How the vital few change between weightings.

    Attributes
    ----------
    baseline : str
        The weighting the others are compared with (usually mentions).
    weightings : tuple of str
        All weightings compared, baseline first.
    vital : dict
        Weighting → its vital-few themes, most important first.
    entered : dict
        Weighting → themes vital under it but not under the baseline.
    left : dict
        Weighting → themes vital under the baseline but not under it.
    table : pandas.DataFrame
        Long form: weighting, theme, rank, share, vital_few, change.
    comments : int
        Non-empty comments in the baseline Pareto (the base n).
    """

    baseline: str
    weightings: tuple[str, ...]
    vital: dict[str, tuple[str, ...]]
    entered: dict[str, tuple[str, ...]]
    left: dict[str, tuple[str, ...]]
    table: pd.DataFrame = field(repr=False)
    comments: int = 0

    @property
    def always_vital(self) -> tuple[str, ...]:
        """Themes vital under every weighting (baseline order)."""
        return tuple(t for t in self.vital[self.baseline] if all(t in v for v in self.vital.values()))

    def to_frame(self) -> pd.DataFrame:
        """The long table (a copy)."""
        return self.table.copy()

    def summary(self) -> pd.DataFrame:
        """One row per weighting: its vital few, the themes that enter and those that leave.

        Columns ``weighting``, ``vital_few``, ``enters``, ``leaves`` (theme names joined with
        "; ", most important first) and ``n_vital``.
        """
        return pd.DataFrame({
            "weighting": pd.Series(list(self.weightings), dtype="str"),
            "vital_few": pd.Series(["; ".join(self.vital[w]) for w in self.weightings], dtype="str"),
            "enters": pd.Series(["; ".join(self.entered[w]) for w in self.weightings], dtype="str"),
            "leaves": pd.Series(["; ".join(self.left[w]) for w in self.weightings], dtype="str"),
            "n_vital": pd.Series([len(self.vital[w]) for w in self.weightings], dtype="int64"),
        })

    def to_dict(self) -> dict:
        """Baseline, and per weighting its vital few, the themes that enter and those that leave."""
        return {"baseline": self.baseline, "comments": int(self.comments),
                "weightings": [{"weighting": w, "vital_few": list(self.vital[w]),
                                "entered": list(self.entered[w]), "left": list(self.left[w])}
                               for w in self.weightings]}


def compare_vital_few(paretos: Mapping[str, ThemePareto], baseline: str | None = None) -> VitalFewShift:
    r"""Compare the vital few across weightings: which themes enter, which leave.

    Parameters
    ----------
    paretos : mapping of str to ThemePareto
        One Pareto per weighting (e.g. ``{w: weighted_pareto(frame, coded, w, ...) for w in
        WEIGHTINGS}``), in display order.
    baseline : str, optional
        Key to compare against. Default: the first key.

    Returns
    -------
    VitalFewShift
        Vital few per weighting, entered/left relative to the baseline, and a long table.

    Raises
    ------
    CxInputError
        When ``paretos`` is empty or ``baseline`` is not one of its keys.

    Notes
    -----
    entered_w = vital_w minus vital_baseline; left_w = vital_baseline minus vital_w. In the table,
    ``rank`` is the theme's 1-based position in that Pareto (NaN when not listed) and ``change``
    is ``"baseline"``/``""`` for the baseline, else ``"stays"``, ``"enters"``, ``"leaves"`` or
    ``""`` (vital in neither).

    References
    ----------
    Juran (1951), see :func:`pareto_table`.

    Examples
    --------
    >>> a = ThemePareto((ThemeShare("A", 8, 8.0, 0.8, 0.8, True), ThemeShare("B", 2, 2.0, 0.2, 1.0, False)), 10, 10, 10)
    >>> b = ThemePareto((ThemeShare("B", 2, 9.0, 0.9, 0.9, True), ThemeShare("A", 8, 1.0, 0.1, 1.0, False)), 10, 10, 10, "revenue")
    >>> s = compare_vital_few({"mentions": a, "revenue": b})
    >>> s.entered["revenue"], s.left["revenue"]
    (('B',), ('A',))
    """
    if not paretos:
        raise CxInputError("Give at least one Pareto to compare.")
    names = list(paretos)
    baseline = names[0] if baseline is None else baseline
    if baseline not in paretos:
        raise CxInputError(f"Baseline {baseline!r} is not among the weightings: {', '.join(names)}.")
    order = [baseline] + [n for n in names if n != baseline]
    vital = {w: paretos[w].vital_few for w in order}
    base = set(vital[baseline])
    entered = {w: tuple(t for t in vital[w] if t not in base) for w in order}
    left = {w: tuple(t for t in vital[baseline] if t not in set(vital[w])) for w in order}
    themes: list[str] = []
    for w in order:
        themes.extend(i.theme for i in paretos[w].items if i.theme not in themes)
    rows = []
    for w in order:
        pos = {i.theme: (k + 1, i) for k, i in enumerate(paretos[w].items)}
        for t in themes:
            rank, item = pos.get(t, (np.nan, None))
            is_vital = bool(item.vital_few) if item else False
            if w == baseline:
                change = "baseline" if is_vital else ""
            elif is_vital:
                change = "stays" if t in base else "enters"
            else:
                change = "leaves" if t in base else ""
            rows.append({"weighting": w, "theme": t, "rank": rank, "share": item.share if item else 0.0,
                         "vital_few": is_vital, "change": change})
    table = pd.DataFrame(rows, columns=["weighting", "theme", "rank", "share", "vital_few", "change"])
    return VitalFewShift(baseline, tuple(order), vital, entered, left, table, int(paretos[baseline].comments))


# --------------------------------------------------------------------------------------------
# Sentiment per theme
# --------------------------------------------------------------------------------------------

def theme_sentiment(coded: CodedComments, labels: pd.Series | pd.DataFrame | Sequence[str]) -> pd.DataFrame:
    """Net sentiment of each theme's comments.

    Parameters
    ----------
    coded : CodedComments
        From :func:`code_comments`.
    labels : pandas.Series, pandas.DataFrame or sequence
        Sentiment label per comment row (``"positive"``, ``"neutral"``, ``"negative"``, missing
        when not scored), e.g. ``cx.sentiment.comment_sentiment(comments)`` or its ``label``
        column; a Series/DataFrame is aligned on the index.

    Returns
    -------
    pandas.DataFrame
        One row per theme, codebook order: ``theme``, ``comments`` (scored comments mentioning
        it), ``positive``, ``neutral``, ``negative`` (counts) and ``net_sentiment``.

    Notes
    -----
    net_sentiment_t = (positive_t − negative_t) / comments_t, in [−1, 1] (NaN when the theme has
    no scored comment); multiply by 100 to read it like an NPS.

    References
    ----------
    Hutto & Gilbert (2014), VADER; see :mod:`cx.sentiment`.

    Examples
    --------
    >>> coded = code_comments(pd.Series(["late, awful", "late", "invoice ok"]), {"Delivery": "late"})
    >>> theme_sentiment(coded, ["negative", "neutral", "positive"])["net_sentiment"].tolist()
    [-0.5]
    """
    if isinstance(labels, pd.DataFrame):
        if "label" not in labels.columns:
            raise CxInputError("The sentiment table needs a 'label' column (from comment_sentiment).")
        labels = labels["label"]
    if isinstance(labels, pd.Series):
        if not labels.index.equals(coded.index):
            labels = labels.reindex(coded.index)
        values = labels.to_numpy(dtype=object, na_value=None)
    else:
        values = np.asarray(labels, dtype=object)
    if values.shape != (coded.n_rows,):
        raise CxInputError(f"{values.size} sentiment labels for {coded.n_rows} comments: score the same rows.")
    m = coded.matrix.astype(np.int64)
    pos = (values == "positive").astype(np.int64) @ m if m.shape[1] else np.zeros(0, np.int64)
    neu = (values == "neutral").astype(np.int64) @ m if m.shape[1] else np.zeros(0, np.int64)
    neg = (values == "negative").astype(np.int64) @ m if m.shape[1] else np.zeros(0, np.int64)
    n = pos + neu + neg
    with np.errstate(invalid="ignore", divide="ignore"):
        net = np.where(n > 0, (pos - neg) / np.maximum(n, 1), np.nan)
    return pd.DataFrame({"theme": pd.Series(list(coded.themes), dtype="str"), "comments": n,
                         "positive": pos, "neutral": neu, "negative": neg, "net_sentiment": net})


# --------------------------------------------------------------------------------------------
# Theme suggestions
# --------------------------------------------------------------------------------------------

STOP_WORDS = frozenset("""
a about above after again against all also am an and any are aren't as at be because been before
being below between both but by can can't cannot could couldn't did didn't do does doesn't doing
don't down during each even ever every few for from further get gets getting got had hadn't has
hasn't have haven't having he her here hers herself him himself his how i i'd i'm i've if in into
is isn't it it's its itself just let's like lot lots make many me more most much must mustn't my
myself no nor not now of off on once one only or other ought our ours ourselves out over own per
please quite rather really same she should shouldn't so some still such than thank thanks that
that's the their theirs them themselves then there there's these they they're this those through
to too under until up us very via was wasn't we we're we've well were weren't what when where which
while who whom why will with won't would wouldn't yet you you're your yours yourself yourselves
""".split())  # noqa: SIM905
_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")


def _phrases(text: str, max_words: int) -> set[str]:
    toks = _TOKEN.findall(text.lower())
    # A phrase may neither start nor end with a stop word or a one-letter token.
    ok = [len(t) > 1 and t not in STOP_WORDS for t in toks]
    n_toks = len(toks)
    out = set()
    for i in range(n_toks):
        if not ok[i]:
            continue
        out.add(toks[i])
        for j in range(i + 1, min(i + max_words, n_toks)):
            if ok[j]:
                out.add(" ".join(toks[i:j + 1]))
    return out


def _even_sample(positions: np.ndarray, size: int) -> np.ndarray:
    if positions.size <= size:
        return positions
    pick = np.unique(np.linspace(0, positions.size - 1, size).round().astype(np.int64))
    return positions[pick]


def suggest_themes(comments: pd.Series, coded: CodedComments, *, top: int = 15, min_count: int = 3,
                   max_words: int = 3, sample_size: int = 10_000, mask_personal: bool = True) -> pd.DataFrame:
    """Suggest new themes: frequent, distinctive phrases among the comments no theme codes yet.

    Parameters
    ----------
    comments : pandas.Series
        The comments that were coded (same rows as ``coded``).
    coded : CodedComments
        Current coding (from :func:`code_comments`).
    top : int, default 15
        Most suggestions returned.
    min_count : int, default 3
        Fewest uncoded comments a phrase must occur in.
    max_words : int, default 3
        Longest phrase, in words (phrases of 1 to ``max_words`` words).
    sample_size : int, default 10000
        Phrase discovery reads at most this many uncoded and this many coded comments (evenly
        spaced rows, so the result is deterministic); counts are then exact over all comments.
    mask_personal : bool, default True
        Mask e-mail addresses, phone numbers and long digit runs in the examples.

    Returns
    -------
    pandas.DataFrame
        Columns ``phrase``, ``pattern`` (ready for :func:`add_theme`), ``count`` (uncoded comments
        the pattern would code), ``uncoded_rate``, ``coded_rate``, ``score`` and ``examples``
        (a tuple of up to 3 distinct uncoded comments, in row order). Sorted by score, then count, then
        phrase. Empty when every comment is coded.

    Notes
    -----
    Phrases are word 1–3-grams (lower-cased letters; no phrase starts or ends with a stop word).
    With r_u the share of uncoded comments containing the phrase, r_c the share among coded
    comments, and p = (r_u·U + r_c·C) / (U + C) its share among all non-empty comments (U, C the
    numbers of uncoded and coded comments):

        score = r_u × log2(r_u / p)

    a pointwise Kullback–Leibler contribution: frequent among the uncoded and rarer elsewhere
    scores high. Phrases with r_u < r_c are dropped; so is a phrase that only ever occurs inside
    a longer suggested phrase (same uncoded count). Ties are broken by count, then by phrase, so
    the same comments always give the same suggestions.

    References
    ----------
    Kullback, S. & Leibler, R.A. (1951). On Information and Sufficiency. *Ann. Math. Statist.*
    Monroe, B.L., Colaresi, M.P. & Quinn, K.M. (2008). Fightin' Words: Lexical Feature Selection
    and Evaluation for Identifying the Content of Political Conflict. *Political Analysis*.

    Examples
    --------
    >>> c = pd.Series(["late again", "late delivery", "slow portal login", "portal login broken",
    ...                "portal login fails"])
    >>> suggest_themes(c, code_comments(c, {"Delivery": "late"}), min_count=2)["phrase"].tolist()
    ['portal login']
    """
    if not isinstance(comments, pd.Series):
        comments = pd.Series(comments)
    if len(comments) != coded.n_rows:
        raise CxInputError("Give the same comments that were coded (the row counts differ).")
    columns = ["phrase", "pattern", "count", "uncoded_rate", "coded_rate", "score", "examples"]
    uncoded_pos = np.flatnonzero(coded.non_empty & ~coded.coded_any)
    coded_pos = np.flatnonzero(coded.coded_any)
    if uncoded_pos.size == 0:
        return pd.DataFrame({c: [] for c in columns})
    values = comments.to_numpy(dtype=object, na_value=None)
    u_sample = _even_sample(uncoded_pos, sample_size)
    c_sample = _even_sample(coded_pos, sample_size)
    u_counts: Counter[str] = Counter()
    for text in values[u_sample]:
        u_counts.update(_phrases(str(text), max_words))
    n_u, n_c = len(u_sample), len(c_sample)
    floor = max(2, math.ceil(min_count * n_u / uncoded_pos.size))
    candidates = {p: k for p, k in u_counts.items() if k >= floor}
    if not candidates:
        return pd.DataFrame({c: [] for c in columns})
    c_counts: Counter[str] = Counter()
    for text in values[c_sample]:
        c_counts.update(p for p in _phrases(str(text), max_words) if p in candidates)
    big_u, big_c = uncoded_pos.size, coded_pos.size
    scored = []
    for phrase, k in candidates.items():
        r_u = k / n_u
        r_c = c_counts.get(phrase, 0) / n_c if n_c else 0.0
        if r_u < r_c:
            continue
        p_all = (r_u * big_u + r_c * big_c) / (big_u + big_c)
        scored.append((r_u * math.log2(r_u / p_all), k, phrase, r_u, r_c))
    # A phrase that only occurs inside a longer candidate (same count) adds nothing.
    dominated = set()
    for _, k, phrase, _, _ in scored:
        words = phrase.split()
        for n in range(1, len(words)):
            for i in range(len(words) - n + 1):
                sub = " ".join(words[i:i + n])
                if candidates.get(sub) == k:
                    dominated.add(sub)
    scored = sorted((s for s in scored if s[2] not in dominated), key=lambda s: (-s[0], -s[1], s[2]))
    uncoded_texts = pd.Series(values[uncoded_pos], dtype="str")
    matcher = _Matcher(_arrow_strings(uncoded_texts))
    if mask_personal:
        from cx.privacy import mask_text
    rows = []
    for score, _, phrase, r_u, r_c in scored[: top * 2]:
        pattern = phrase_pattern(phrase)
        hit = np.flatnonzero(matcher.match(pattern))
        if hit.size < min_count:
            continue
        examples: list[str] = []
        seen: set[str] = set()
        for i in hit:
            text = str(values[uncoded_pos[i]])
            key = " ".join(text.casefold().split())
            if key not in seen:  # three different comments, not one comment three times
                seen.add(key)
                examples.append(text)
                if len(examples) == 3:
                    break
        if mask_personal:
            examples = [mask_text(e) for e in examples]
        rows.append({"phrase": phrase, "pattern": pattern, "count": int(hit.size), "uncoded_rate": r_u,
                     "coded_rate": r_c, "score": score, "examples": tuple(examples)})
    out = pd.DataFrame(rows, columns=columns)
    if out.empty:
        return out
    out = out.sort_values(["score", "count", "phrase"], ascending=[False, False, True], kind="stable")
    return out.head(top).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Matched words and verbatims
# --------------------------------------------------------------------------------------------

def _patterns_of(patterns) -> list[tuple[str, str]]:
    if isinstance(patterns, CodedComments):
        return list(zip(patterns.themes, patterns.patterns))
    themes, pats, _ = _coding_rules(patterns)
    return list(zip(themes, pats))


def matched_spans(text: str | None, patterns) -> list[tuple[int, int, str]]:
    """Where each theme's pattern matches in a comment, to highlight the matched words.

    Parameters
    ----------
    text : str or None
        One comment.
    patterns : CodedComments, pandas.DataFrame or mapping
        The coding, a codebook, or ``{theme: pattern}``; invalid patterns are ignored.

    Returns
    -------
    list of (start, end, theme)
        Character offsets (``text[start:end]`` is the matched text), sorted by start, end, theme.
        Spans of different themes may overlap; empty matches are left out.

    Notes
    -----
    Uses ``re.finditer(pattern, text, re.IGNORECASE)`` per theme: the same semantics as
    :func:`code_comments`. Render the text as plain text (e.g. with :func:`highlight_segments`),
    never as HTML or markdown.

    References
    ----------
    Python documentation, ``re.finditer``.

    Examples
    --------
    >>> matched_spans("Late delivery, wrong INVOICE", {"Billing": "invoice", "Delivery": "late|deliver"})
    [(0, 4, 'Delivery'), (5, 12, 'Delivery'), (21, 28, 'Billing')]
    """
    if not isinstance(text, str) or not text:
        return []
    spans = []
    for theme, pattern in _patterns_of(patterns):
        spans.extend((m.start(), m.end(), theme) for m in _compile(pattern).finditer(text) if m.end() > m.start())
    return sorted(spans)


def highlight_segments(text: str | None, spans: Sequence[tuple[int, int, str]]) -> list[tuple[str, tuple[str, ...]]]:
    """Split a comment into plain-text segments, each with the themes that matched it.

    Parameters
    ----------
    text : str or None
        One comment.
    spans : sequence of (start, end, theme)
        From :func:`matched_spans`.

    Returns
    -------
    list of (segment, themes)
        Consecutive pieces of ``text`` (joined they give ``text`` back); ``themes`` is empty for
        unmatched pieces.

    Notes
    -----
    Overlapping spans are split at every boundary, so a piece matched by two themes lists both.

    References
    ----------
    None; interval splitting.

    Examples
    --------
    >>> highlight_segments("late invoice", [(0, 4, "Delivery"), (5, 12, "Billing")])
    [('late', ('Delivery',)), (' ', ()), ('invoice', ('Billing',))]
    """
    if not isinstance(text, str) or not text:
        return []
    cuts = sorted({0, len(text)} | {s for s, _, _ in spans} | {e for _, e, _ in spans})
    out = []
    for a, b in zip(cuts, cuts[1:]):
        if b <= a:
            continue
        themes = tuple(sorted({t for s, e, t in spans if s <= a and e >= b}))
        if out and out[-1][1] == themes:
            out[-1] = (out[-1][0] + text[a:b], themes)
        else:
            out.append((text[a:b], themes))
    return out


_ORDERS = ("detractors first", "promoters first", "original")


def verbatims(frame: pd.DataFrame, coded: CodedComments, theme: str, comment_col: str,
              loyalty_col: str | None = None, segment_cols: Sequence[str] = (),
              order: str = "detractors first", *, mask_personal: bool = True,
              limit: int | None = None, sentiment: pd.Series | pd.DataFrame | None = None) -> pd.DataFrame:
    """The comments behind a theme, with score, NPS group, segments and the matched words.

    Parameters
    ----------
    frame : pandas.DataFrame
        The cleaned survey frame the comments were coded from.
    coded : CodedComments
        From :func:`code_comments` (possibly a ``subset``: only its rows are listed).
    theme : str
        The theme (e.g. the clicked bar).
    comment_col : str
        The comment column.
    loyalty_col : str, optional
        The 0–10 loyalty column, for ``score`` and ``nps_group``.
    segment_cols : sequence of str, optional
        Segment columns to show.
    order : {"detractors first", "promoters first", "original"}
        Lowest scores first (missing scores last), highest first, or row order.
    mask_personal : bool, default True
        Mask e-mail addresses, phone numbers and long digit runs (see :mod:`cx.privacy`).
    limit : int, optional
        Keep the first ``limit`` rows after sorting.
    sentiment : pandas.Series or pandas.DataFrame, optional
        Sentiment label per frame row (``cx.sentiment.comment_sentiment`` or its ``label``
        column), aligned on the index; adds a ``sentiment`` column after ``nps_group``.

    Returns
    -------
    pandas.DataFrame
        Index = the frame's row labels. Columns ``comment``, ``score``, ``nps_group``
        (``sentiment`` when given), the segment columns, ``matched_words`` (the distinct texts the
        theme's pattern matched, in order, joined with ", ") and ``themes`` (all themes of the
        comment, joined with "; ").

    Raises
    ------
    CxInputError
        For an unknown theme, column or order.

    Notes
    -----
    NPS group: detractor 0–6, passive 7–8, promoter 9–10. Sorting is stable, so ties keep row
    order. Matched words are found in the masked text, so they line up with what is shown.
    Show the comment as plain text, never as HTML or markdown.

    References
    ----------
    Reichheld (2003) for the NPS groups.

    Examples
    --------
    >>> f = pd.DataFrame({"c": ["Invoice wrong", "late", "invoices late"], "ltr": [9.0, 3.0, 2.0]})
    >>> v = verbatims(f, code_comments(f["c"], {"Billing": "invoice"}), "Billing", "c", "ltr")
    >>> v[["comment", "nps_group", "matched_words"]].values.tolist()
    [['invoices late', 'Detractor', 'invoice'], ['Invoice wrong', 'Promoter', 'Invoice']]
    """
    if order not in _ORDERS:
        raise CxInputError(f"Unknown order {order!r}: choose one of {', '.join(_ORDERS)}.")
    hit = coded.theme_mask(theme) & coded.non_empty
    pos = np.flatnonzero(hit)
    text = _frame_column(frame, coded, comment_col)
    if loyalty_col:
        score = _loyalty(frame, coded, loyalty_col)[pos]
    else:
        score = np.full(pos.size, np.nan)
    # Sort and cut first, so masking and matching run only on the rows returned.
    if order != "original" and pos.size:
        key = score if order == "detractors first" else -score
        ranks = np.lexsort((np.arange(pos.size), np.where(np.isnan(key), np.inf, key)))
        pos, score = pos[ranks], score[ranks]
    if limit is not None:
        pos, score = pos[: max(int(limit), 0)], score[: max(int(limit), 0)]
    out = pd.DataFrame(index=coded.index[pos])
    comments = pd.Series(text.to_numpy(dtype=object, na_value=None)[pos], index=out.index, dtype="str")
    if mask_personal:
        from cx.privacy import mask_personal_data

        comments = mask_personal_data(comments)
    out["comment"] = comments
    out["score"] = score
    out["nps_group"] = pd.Series(_nps_groups(score), index=out.index, dtype="str")
    if sentiment is not None:
        if isinstance(sentiment, pd.DataFrame):
            if "label" not in sentiment.columns:
                raise CxInputError("The sentiment table needs a 'label' column (from comment_sentiment).")
            sentiment = sentiment["label"]
        if not isinstance(sentiment, pd.Series):
            raise CxInputError("Give the sentiment labels as a Series aligned on the frame's rows.")
        labels = sentiment if sentiment.index.equals(out.index) else sentiment.reindex(out.index)
        out["sentiment"] = pd.Series(labels.to_numpy(dtype=object, na_value=None), index=out.index, dtype="str")
    for col in segment_cols:
        out[col] = _frame_column(frame, coded, col).to_numpy(dtype=object)[pos]
    j = coded.themes.index(theme)
    rx = _compile(coded.patterns[j])
    seen: dict[str, str] = {}  # survey exports repeat comments: match each distinct text once

    def matched(t) -> str:
        if not isinstance(t, str):
            return ""
        if t not in seen:
            seen[t] = ", ".join(dict.fromkeys(m.group(0) for m in rx.finditer(t) if m.group(0)))
        return seen[t]

    out["matched_words"] = pd.Series([matched(t) for t in comments], index=out.index, dtype="str")
    sub = coded.matrix[pos]
    names = np.array(coded.themes, dtype=object)
    out["themes"] = pd.Series(["; ".join(names[row]) for row in sub], index=out.index, dtype="str")
    return out


# --------------------------------------------------------------------------------------------
# The Comments page: scope, the Pareto under every weighting, highlighting, codebook editing
# --------------------------------------------------------------------------------------------

NPS_GROUP_FILTERS = ("all", "detractors", "passives", "promoters")


def comment_scope(frame: pd.DataFrame, coded: CodedComments, loyalty_col: str | None = None,
                  group: str = "all", segment: str | None = None, value: str | None = None,
                  driver_mask: pd.Series | np.ndarray | None = None) -> np.ndarray:
    """Which coded rows to keep: an NPS group, a segment value, a driver's bottom-box raters.

    Parameters
    ----------
    frame : pandas.DataFrame
        The cleaned survey frame the comments were coded from (aligned on the index).
    coded : CodedComments
        From :func:`code_comments` (possibly a ``subset``).
    loyalty_col : str, optional
        The 0–10 loyalty column (needed for an NPS group other than ``"all"``).
    group : {"all", "detractors", "passives", "promoters"}
        Keep everyone, or only one NPS group.
    segment, value : str, optional
        Keep only the rows whose ``segment`` column equals ``value`` (compared as text).
    driver_mask : pandas.Series or numpy.ndarray of bool, optional
        E.g. :func:`cx.drivers.bottom_box_mask`: a Series is aligned on the index (rows it does not
        list are dropped); an array must have one value per coded row.

    Returns
    -------
    numpy.ndarray
        ``bool``, one value per coded row; pass it to ``coded.subset``.

    Raises
    ------
    CxInputError
        For an unknown group, a group without a loyalty column, an unknown column, or a mask of
        the wrong length.

    Notes
    -----
    keep = group ∧ (segment = value) ∧ driver_mask; every condition left out is true. NPS groups:
    detractors 0–6, passives 7–8, promoters 9–10; a missing score is in no group.

    References
    ----------
    Reichheld (2003) for the NPS groups.

    Examples
    --------
    >>> f = pd.DataFrame({"c": ["late", "late", "invoice"], "ltr": [3.0, 9.0, 5.0], "bu": ["A", "B", "A"]})
    >>> coded = code_comments(f["c"], {"Delivery": "late"})
    >>> comment_scope(f, coded, "ltr", "detractors").tolist(), comment_scope(f, coded, segment="bu", value="A").tolist()
    ([True, False, True], [True, False, True])
    """
    key = str(group).strip().lower()
    if key not in NPS_GROUP_FILTERS:
        raise CxInputError(f"Unknown NPS group {group!r}: choose one of {', '.join(NPS_GROUP_FILTERS)}.")
    keep = np.ones(coded.n_rows, dtype=bool)
    if key != "all":
        if not loyalty_col:
            raise CxInputError("Filtering by NPS group needs the loyalty (0–10) column: map it on the Data page.")
        score = _loyalty(frame, coded, loyalty_col)
        with np.errstate(invalid="ignore"):
            keep &= {"detractors": score <= 6, "passives": (score >= 7) & (score <= 8),
                     "promoters": score >= 9}[key]
    if segment:
        if value is None:
            raise CxInputError(f"Pick a value of {segment!r} to keep.")
        from cx.filters import is_one_of

        keep &= is_one_of(_frame_column(frame, coded, segment), [value])
    if driver_mask is not None:
        if isinstance(driver_mask, pd.Series):
            driver_mask = driver_mask.reindex(coded.index).fillna(False).to_numpy(dtype=bool)
        driver_mask = np.asarray(driver_mask, dtype=bool)
        if driver_mask.shape != (coded.n_rows,):
            raise CxInputError(f"The driver filter has {driver_mask.size} values for {coded.n_rows} rows: build it "
                               "from the same frame.")
        keep &= driver_mask
    return keep


def segment_values(frame: pd.DataFrame, column: str) -> list[str]:
    """The distinct values of a segment column, as text, sorted (missing values left out).

    Parameters
    ----------
    frame : pandas.DataFrame
        The survey frame.
    column : str
        A segment column.

    Returns
    -------
    list of str
        Sorted distinct values.

    Raises
    ------
    CxInputError
        When the column is not in the frame.

    Notes
    -----
    Values are compared as text, as :func:`comment_scope` compares them.

    References
    ----------
    None.

    Examples
    --------
    >>> segment_values(pd.DataFrame({"bu": ["B", "A", None, "B"]}), "bu")
    ['A', 'B']
    """
    if column not in frame.columns:
        raise CxInputError(f"Column {column!r} is not in the data.")
    from cx.filters import present_labels

    return present_labels(frame[column])


def available_weightings(loyalty_col: str | None, revenue_col: str | None) -> tuple[str, ...]:
    """The Pareto weightings the mapped columns allow, in display order.

    Parameters
    ----------
    loyalty_col : str or None
        The loyalty column, when mapped (detractor mentions and NPS impact need it).
    revenue_col : str or None
        The revenue column, when mapped (revenue needs it).

    Returns
    -------
    tuple of str
        A subset of :data:`WEIGHTINGS`, always starting with ``"mentions"``.

    Notes
    -----
    Order: mentions, detractor mentions, revenue, NPS impact.

    References
    ----------
    None.

    Examples
    --------
    >>> available_weightings("LTR", None)
    ('mentions', 'detractor mentions', 'nps impact')
    """
    ok = {"mentions": True, "detractor mentions": bool(loyalty_col), "revenue": bool(revenue_col),
          "nps impact": bool(loyalty_col)}
    return tuple(w for w in WEIGHTINGS if ok[w])


def pareto_report(pareto: ThemePareto, sentiment: pd.DataFrame | None = None, *, percent: bool = False) -> pd.DataFrame:
    """The Pareto as a plain table, with net sentiment per theme.

    Parameters
    ----------
    pareto : ThemePareto
        From :func:`pareto_table` or :func:`weighted_pareto`.
    sentiment : pandas.DataFrame, optional
        From :func:`theme_sentiment` (columns ``theme`` and ``net_sentiment``).
    percent : bool, default False
        Give ``share`` and ``cumulative_share`` in percent (0–100) rather than as proportions.

    Returns
    -------
    pandas.DataFrame
        Pareto order: ``theme``, ``count``, ``weight`` (only when not weighting by mentions),
        ``share``, ``cumulative_share``, ``vital_few`` and, with sentiment, ``net_sentiment``
        on a −100..100 scale.

    Notes
    -----
    net_sentiment = 100 × (positive − negative) / scored comments of the theme: read it like an NPS.

    References
    ----------
    Hutto & Gilbert (2014), VADER, for the labels.

    Examples
    --------
    >>> coded = code_comments(pd.Series(["late, awful", "late"]), {"Delivery": "late"})
    >>> pareto_report(pareto_table(coded), theme_sentiment(coded, ["negative", "neutral"])).to_dict("records")
    [{'theme': 'Delivery', 'count': 2, 'share': 1.0, 'cumulative_share': 1.0, 'vital_few': True, 'net_sentiment': -50.0}]
    """
    table = pareto.to_frame()
    if pareto.weighting == "mentions":
        table = table.drop(columns="weight")
    if percent:
        table["share"] = 100 * table["share"]
        table["cumulative_share"] = 100 * table["cumulative_share"]
    if sentiment is not None:
        net = dict(zip(sentiment["theme"], sentiment["net_sentiment"]))
        table["net_sentiment"] = pd.Series([100 * net.get(t, np.nan) for t in table["theme"]],
                                           index=table.index, dtype="float64")
    return table


@dataclass(frozen=True, eq=False)
class CommentsView:
    """What the Comments page shows for one scope: coding, the Pareto per weighting, the shift.

    Attributes
    ----------
    scope : CodedComments
        The coding restricted to the scope (NPS group, segment value, driver drill).
    respondents : int
        Respondents in the scope (with or without a comment).
    paretos : dict
        Weighting → :class:`ThemePareto`, for every weighting the columns allow.
    shift : VitalFewShift
        How the vital few change between those weightings (baseline: mentions).
    sentiment : pandas.DataFrame or None
        :func:`theme_sentiment` of the scope, when labels were given.
    notes : tuple of str
        Weightings that could not be computed, and why.
    """

    scope: CodedComments
    respondents: int
    paretos: dict[str, ThemePareto]
    shift: VitalFewShift
    sentiment: pd.DataFrame | None = None
    notes: tuple[str, ...] = ()

    @property
    def comments(self) -> int:
        """Non-empty comments in the scope."""
        return self.scope.n_comments

    @property
    def coverage(self) -> float:
        """Share of the scope's non-empty comments coded by at least one theme."""
        return self.scope.coverage

    @property
    def themes_mentioned(self) -> tuple[str, ...]:
        """Themes with at least one comment, in the order of the Pareto of mentions."""
        return tuple(i.theme for i in self.paretos["mentions"].items if i.count > 0)

    def count(self, theme: str) -> int:
        """Comments in the scope that mention ``theme`` (0 when it is not coded)."""
        return next((i.count for i in self.paretos["mentions"].items if i.theme == theme), 0)

    def table(self, weighting: str = "mentions", percent: bool = False) -> pd.DataFrame:
        """:func:`pareto_report` of one weighting, with net sentiment."""
        return pareto_report(self.paretos[weighting], self.sentiment, percent=percent)


def comments_view(frame: pd.DataFrame, coded: CodedComments, *, loyalty_col: str | None = None,
                  revenue_col: str | None = None, group: str = "all", segment: str | None = None,
                  value: str | None = None, driver_mask: pd.Series | np.ndarray | None = None,
                  sentiment: pd.Series | pd.DataFrame | None = None) -> CommentsView:
    """The Comments page in one call: scope the coding, Pareto it under every weighting, compare.

    Parameters
    ----------
    frame : pandas.DataFrame
        The cleaned survey frame the comments were coded from.
    coded : CodedComments
        From :func:`code_comments`.
    loyalty_col, revenue_col : str, optional
        Loyalty (0–10) and revenue columns, when mapped.
    group, segment, value, driver_mask
        The scope; see :func:`comment_scope`.
    sentiment : pandas.Series or pandas.DataFrame, optional
        Sentiment labels per row (:func:`cx.sentiment.comment_sentiment`), for net sentiment.

    Returns
    -------
    CommentsView
        Scope, Pareto per weighting (see :func:`weighted_pareto`), :func:`compare_vital_few`
        against mentions, and :func:`theme_sentiment` of the scope.

    Raises
    ------
    CxInputError
        As :func:`comment_scope`.

    Notes
    -----
    A weighting that fails on the data (negative revenue) is left out and explained in ``notes``.

    References
    ----------
    Juran (1951); Reichheld (2003); see :func:`pareto_table` and :func:`nps_impact`.

    Examples
    --------
    >>> f = pd.DataFrame({"c": ["late", "late", "invoice"], "ltr": [3.0, 9.0, 5.0]})
    >>> cv = comments_view(f, code_comments(f["c"], {"Billing": "invoice", "Delivery": "late"}),
    ...                    loyalty_col="ltr", group="detractors")
    >>> cv.respondents, cv.paretos["mentions"].vital_few
    (2, ('Billing', 'Delivery'))
    """
    mask = comment_scope(frame, coded, loyalty_col, group, segment, value, driver_mask)
    scope = coded if mask.all() else coded.subset(mask)
    paretos: dict[str, ThemePareto] = {}
    notes: list[str] = []
    for w in available_weightings(loyalty_col, revenue_col):
        try:
            paretos[w] = weighted_pareto(frame, scope, w, loyalty_col=loyalty_col, revenue_col=revenue_col)
        except CxInputError as err:
            notes.append(f"Weighting by {w} is not available: {err}")
    theme_sent = theme_sentiment(scope, sentiment) if sentiment is not None else None
    return CommentsView(scope, int(mask.sum()), paretos, compare_vital_few(paretos, "mentions"), theme_sent,
                        tuple(notes))


def highlight_markdown(text: str | None, patterns, escape, *, theme: str | None = None,
                       mark: str = "**") -> str:
    r"""A comment as escaped markdown with the matched words marked (bold by default).

    Parameters
    ----------
    text : str or None
        One comment (already masked, if it is to be shown masked).
    patterns : CodedComments, pandas.DataFrame or mapping
        As :func:`matched_spans`.
    escape : callable
        Escapes markdown in a piece of customer text (the app passes ``cx.ui.escape_md``); it is
        applied to every piece of the comment, matched or not.
    theme : str, optional
        Mark only this theme's matches (default: every theme's).
    mark : str, default "**"
        The markdown put around each matched piece.

    Returns
    -------
    str
        Markdown in which only ``mark`` is markup; ``""`` for a missing comment.

    Notes
    -----
    Line breaks and runs of whitespace become single spaces, so a comment stays one paragraph and
    cannot start a heading or a list. Spaces at the edges of a matched piece are kept outside the
    marks (markdown does not bold ``** word**``).

    References
    ----------
    CommonMark spec 0.31, "Emphasis and strong emphasis" (flanking delimiter runs).

    Examples
    --------
    >>> highlight_markdown("Late *again*", {"Delivery": "late"}, lambda t: t.replace("*", "\\*"))
    '**Late** \\*again\\*'
    """
    if not isinstance(text, str) or not text:
        return ""
    spans = matched_spans(text, patterns)
    if theme is not None:
        spans = [s for s in spans if s[2] == theme]
    out = []
    for piece, themes in highlight_segments(text, spans):
        piece = re.sub(r"\s+", " ", piece)
        core = piece.strip()
        if themes and core:
            lead = piece[: len(piece) - len(piece.lstrip())]
            trail = piece[len(piece.rstrip()):]
            out.append(f"{lead}{mark}{escape(core)}{mark}{trail}")
        else:
            out.append(escape(piece))
    return "".join(out)


def example_verbatims(frame: pd.DataFrame, coded: CodedComments, theme: str, comment_col: str,
                      loyalty_col: str | None = None, k: int = 3) -> list[str]:
    """A few distinct example comments of a theme, detractors first, personal data masked.

    Parameters
    ----------
    frame : pandas.DataFrame
        The cleaned survey frame.
    coded : CodedComments
        From :func:`code_comments` (possibly a ``subset``).
    theme : str
        The theme.
    comment_col : str
        The comment column.
    loyalty_col : str, optional
        The loyalty column (lowest scores first when given; row order otherwise).
    k : int, default 3
        How many.

    Returns
    -------
    list of str
        Up to ``k`` comments, distinct after case and whitespace folding, masked.

    Raises
    ------
    CxInputError
        As :func:`verbatims`.

    Notes
    -----
    For the 5 Whys: the examples a team reads before asking "why?".

    References
    ----------
    None.

    Examples
    --------
    >>> f = pd.DataFrame({"c": ["late!", "Late!", "late, call 020 7946 0958"], "ltr": [5.0, 2.0, 9.0]})
    >>> example_verbatims(f, code_comments(f["c"], {"D": "late"}), "D", "c", "ltr")
    ['Late!', 'late, call [phone]']
    """
    order = "detractors first" if loyalty_col else "original"
    v = verbatims(frame, coded, theme, comment_col, loyalty_col, order=order, mask_personal=True,
                  limit=max(50, 20 * k))
    out: list[str] = []
    seen: set[str] = set()
    for text in v["comment"]:
        if not isinstance(text, str):
            continue
        key = " ".join(text.casefold().split())
        if key not in seen:
            seen.add(key)
            out.append(text)
            if len(out) == k:
                break
    return out


def codebook_editor_table(codebook: pd.DataFrame | Mapping[str, str],
                          coded: CodedComments | None = None) -> pd.DataFrame:
    """The codebook as the editor shows it: each row with its count and its problems.

    Parameters
    ----------
    codebook : pandas.DataFrame or mapping
        The codebook.
    coded : CodedComments, optional
        The current coding, for the number of comments each theme codes.

    Returns
    -------
    pandas.DataFrame
        Codebook index; columns ``merge`` (nullable boolean, False: a tick box to pick themes to merge), ``theme``,
        ``pattern``, ``parent``, ``comments`` (nullable integer; missing for a theme that is not
        coded) and ``problem`` (the row's problems from :func:`validate_codebook`, joined with
        "; "; ``""`` when none).

    Notes
    -----
    A row whose pattern is invalid keeps its place, with the reason, while the other themes code.

    References
    ----------
    None.

    Examples
    --------
    >>> codebook_editor_table({"Billing": "invoice(", "Price": "price"})["problem"].str[:15].tolist()
    ['invalid pattern', '']
    """
    book = _as_codebook(codebook)
    problems = validate_codebook(book)
    by_row: dict[object, list[str]] = {}
    for row, problem in zip(problems["row"], problems["problem"]):
        by_row.setdefault(row, []).append(problem)
    counts: dict[str, int] = {}
    if coded is not None:
        counts = {t.casefold(): int(c) for t, c in zip(coded.themes, coded.matrix.sum(axis=0))}
    out = pd.DataFrame({"merge": pd.Series(False, index=book.index, dtype="boolean")})
    for col in ("theme", "pattern", "parent"):
        out[col] = book[col]
    out["comments"] = pd.array([counts.get(t.casefold()) if coded is not None else None for t in book["theme"]],
                               dtype="Int64")
    out["problem"] = pd.Series(["; ".join(by_row.get(i, [])) for i in book.index], index=book.index, dtype="str")
    return out


def apply_codebook_edits(before: pd.DataFrame | Mapping[str, str], edited: pd.DataFrame, *,
                         merge: bool = False, into: str | None = None) -> pd.DataFrame:
    """Turn the editor's table back into a codebook (renames follow into parents; merges applied).

    Parameters
    ----------
    before : pandas.DataFrame or mapping
        The codebook the editor was opened on.
    edited : pandas.DataFrame
        The editor's table (rows edited, added or deleted; extra columns such as ``merge``,
        ``comments`` and ``problem`` are ignored, except ``merge`` when ``merge`` is true).
    merge : bool, default False
        Merge the themes ticked in the ``merge`` column (see :func:`merge_themes`).
    into : str, optional
        Name of the merged theme (default: the first ticked theme).

    Returns
    -------
    pandas.DataFrame
        A codebook (``theme``, ``pattern``, ``parent``), index 0..n-1; rows with neither a theme
        nor a pattern are dropped, text is stripped.

    Raises
    ------
    CxInputError
        When merging with fewer than two ticked themes, or as :func:`merge_themes`.

    Notes
    -----
    A row that kept its index label but changed its theme name is a rename: parents that named
    the old theme now name the new one (as :func:`rename_theme`), unless another row still uses
    the old name. Invalid patterns are kept (they are flagged, not dropped).

    References
    ----------
    None; table edits.

    Examples
    --------
    >>> before = pd.DataFrame({"theme": ["Late", "Delay"], "pattern": ["late", "delay"], "parent": ["", "Late"]})
    >>> edited = before.assign(theme=["Lateness", "Delay"])
    >>> apply_codebook_edits(before, edited)["parent"].tolist()
    ['', 'Lateness']
    """
    old = _as_codebook(before)
    new = edited.copy()
    for col in ("theme", "pattern", "parent"):
        if col not in new.columns:
            new[col] = ""
        new[col] = new[col].astype(object).where(new[col].notna(), "").astype("str").str.strip()
    new = new[(new["theme"] != "") | (new["pattern"] != "")]
    names = set(new["theme"].str.casefold())
    renames: dict[str, str] = {}
    for label in new.index.intersection(old.index):
        was, now = old.at[label, "theme"], new.at[label, "theme"]
        if was and now and was != now and was.casefold() not in names:
            renames[was.casefold()] = now
    rows = []
    for r in new[["theme", "pattern", "parent"]].to_dict("records"):
        r["parent"] = renames.get(r["parent"].casefold(), r["parent"])
        rows.append(r)
    book = _new_book(rows)
    if merge:
        ticked = new["merge"].fillna(False).astype(bool).to_numpy() if "merge" in new.columns else np.zeros(len(new), bool)
        picked = [t for t in dict.fromkeys(new["theme"].to_numpy()[ticked]) if t]
        if len(picked) < 2:
            raise CxInputError("Tick the 'merge' box of at least two themes to merge them.")
        book = merge_themes(book, picked, into=into or None)
    return book


def add_suggestion(codebook: pd.DataFrame | Mapping[str, str], phrase: str, pattern: str) -> pd.DataFrame:
    r"""Add a suggested phrase to the codebook as a new theme (a unique name is chosen).

    Parameters
    ----------
    codebook : pandas.DataFrame or mapping
        The current codebook.
    phrase : str
        The suggested phrase (from :func:`suggest_themes`); the theme is named after it.
    pattern : str
        Its pattern (from :func:`suggest_themes`).

    Returns
    -------
    pandas.DataFrame
        The codebook with the new theme at the end.

    Notes
    -----
    Name: the phrase with a capital first letter; when taken, " (suggested)" then a number is added.

    References
    ----------
    None.

    Examples
    --------
    >>> add_suggestion({"Portal login": "portal"}, "portal login", r"\bportal\W+login\b")["theme"].tolist()
    ['Portal login', 'Portal login (suggested)']
    """
    book = _as_codebook(codebook)
    phrase = " ".join(str(phrase).split())
    base = phrase[:1].upper() + phrase[1:]
    taken = set(book["theme"].str.casefold())
    name, k = base, 1
    while name.casefold() in taken:
        name = f"{base} (suggested)" if k == 1 else f"{base} (suggested {k})"
        k += 1
    return add_theme(book, name, pattern)


def theme_suggestions(frame: pd.DataFrame, coded: CodedComments, comment_col: str, **kwargs) -> pd.DataFrame:
    """:func:`suggest_themes` on a frame's comment column (frame first, so the app can cache it).

    Parameters
    ----------
    frame : pandas.DataFrame
        The cleaned survey frame the comments were coded from.
    coded : CodedComments
        Its coding (possibly a ``subset``: only those rows are read).
    comment_col : str
        The comment column.
    **kwargs
        Passed to :func:`suggest_themes` (``top``, ``min_count``, ``max_words``, ...).

    Returns
    -------
    pandas.DataFrame
        As :func:`suggest_themes`.

    Raises
    ------
    CxInputError
        When the column is not in the frame.

    Notes
    -----
    See :func:`suggest_themes` for the score.

    References
    ----------
    Monroe, Colaresi & Quinn (2008), see :func:`suggest_themes`.

    Examples
    --------
    >>> f = pd.DataFrame({"c": ["late again", "slow portal login", "portal login broken", "portal login fails"]})
    >>> theme_suggestions(f, code_comments(f["c"], {"Delivery": "late"}), "c", min_count=2)["phrase"].tolist()
    ['portal login']
    """
    return suggest_themes(_frame_column(frame, coded, comment_col), coded, **kwargs)


def codebook_version(codebook: pd.DataFrame | Mapping[str, str]) -> str:
    """A short fingerprint of a codebook's content (changes whenever a theme, pattern or parent does).

    Parameters
    ----------
    codebook : pandas.DataFrame or mapping
        The codebook.

    Returns
    -------
    str
        12 hexadecimal characters (BLAKE2b of :func:`codebook_to_csv`).

    Notes
    -----
    The app keys its codebook editor on it, so an edited codebook opens a fresh editor.

    References
    ----------
    RFC 7693, BLAKE2.

    Examples
    --------
    >>> codebook_version({"Price": "price"}) == codebook_version(pd.DataFrame({"theme": ["Price"], "pattern": ["price"]}))
    True
    """
    import hashlib

    return hashlib.blake2b(codebook_to_csv(codebook), digest_size=6).hexdigest()


def verbatim_markdown(verbatim_table: pd.DataFrame, patterns, escape, *, theme: str | None = None,
                      segment_cols: Sequence[str] = (), limit: int | None = None) -> list[str]:
    r"""Verbatims as markdown list items: score, NPS group, sentiment, segments, then the highlighted comment.

    Parameters
    ----------
    verbatim_table : pandas.DataFrame
        From :func:`verbatims` (columns ``comment``, ``score``, ``nps_group``, optionally
        ``sentiment`` and the segment columns).
    patterns : CodedComments, pandas.DataFrame or mapping
        As :func:`matched_spans`.
    escape : callable
        Escapes markdown in customer text (the app passes ``cx.ui.escape_md``); applied to every
        piece of the comment and to every label.
    theme : str, optional
        Highlight only this theme's matches.
    segment_cols : sequence of str
        Segment columns to show after the labels.
    limit : int, optional
        First rows only.

    Returns
    -------
    list of str
        ``"- *7/10 · Passive · negative · EMEA*: comment with **matched** words"`` per row.

    Notes
    -----
    The only markup is the list dash, the italic labels and the bold matches (see
    :func:`highlight_markdown`); everything from the data is escaped.

    References
    ----------
    CommonMark spec 0.31.

    Examples
    --------
    >>> t = pd.DataFrame({"comment": ["Late again"], "score": [3.0], "nps_group": ["Detractor"], "bu": ["A_1"]})
    >>> verbatim_markdown(t, {"D": "late"}, lambda s: s.replace("_", "\\_"), segment_cols=["bu"])
    ['- *3/10 · Detractor · A\\_1*: **Late** again']
    """
    rows = verbatim_table if limit is None else verbatim_table.head(int(limit))
    out = []
    for rec in rows.to_dict("records"):
        score = rec.get("score")
        labels = ["no score" if score is None or pd.isna(score) else f"{score:.0f}/10"]
        for col in ("nps_group", "sentiment", *segment_cols):
            value = rec.get(col)
            if value is not None and not pd.isna(value) and str(value):
                labels.append(str(value))
        text = highlight_markdown(rec.get("comment"), patterns, escape, theme=theme)
        out.append(f"- *{escape(' · '.join(labels))}*: {text}")
    return out


def bind_coding(fn, coded: CodedComments):
    """Bind a coding to a frame-first function, for caches that key on arguments.

    Parameters
    ----------
    fn : callable
        ``fn(frame, coded, *args, **kwargs)``, e.g. :func:`comments_view` or :func:`verbatims`.
    coded : CodedComments
        The coding to pass as ``fn``'s second argument.

    Returns
    -------
    callable
        ``g(frame, coding_key, *args, **kwargs) = fn(frame, coded, *args, **kwargs)``, carrying
        ``fn``'s name (``__module__``, ``__qualname__``). ``coding_key`` is not used by ``g``.

    Notes
    -----
    Streamlit's cache cannot hash a :class:`CodedComments` (it fails on the pandas ``Index``), so
    the app caches ``g`` instead, with a ``coding_key`` that identifies the coding: the codebook's
    :func:`codebook_version` and the scope the coding was cut to. Two calls with the same key
    must be given the same coding, or the cache returns the other one's result.

    References
    ----------
    Python documentation, ``functools.update_wrapper``.

    Examples
    --------
    >>> coded = code_comments(pd.Series(["late"]), {"Delivery": "late"})
    >>> g = bind_coding(lambda frame, c, theme: int(c.theme_mask(theme).sum()), coded)
    >>> g(None, "v1", "Delivery")
    1
    """
    def bound(frame, coding_key, *args, **kwargs):
        return fn(frame, coded, *args, **kwargs)

    functools.update_wrapper(bound, fn)
    return bound
