"""Small hand-built worlds for known-answer tests: valid ids on demand, tables from row dicts."""

from __future__ import annotations

from typing import Any

import polars as pl
from stdnum.cn import ric

from dupcheck.io import Dataset


def make_id(birth: str, seq: int = 11, region: str = "370102") -> str:
    """A valid 18-character id for ``birth`` (YYYYMMDD); odd ``seq`` is male, even female."""
    body = f"{region}{birth}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum expects the check position present


def world(**tables: list[dict[str, Any]]) -> Dataset:
    """A Dataset from lists of row dicts (all values as strings, as a CSV would give them)."""
    frames = {
        name: pl.DataFrame([{k: (None if v is None else str(v)) for k, v in r.items()} for r in rows])
        for name, rows in tables.items()
    }
    return Dataset.from_frames(**frames)


def claim(cid: str, pid: str, name: str = "张三", bt: str = "ui_benefit", date: str = "2021-08-01",
          start: str | None = "2021-08-01", end: str | None = "2022-01-31", **kw: Any) -> dict[str, Any]:
    """One claim row."""
    return {"claim_id": cid, "id_number": pid, "name": name, "benefit_type": bt, "claim_date": date,
            "period_start": start, "period_end": end, **kw}


def clean_history(pid: str, name: str = "张三", end: str = "2021-06-30", reason: str = "contract_expired",
                  start: str = "2015-01-01", key: str = "1") -> dict[str, list[dict[str, Any]]]:
    """An ended employment spell and the qualifying stoppage that ended it."""
    return {
        "employment": [{"record_id": f"E{key}", "id_number": pid, "name": name, "employer_id": "91370000MA3C00000X",
                        "start_date": start, "end_date": end}],
        "stoppages": [{"record_id": f"S{key}", "id_number": pid, "name": name, "employer_id": "91370000MA3C00000X",
                       "stop_date": end, "reason": reason}],
    }
