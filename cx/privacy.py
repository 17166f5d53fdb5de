"""Mask personal data in comment text: e-mail addresses, phone numbers and long digit runs.

Comments are customer data. The app shows and exports them with personal data masked by default:
an e-mail address becomes ``[email]``, a phone number ``[phone]``, and a run of 8 or more digits
(account, card or order-reference numbers) ``[number]``. Dates (``2026-03-01``), amounts
(``$1,250.00``) and short numbers (``order 123``) are left alone.

The patterns are written in the common subset of RE2 and Python ``re`` (no look-around, no
back-references, ASCII classes), so the vectorised path (pyarrow's RE2 kernels, fast on hundreds of
thousands of comments) and the scalar path (Python ``re`` with ``re.ASCII``) mask identically.
"""

from __future__ import annotations

import re

import pandas as pd

EMAIL = "[email]"
PHONE = "[phone]"
NUMBER = "[number]"

# Order matters: e-mail first (an address may hold digits), then international phones (the
# leading "+" identifies them), then grouped card/account numbers, then national phone formats,
# and last any remaining run of 8+ digits.
_RULES: tuple[tuple[str, str], ...] = (
    # name.surname+tag@sub.domain.tld
    (r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}", EMAIL),
    # +44 20 7946 0958, +1 (312) 555-0187, +33 1 23 45 67 89, +4915123456789
    (r"\+\d{1,3}[ .\-]?(?:\(\d{1,4}\)[ .\-]?)?\d{1,4}(?:[ .\-]?\d{2,4}){1,4}\b", PHONE),
    # card-like groups: 4111 1111 1111 1111, 4111-1111-1111-1111, Amex 3782 822463 10005
    (r"\b\d{4}(?:[ \-]\d{4}){3}\b|\b\d{4}[ \-]\d{6}[ \-]\d{5}\b", NUMBER),
    # North American: (312) 555-0187, 312-555-0187, 312.555.0187, 312 555 0187
    (r"(?:\(\d{3}\)[ .\-]?|\b\d{3}[ .\-])\d{3}[ .\-]\d{4}\b", PHONE),
    # French: 01 23 45 67 89, 06.12.34.56.78 (one separator style, or none: 0612345678)
    (r"\b0[1-9](?: \d{2}){4}\b|\b0[1-9](?:\.\d{2}){4}\b|\b0[1-9](?:-\d{2}){4}\b|\b0[1-9]\d{8}\b", PHONE),
    # UK: 020 7946 0958, 01632 960123, 07700 900123
    (r"\b0[1-9]\d{1,3}[ \-]?\d{3,4}[ \-]?\d{3,4}\b", PHONE),
    # German and similar area-code formats: 030 12345678, 089/1234567, 0800-123456
    (r"\b0[1-9]\d{1,4}[ /\-]\d{4,8}\b", PHONE),
    (r"\d{8,}", NUMBER),
)

# Every rule's match contains "@", "+" then a digit, or a run of 7+ characters of digits and
# separators (the shortest national form: 012/3456).
_CANDIDATE = r"@|\+[0-9]|[0-9][0-9 ()./\-]{5,}[0-9]"

_COMPILED = tuple((re.compile(p, re.ASCII), repl) for p, repl in _RULES)


def mask_text(text: str | None) -> str | None:
    """Mask e-mail addresses, phone numbers and long digit runs in one comment.

    Parameters
    ----------
    text : str or None
        A comment. ``None`` (and any non-string missing value) is returned unchanged.

    Returns
    -------
    str or None
        The comment with ``[email]``, ``[phone]`` and ``[number]`` in place of personal data.

    Notes
    -----
    Same rules, in the same order, as :func:`mask_personal_data`; see the module docstring.
    A phone number needs a recognisable format (a leading ``+``, a North American
    ``(312) 555-0187`` layout, or a national number starting ``0`` followed by a non-zero digit);
    a run of 8 or more digits is masked as a number whatever it is.

    References
    ----------
    ITU-T Recommendation E.164, *The international public telecommunication numbering plan*.

    Examples
    --------
    >>> mask_text("Call +1 (312) 555-0187 or mail j.miller@example-corp.com about order 123")
    'Call [phone] or mail [email] about order 123'
    """
    if not isinstance(text, str):
        return text
    for rx, repl in _COMPILED:
        text = rx.sub(repl, text)
    return text


