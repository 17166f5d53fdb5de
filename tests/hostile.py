"""A corpus of hostile and broken survey files, generated on the fly (large ones are never committed).

Each entry: name -> (factory returning bytes, expectation). The expectation is either
``("error", words)``: `load_survey` raises `CxInputError` whose message contains the words; or
``("ok", check)``: the file loads and ``check(survey)`` holds (a correct result, not just "no crash").
"""

from __future__ import annotations

import io
import zipfile

from bad_files import GOOD_HEADER, GOOD_ROWS, many_columns, truncated_xlsx, xlsx_bomb


def _csv(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def _declared_2gb_zip() -> bytes:
    """An xlsx-looking zip whose central directory declares a 2 GB sheet that is not really there."""
    data = bytearray(_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>",
                           "xl/worksheets/sheet1.xml": b"<worksheet/>"}))
    # Patch the uncompressed size of the sheet in its central directory record to 2,000,000,000.
    marker = b"xl/worksheets/sheet1.xml"
    cd = data.rfind(b"PK\x01\x02", 0, data.rfind(marker))
    data[cd + 24:cd + 28] = (2_000_000_000).to_bytes(4, "little")
    return bytes(data)


def _n(survey) -> int:
    from cx.nps import nps_summary

    return nps_summary(survey.frame, survey.roles.loyalty).n


def _nps(survey) -> float:
    from cx.nps import nps_summary

    return nps_summary(survey.frame, survey.roles.loyalty).score


GOOD = GOOD_HEADER + GOOD_ROWS  # 40 rows, loyalty i % 11

