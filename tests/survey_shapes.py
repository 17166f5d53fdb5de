"""Small survey exports in every shape the importer must read, all holding the same answers.

22 respondents: 20 valid 0–10 answers (8 promoters, 5 passives, 7 detractors: NPS = +5.0), one
"Don't know" and one blank. Three drivers on 1–5 with some "N/A", a comment, a region and a date.
"""

from __future__ import annotations

import csv
import io
import json

LTR = [10, 10, 9, 9, 9, 8, 8, 7, 6, 5, 4, 3, 0, 10, 9, 7, 6, 2, 10, 8, None, None]
LTR_TEXT = [str(v) if v is not None else "" for v in LTR]
LTR_TEXT[20] = "Don't know"
EXPECTED_N, EXPECTED_NPS = 20, 5.0
EXPECTED = {"promoters": 8, "passives": 5, "detractors": 7}
BILLING = [5, 4, 4, 5, 3, 4, 3, 3, 2, 2, 1, 2, 1, 5, 4, 3, 2, 1, 5, 4, 3, 3]
DELIVERY = [4, 5, 5, 4, 4, 3, 4, 3, 3, 2, 2, 3, 1, 4, 5, 3, 3, 2, 5, 3, 4, 2]
SUPPORT = [5, 5, 4, 4, 5, 4, 3, 4, 3, 3, 2, 1, 2, 5, 4, 4, 2, 1, 4, 3, 3, 3]
NA_AT = {3: "Support", 7: "Billing"}
REGIONS = ["EMEA", "APAC", "EMEA", "Americas", "APAC", "EMEA", "Americas", "EMEA", "APAC", "EMEA", "Americas",
           "EMEA", "APAC", "EMEA", "Americas", "APAC", "EMEA", "Americas", "EMEA", "APAC", "EMEA", "APAC"]
COMMENTS = [
    "Great service, invoices always right", "Fast delivery", "", "Support is excellent", "Good value",
    "Billing could be clearer", "Delivery was late twice", "", "Invoice errors every month", "Late deliveries",
    "Support never calls back", "Too expensive", "Wrong invoices and rude staff", "Love it", "",
    "Portal is slow", "Billing mistakes", "Terrible support", "Excellent account manager", "OK overall", "", "",
]
DATES = [f"2026-0{1 + i % 6}-{10 + i % 15:02d}" for i in range(22)]
LIKERT = {1: "Very dissatisfied", 2: "Dissatisfied", 3: "Neither satisfied nor dissatisfied", 4: "Satisfied",
          5: "Very satisfied"}


def _driver(values: list[int], name: str, labels: bool = False) -> list[str]:
    out = [LIKERT[v] if labels else str(v) for v in values]
    for i, driver in NA_AT.items():
        if driver == name:
            out[i] = "N/A"
    return out


def _ltr_label(text: str) -> str:
    if text == "0":
        return "0 - Not at all likely"
    if text == "10":
        return "10 - Extremely likely"
    return text


def plain_rows(labels: bool = False) -> list[list[str]]:
    """Header + rows of a plain export."""
    header = ["Respondent", "Date", "Region", "How likely are you to recommend us to a colleague?",
              "Billing", "Delivery", "Support", "Comment"]
    rows = [header]
    for i in range(22):
        ltr = _ltr_label(LTR_TEXT[i]) if labels else LTR_TEXT[i]
        rows.append([f"R{i + 1}", DATES[i], REGIONS[i], ltr, _driver(BILLING, "Billing", labels)[i],
                     _driver(DELIVERY, "Delivery", labels)[i], _driver(SUPPORT, "Support", labels)[i], COMMENTS[i]])
    return rows


def to_csv(rows: list[list[str]], delimiter: str = ",") -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def qualtrics_csv(labels: bool = False) -> bytes:
    """A modern Qualtrics export: codes, question text (matrix: "Question - Item"), ImportId JSON."""
    codes = ["StartDate", "EndDate", "Status", "Progress", "Finished", "RecordedDate", "ResponseId",
             "DistributionChannel", "UserLanguage", "Q1", "Q2_1", "Q2_2", "Q2_3", "Q3", "Q4"]
    text = ["Start Date", "End Date", "Response Type", "Progress", "Finished", "Recorded Date", "Response ID",
            "Distribution Channel", "User Language",
            "How likely are you to recommend Acme to a friend or colleague?",
            "How satisfied are you with each of the following? - Billing accuracy",
            "How satisfied are you with each of the following? - On-time delivery",
            "How satisfied are you with each of the following? - Support responsiveness",
            "Which region are you in?", "What is the main reason for your score?"]
    import_ids = [json.dumps({"ImportId": c}) for c in
                  ["startDate", "endDate", "status", "progress", "finished", "recordedDate", "_recordId",
                   "distributionChannel", "userLanguage", "QID1", "QID2_1", "QID2_2", "QID2_3", "QID3", "QID4_TEXT"]]
    rows = [codes, text, import_ids]
    for i in range(22):
        ltr = _ltr_label(LTR_TEXT[i]) if labels else LTR_TEXT[i]
        rows.append([f"{DATES[i]} 09:00:00", f"{DATES[i]} 09:05:00", "IP Address", "100", "True", f"{DATES[i]} 09:05:00",
                     f"R_{i:04d}", "anonymous", "EN", ltr, _driver(BILLING, "Billing", labels)[i],
                     _driver(DELIVERY, "Delivery", labels)[i], _driver(SUPPORT, "Support", labels)[i], REGIONS[i],
                     COMMENTS[i]])
    return to_csv(rows).encode("utf-8-sig")


