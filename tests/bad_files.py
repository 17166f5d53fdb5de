"""Hostile and broken inputs, generated (large ones are made on the fly, never committed)."""

from __future__ import annotations

import io
import zipfile

GOOD_HEADER = "id,Likelihood to recommend,Billing,Comment\n"
GOOD_ROWS = "".join(f"{i},{i % 11},{1 + i % 5},fine\n" for i in range(40))


def xlsx_bomb() -> bytes:
    """A valid-looking xlsx whose sheet inflates to ~2.2 GB (a decompression bomb)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as f:
            chunk = b"0" * (1 << 24)
            for _ in range(140):
                f.write(chunk)
    return buf.getvalue()


def truncated_xlsx() -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet()
    for r in range(50):
        ws.write_row(r, 0, [r, r % 11, "x"])
    wb.close()
    data = buf.getvalue()
    return data[: len(data) // 2]


def many_columns(n: int = 5000) -> bytes:
    header = ",".join(["Likelihood to recommend"] + [f"Q{i}" for i in range(1, n)])
    rows = "\n".join(",".join([str(r % 11)] + [str(1 + (r + i) % 5) for i in range(1, n)]) for r in range(30))
    return (header + "\n" + rows + "\n").encode()


BAD_FILES = {
    # name: (bytes factory, words the message must contain)
    "empty.csv": (lambda: b"", "empty"),
    "blank_lines.csv": (lambda: b"\n\n  \n", "empty"),
    "header_only.csv": (lambda: GOOD_HEADER.encode(), "no data rows"),
    "garbage.bin": (lambda: bytes(range(256)) * 40, "binary"),
    "garbage.csv": (lambda: b"\x00\xff\xfe\x01\x02" * 2000, "binary"),
    "fake.xlsx": (lambda: b"id,score\n1,10\n", "not one"),
    "truncated.xlsx": (truncated_xlsx, "damaged"),
    "zip_not_excel.xlsx": (lambda: _zip_with("readme.txt", b"hello"), "not an Excel"),
    "bomb.xlsx": (xlsx_bomb, "decompression bomb"),
    "no_loyalty.csv": (lambda: b"id,colour,size\n1,red,L\n2,blue,M\n3,red,S\n", "No 0\u201310"),
    "text_in_loyalty.csv": (lambda: b"id,Likelihood to recommend\n1,great\n2,ok\n3,bad\n", "No 0\u201310"),
    "unbalanced_quotes.csv": (lambda: (GOOD_HEADER + '1,10,5,"two\nlines"\n2,9,4,"never closed\n'
                                       + GOOD_ROWS).encode(), "quote"),
    "fake.parquet": (lambda: b"PAR1 not really parquet", "Parquet"),
}


def _zip_with(name: str, content: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(name, content)
    return buf.getvalue()