def mask_personal_data(comments: pd.Series) -> pd.Series:
    """Mask e-mail addresses, phone numbers and long digit runs in a column of comments.

    Parameters
    ----------
    comments : pandas.Series
        Free-text comments (any string dtype; missing values stay missing).

    Returns
    -------
    pandas.Series
        The masked comments, same index and name; string dtype.

    Notes
    -----
    Vectorised with pyarrow's RE2 ``replace_substring_regex``: a few tenths of a second for
    400,000 comments. Only comments that contain ``@``, ``+`` and a digit, or 7+ characters of
    digits and separators are rewritten. The result equals
    :func:`mask_text` applied to each comment.

    References
    ----------
    Apache Arrow compute functions, ``replace_substring_regex`` (RE2 syntax).

    Examples
    --------
    >>> mask_personal_data(pd.Series(["mail me: a.b@c.org", "paid $1,250.00 on 2026-03-01"])).tolist()
    ['mail me: [email]', 'paid $1,250.00 on 2026-03-01']
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if not isinstance(comments, pd.Series):
        comments = pd.Series(comments)
    if not isinstance(comments.dtype, pd.StringDtype):
        comments = comments.astype("str")
    arr = pa.array(comments.array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if len(arr) == 0:
        return comments.copy()
    # Only a comment with "@" or 7+ characters of digits and separators can hold personal data:
    # rewrite only those (most comments hold neither).
    todo = pc.fill_null(pc.match_substring_regex(arr, _CANDIDATE), False)
    if not pc.any(todo).as_py():
        return comments.copy()
    part = pc.filter(arr, todo)
    for pattern, repl in _RULES:
        part = pc.replace_substring_regex(part, pattern, repl)
    masked = pc.replace_with_mask(arr, todo, part)
    out = masked.to_pandas()
    out.index = comments.index
    out.name = comments.name
    return out.astype(comments.dtype)


# Characters that make a spreadsheet read a cell as a formula (or, for tab and CR, that some
# spreadsheets strip before reading it as one). OWASP, "CSV Injection".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(text: str | None) -> str | None:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe.

    Parameters
    ----------
    text : str or None
        One cell. Non-strings are returned unchanged.

    Returns
    -------
    str or None
        ``"'" + text`` when ``text`` starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
        return; otherwise ``text``.

    Notes
    -----
    The apostrophe makes Excel, LibreOffice and Google Sheets show the cell as text. It is visible
    in other tools, which is the accepted price for never running a formula written by a customer.

    References
    ----------
    OWASP, *CSV Injection* (https://owasp.org/www-community/attacks/CSV_Injection).

    Examples
    --------
    >>> neutralise_formula("=1+1"), neutralise_formula("-5 stars"), neutralise_formula("late again")
    ("'=1+1", "'-5 stars", 'late again')
    """
    if isinstance(text, str) and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _as_text_cell(value):
    if isinstance(value, (tuple, list)):
        return "; ".join(str(v) for v in value)
    return value


def safe_csv(frame: pd.DataFrame, *, mask: bool = True, index: bool = False, bom: bool = True) -> bytes:
    r"""A table as CSV bytes that are safe to open in a spreadsheet and to pass around.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to export (comments, themes, segment values...).
    mask : bool, default True
        Mask e-mail addresses, phone numbers and long digit runs in every text cell
        (see :func:`mask_personal_data`).
    index : bool, default False
        Write the index as the first column.
    bom : bool, default True
        Start with a UTF-8 byte-order mark, so Excel reads accented text correctly.

    Returns
    -------
    bytes
        UTF-8 CSV (RFC 4180 quoting), ``\n`` line ends.

    Notes
    -----
    Every text cell (and every column name) that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
    carriage return gets a leading apostrophe (:func:`neutralise_formula`), after masking. Numeric
    columns are written as numbers (a negative number is not text, so it is not a formula).
    Tuples and lists in a cell (e.g. example comments) are joined with ``"; "``.

    References
    ----------
    OWASP, *CSV Injection*; RFC 4180.

    Examples
    --------
    >>> safe_csv(pd.DataFrame({"comment": ["=1+1", "mail a@b.org"], "score": [-1, 9]}), bom=False)
    b"comment,score\n'=1+1,-1\nmail [email],9\n"
    """
    if not isinstance(frame, pd.DataFrame):
        frame = pd.DataFrame(frame)
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
            continue
        s = s.map(_as_text_cell, na_action="ignore")
        if mask:
            s = mask_personal_data(s.astype("str") if not isinstance(s.dtype, pd.StringDtype) else s)
        out[col] = s.map(neutralise_formula, na_action="ignore").astype(object)
    out.columns = [neutralise_formula(str(c)) for c in out.columns]
    if index:
        out.index = out.index.map(lambda v: neutralise_formula(str(v)) if isinstance(v, str) else v)
    text = out.to_csv(index=index, lineterminator="\n")
    return ("\ufeff" + text if bom else text).encode("utf-8")