CORPUS: dict[str, tuple] = {
    "empty.csv": (lambda: b"", ("error", "empty")),
    "whitespace_only.csv": (lambda: b"   \n\t\n  ", ("error", "empty")),
    "bom_only.csv": (lambda: b"\xef\xbb\xbf", ("error", "")),
    "header_only.csv": (lambda: GOOD_HEADER.encode(), ("error", "no data rows")),
    "header_only_qualtrics.csv": (lambda: b'Q1,Q2\nHow likely to recommend?,Why?\n"{""ImportId"":""QID1""}",'
                                          b'"{""ImportId"":""QID2""}"\n', ("error", "no data rows")),
    "garbage_bytes.csv": (lambda: bytes(range(256)) * 64, ("error", "binary")),
    "random_binary.dat": (lambda: bytes((i * 7919 + 13) % 256 for i in range(50_000)), ("error", "binary")),
    "pdf_renamed.csv": (lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n" + bytes(range(1, 9)) * 900,
                        ("error", "binary")),
    "png_renamed.xlsx": (lambda: b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, ("error", "not one")),
    "fake.xlsx": (lambda: GOOD.encode(), ("error", "not one")),
    "fake.xls": (lambda: b"<html><body><table><tr><td>1</td></tr></table></body></html>", ("error", "not one")),
    "truncated.xlsx": (truncated_xlsx, ("error", "damaged")),
    "zip_not_excel.xlsx": (lambda: _zip({"notes.txt": b"hello"}), ("error", "not an Excel")),
    "xlsx_bomb.xlsx": (xlsx_bomb, ("error", "decompression bomb")),
    "declared_2gb.xlsx": (_declared_2gb_zip, ("error", "decompression bomb")),
    "fake.parquet": (lambda: b"PAR1 not parquet at all PAR1", ("error", "Parquet")),
    "json_file.csv": (lambda: b'{"responses": [{"ltr": 10}, {"ltr": 3}]}\n', ("error", "")),
    "no_loyalty_column.csv": (lambda: b"id,colour,size\n1,red,L\n2,blue,M\n3,red,S\n", ("error", "No 0\u201310")),
    "text_in_loyalty.csv": (lambda: b"id,Likelihood to recommend\n1,great\n2,ok\n3,bad\n", ("error", "No 0\u201310")),
    "only_na_answers.csv": (lambda: ("id,Likelihood to recommend,Billing\n" + "".join(f"{i},N/A,N/A\n"
                                                                                       for i in range(30))).encode(),
                            ("error", "No 0\u201310")),
    # a quote left open swallows the lines after it: refused, rather than losing rows
    "unbalanced_quotes.csv": (lambda: (GOOD_HEADER + '1,10,5,"never closed\n' + GOOD_ROWS).encode(),
                              ("error", "quote")),
    "unbalanced_quotes_multiline.csv": (lambda: (GOOD_HEADER + '1,10,5,"two\nlines"\n2,9,4,"never closed\n'
                                                 + GOOD_ROWS).encode(), ("error", "quote")),
    "single_column.csv": (lambda: ("Likelihood to recommend\n" + "".join(f"{i % 11}\n" for i in range(30))).encode(),
                          ("ok", lambda s: _n(s) == 30)),
    "out_of_range_loyalty.csv": (lambda: ("id,Likelihood to recommend\n" + "".join(
        f"{i},{v}\n" for i, v in enumerate([10, 9, 11, -3, 0, 7, 8, 6, 10, 9] * 3))).encode(),
        ("ok", lambda s: _n(s) == 24 and abs(_nps(s) - 100 * (12 - 6) / 24) < 1e-9)),
    "nul_bytes.csv": (lambda: GOOD.replace("fine", "fi\x00ne").encode(), ("ok", lambda s: _n(s) == 40)),
    "mixed_encodings.csv": (lambda: (GOOD_HEADER + "1,10,5,caf\u00e9\n").encode() + "2,9,4,na\u00efve\n".encode("cp1252")
                            + GOOD_ROWS.encode(), ("ok", lambda s: _n(s) == 42)),
    "latin1.csv": (lambda: (GOOD_HEADER + "1,10,5,\u00e0 bient\u00f4t\n" + GOOD_ROWS).encode("latin-1"),
                   ("ok", lambda s: "\u00e0 bient\u00f4t" in set(s.frame["Comment"].astype(str)))),
    "utf16_no_bom.tsv": (lambda: GOOD.replace(",", "\t").encode("utf-16-le"), ("ok", lambda s: _n(s) == 40)),
    "crlf_line_endings.csv": (lambda: GOOD.replace("\n", "\r\n").encode(), ("ok", lambda s: _n(s) == 40)),
    "cr_only_line_endings.csv": (lambda: GOOD.replace("\n", "\r").encode(), ("ok", lambda s: _n(s) == 40)),
    "duplicate_headers.csv": (lambda: ("id,Likelihood to recommend,Billing,Billing,Comment\n" + "".join(
        f"{i},{i % 11},3,4,x\n" for i in range(30))).encode(), ("ok", lambda s: "Billing (2)" in s.frame.columns)),
    "five_thousand_columns.csv": (many_columns, ("ok", lambda s: _n(s) == 30 and s.frame.shape[1] == 5000)),
    "huge_field.csv": (lambda: (GOOD_HEADER + "1,10,5," + "x" * 5_000_000 + "\n" + GOOD_ROWS).encode(),
                       ("ok", lambda s: _n(s) == 41)),
    "many_blank_rows.csv": (lambda: (GOOD_HEADER + ",,,\n" * 500 + GOOD_ROWS).encode(), ("ok", lambda s: _n(s) == 40)),
    "formula_injection.csv": (lambda: ("id,Likelihood to recommend,Comment\n" + "".join(
        f'{i},{i % 11},"=HYPERLINK(""http://evil.example"",""click"")"\n' for i in range(30))).encode(),
        ("ok", lambda s: _n(s) == 30)),
    "script_comments.csv": (lambda: ("id,Likelihood to recommend,Comment\n" + "".join(
        f'{i},{i % 11},"<script>alert({i})</script> <img src=x onerror=alert(1)> [link](http://x) ![i](http://x)"\n'
        for i in range(30))).encode(), ("ok", lambda s: _n(s) == 30)),
    "stray_delimiters.csv": (lambda: (GOOD_HEADER + "1,10,5,too,many\n" + GOOD_ROWS).encode(),
                             ("ok", lambda s: _n(s) == 40)),
    "labels_and_sentinels.csv": (lambda: ("id,How likely are you to recommend us?,Billing\n" + "".join(
        f"{i},{v},{b}\n" for i, (v, b) in enumerate([("10 - Extremely likely", 5), ("0 - Not at all likely", 9),
                                                      ("Don't know", 99), ("7", "N/A")] * 10))).encode(),
        ("ok", lambda s: _n(s) == 30 and abs(_nps(s)) < 1e-9)),
}