def surveymonkey_csv() -> bytes:
    """A SurveyMonkey export: question row (blank over matrix continuations), then sub-question row."""
    row1 = ["Respondent ID", "Start Date", "End Date",
            "How likely is it that you would recommend Acme to a friend or colleague?",
            "How would you rate the following?", "", "", "What region are you in?", "Any other comments?"]
    row2 = ["", "", "", "Response", "Billing accuracy", "On-time delivery", "Support responsiveness", "Response",
            "Open-Ended Response"]
    rows = [row1, row2]
    for i in range(22):
        rows.append([str(1000 + i), DATES[i], DATES[i], LTR_TEXT[i], _driver(BILLING, "Billing")[i],
                     _driver(DELIVERY, "Delivery")[i], _driver(SUPPORT, "Support")[i], REGIONS[i], COMMENTS[i]])
    return to_csv(rows).encode("utf-8")


def utf16_tsv() -> bytes:
    """Qualtrics' "TSV" download: UTF-16 with a BOM, tab-separated."""
    return to_csv(plain_rows(), delimiter="\t").encode("utf-16")


def semicolon_cp1252() -> bytes:
    """A European Excel CSV: semicolons, decimal comma, Windows-1252 accents."""
    rows = plain_rows()
    rows[0] = rows[0] + ["Revenue (€)"]
    for i, row in enumerate(rows[1:]):
        row[2] = {"EMEA": "Région Europe", "APAC": "Asie-Pacifique", "Americas": "Amériques"}[row[2]]
        row.append(f"{1000 + 250.5 * i:.2f}".replace(".", ","))
    return to_csv(rows, delimiter=";").encode("cp1252")


def xlsx_with_title_and_second_sheet() -> bytes:
    """A workbook whose first sheet is a notes page and whose data sheet has a title row above the header."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    notes = wb.add_worksheet("Read me")
    notes.write(0, 0, "Exported from the CRM on 2026-07-01")
    data = wb.add_worksheet("Responses")
    data.write(0, 0, "Customer survey 2026 – all responses")
    for r, row in enumerate(plain_rows(), start=2):
        for c, value in enumerate(row):
            if r > 2 and c in (3, 4, 5, 6) and value.isdigit():
                data.write_number(r, c, int(value))
            elif value != "":
                data.write_string(r, c, value)
    wb.close()
    return buf.getvalue()


SHAPES = {
    "qualtrics_values.csv": lambda: qualtrics_csv(labels=False),
    "qualtrics_labels.csv": lambda: qualtrics_csv(labels=True),
    "surveymonkey.csv": surveymonkey_csv,
    "qualtrics_utf16.tsv": utf16_tsv,
    "european_semicolon.csv": semicolon_cp1252,
    "title_row_two_sheets.xlsx": xlsx_with_title_and_second_sheet,
}


def qualtrics_from_sample(n: int = 1500) -> bytes:
    """The first n responses of the sample survey as a modern Qualtrics export (3 header rows, labels)."""
    import pandas as pd
    from conftest import SAMPLE

    s = pd.read_csv(SAMPLE, nrows=n, dtype=str, keep_default_na=False)
    drivers = list(s.columns[8:20])
    meta = ["StartDate", "EndDate", "Status", "Progress", "Finished", "RecordedDate", "ResponseId"]
    codes = meta + ["Q1"] + [f"Q2_{i + 1}" for i in range(len(drivers))] + ["Q3", "Q4", "Q5", "Q6", "Q7"]
    matrix = "How would you rate Acme on each of the following? - "
    text = meta + ["How likely are you to recommend Acme to a friend or colleague?"] + [matrix + d for d in drivers] \
        + ["Which part of Acme do you mostly buy from?", "Region", "Account tier",
           "What is your annual contract value with Acme (USD)?", "What is the main reason for your score?"]
    ids = [json.dumps({"ImportId": c}) for c in ["startDate", "endDate", "status", "progress", "finished",
                                                  "recordedDate", "_recordId"]]
    ids += [json.dumps({"ImportId": f"QID{k}"}) for k in range(len(codes) - len(meta))]
    rows = [codes, text, ids]
    for _, r in s.iterrows():
        ltr = {"0": "0 - Not at all likely", "10": "10 - Extremely likely"}.get(r["Likelihood to recommend"],
                                                                                r["Likelihood to recommend"])
        day = r["Response date"]
        rows.append([f"{day} 10:00:00", f"{day} 10:06:00", "IP Address", "100", "True", f"{day} 10:06:00",
                     f"R_{r['Respondent ID']}", ltr, *[r[d] for d in drivers], r["Business unit"], r["Region"],
                     r["Account tier"], r["Annual revenue"], r["Comment"]])
    return to_csv(rows).encode("utf-8-sig")
