"""Masking of personal data in comments: e-mail addresses, phone numbers, long digit runs.

Phone formats follow ITU-T E.164 (international "+CC ...") and common national layouts
(North American (NPA) NXX-XXXX, UK 0AA AAAA AAAA, French 0X XX XX XX XX, German 0AAA/NNNNNNN);
the numbers used are the reserved fictional ranges (UK Ofcom 020 7946 0xxx / 07700 900xxx,
North American 555-01xx).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cx.privacy import mask_personal_data, mask_text

MASKED = [
    ("Please contact me at j.miller@example-corp.com.", "Please contact me at [email]."),
    ("Email dana.kowalski@acme-industrial.example if you want details",
     "Email [email] if you want details"),
    ("mail FIRST.last+cx@sub.domain.co.uk now", "mail [email] now"),
    ("Call me on +1 (312) 555-0187 to discuss", "Call me on [phone] to discuss"),
    ("My direct line is 020 7946 0958", "My direct line is [phone]"),
    ("mobile 07700 900123", "mobile [phone]"),
    ("+44 20 7946 0958 (office)", "[phone] (office)"),
    ("+33 1 23 45 67 89", "[phone]"),
    ("tel. 06.12.34.56.78", "tel. [phone]"),
    ("Ruf an: 030 12345678", "Ruf an: [phone]"),
    ("Fax 089/1234567", "Fax [phone]"),
    ("+4915123456789", "[phone]"),
    ("312-555-0187 or 312.555.0187", "[phone] or [phone]"),
    ("(312)555-0187", "[phone]"),
    ("Fax 012/3456", "Fax [phone]"),
    ("call 0800 123 4567", "call [phone]"),
    ("card 4111 1111 1111 1111 was charged", "card [number] was charged"),
    ("card 4111-1111-1111-1111", "card [number]"),
    ("account 123456789012", "account [number]"),
    ("Invoice INV12345678 is wrong", "Invoice INV[number] is wrong"),
    ("PO 4500012345", "PO [number]"),
]

UNTOUCHED = [
    "Delivered on 2026-03-01, invoiced 2026-03-15",
    "We paid $1,250.00 and then EUR 1.250.000,00",
    "order 123 was late",
    "Prices went up 12% with no notice",
    "on 01.03.2026 10 units were missing",
    "1 000 000 000 EUR of business",
    "version 1.2.3 released in 2026",
    "05/03/2026 at 14:30",
    "wait on hold for 40 minutes, 3 times",
    "Q2 2026 was +20 points",
    "ISO 9001:2015 certified",
    "we order 250-300 units a month",
    "",
]


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_mask_text_masks_personal_data(text, expected):
    assert mask_text(text) == expected


@pytest.mark.parametrize("text", UNTOUCHED)
def test_mask_text_leaves_dates_amounts_and_short_numbers(text):
    assert mask_text(text) == text


def test_series_masking_equals_scalar_masking():
    """The RE2 (pyarrow) path and the Python path give the same text, row by row."""
    edge = ["+1 2 34", "+1111", "a+1 b", "@", "x@y", "1 2 3 4 5 6 7 8", "(12)345-6789"]  # prefilter borders
    texts = [t for t, _ in MASKED] + UNTOUCHED + edge
    s = pd.Series(texts + [None], index=range(100, 100 + len(texts) + 1), name="Comment")
    out = mask_personal_data(s)
    assert out.index.equals(s.index) and out.name == "Comment"
    assert out.iloc[:-1].tolist() == [mask_text(t) for t in texts]
    assert pd.isna(out.iloc[-1])


def test_series_masking_keeps_dtype_and_missing_values():
    s = pd.Series(["a@b.org", np.nan, "fine"], dtype="str")
    out = mask_personal_data(s)
    assert out.dtype == s.dtype
    assert out.tolist()[0] == "[email]" and pd.isna(out.iloc[1]) and out.iloc[2] == "fine"
    s2 = pd.Series(["a@b.org", None], dtype="string")
    out2 = mask_personal_data(s2)
    assert out2.dtype == s2.dtype and out2.iloc[0] == "[email]" and out2.isna().tolist() == [False, True]
    obj = pd.Series(["+1 (312) 555-0187", None], dtype=object)
    assert mask_personal_data(obj).iloc[0] == "[phone]"


def test_series_masking_edge_cases():
    assert mask_personal_data(pd.Series([], dtype="str")).empty
    clean = pd.Series(["no digits here", "none"])
    assert mask_personal_data(clean).tolist() == clean.tolist()
    assert mask_text(None) is None


# ------------------------------------------------------------------------------------------
# Safe CSV exports: personal data masked, spreadsheet formulas neutralised (OWASP "CSV Injection")
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("cell", "expected"), [
    ("=HYPERLINK(\"http://evil\",\"x\")", "'=HYPERLINK(\"http://evil\",\"x\")"),
    ("+1+2", "'+1+2"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tcmd", "'\tcmd"), ("\rcmd", "'\rcmd"),
    ("late = bad", "late = bad"), ("", ""), ("'quoted", "'quoted"),
])
def test_neutralise_formula(cell, expected):
    from cx.privacy import neutralise_formula

    assert neutralise_formula(cell) == expected


def test_neutralise_formula_leaves_non_text_alone():
    from cx.privacy import neutralise_formula

    assert neutralise_formula(None) is None and neutralise_formula(-3) == -3


def test_safe_csv_masks_neutralises_and_keeps_numbers():
    """Text cells masked then neutralised; negative numbers stay numbers; header names neutralised."""
    import io

    from cx.privacy import safe_csv

    frame = pd.DataFrame({
        "comment": ["=cmd|' /C calc'!A0", "mail a.b@example.com", None, "-late again", "+1 (312) 555-0187"],
        "score": [-1.5, 9.0, np.nan, 3.0, 0.0],
        "examples": [("=x", "ok"), ("call 020 7946 0958",), (), None, ("a",)],
        "=danger": ["x", "y", "z", "w", "v"],
    })
    out = safe_csv(frame)
    assert out.startswith("\ufeff".encode())
    back = pd.read_csv(io.BytesIO(out), encoding="utf-8-sig", keep_default_na=False)
    assert back.columns.tolist() == ["comment", "score", "examples", "'=danger"]
    assert back["comment"].tolist() == ["'=cmd|' /C calc'!A0", "mail [email]", "", "'-late again", "[phone]"]
    assert back["score"].astype(str).tolist() == ["-1.5", "9.0", "", "3.0", "0.0"]
    assert back["examples"].tolist() == ["'=x; ok", "call [phone]", "", "", "a"]
    raw = safe_csv(frame, mask=False, bom=False)
    assert not raw.startswith("\ufeff".encode())
    assert b"a.b@example.com" in raw and b"'=cmd" in raw


def test_safe_csv_index_and_string_dtypes():
    from cx.privacy import safe_csv

    frame = pd.DataFrame({"c": pd.Series(["@x", "ok"], dtype="str", index=pd.Index(["=a", "b"], name="row"))})
    assert safe_csv(frame, index=True, bom=False) == b"row,c\n'=a,'@x\nb,ok\n"
    assert safe_csv(pd.DataFrame({"c": pd.Series([], dtype="str")}), bom=False) == b"c\n"
