"""The two rows one 上报 writes — a cases_case row and its case_reported cases_caseevent row — as plain SQL.

A Template is a case (and its event) that the real service `case_report` wrote during set-up, read back with
SELECT *. `insert_case` writes a copy of it with a new client_id, point and time: the same tables and columns, the
same kinds of values, none of the service's work (validation, locate, jurisdiction, deadlines, notification).
Used by both the raw psycopg figure and the Django floor endpoint. Works on any DB-API cursor (psycopg or Django)."""

import hashlib
import json
from dataclasses import dataclass

from psycopg.types.json import Jsonb

# Timestamps copied from the template shift by (now - template.created_at).
_SHIFTED = ("created_at", "updated_at", "step_started_at", "yellow_at", "due_at", "original_due_at", "next_sweep_at")


@dataclass(frozen=True)
class Template:
    case: dict
    event: dict
    case_sql: str
    event_sql: str


def _insert_sql(table: str, columns: list[str], returning: bool) -> str:
    cols = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    return f"INSERT INTO {table} ({cols}) VALUES ({marks})" + (" RETURNING id" if returning else "")


_JSON_OIDS = {114, 3802}  # json, jsonb


def _row(cursor) -> dict:
    """One row as {column: value}, json columns parsed (Django's connection loads them as text)."""
    columns = cursor.description
    values = cursor.fetchone()
    return {
        col[0]: json.loads(v) if col[1] in _JSON_OIDS and isinstance(v, str) else v
        for col, v in zip(columns, values, strict=True)
    }


def load_templates(cursor, case_ids: list[int]) -> list[Template]:
    templates = []
    for case_id in case_ids:
        cursor.execute("SELECT * FROM cases_case WHERE id = %s", [case_id])
        case = _row(cursor)
        cursor.execute(
            "SELECT * FROM cases_caseevent WHERE case_id = %s AND kind = 'case.reported' ORDER BY id LIMIT 1",
            [case_id],
        )
        event = _row(cursor)
        case.pop("id")
        event.pop("id")
        templates.append(
            Template(
                case=case,
                event=event,
                case_sql=_insert_sql("cases_case", list(case), returning=True),
                event_sql=_insert_sql("cases_caseevent", list(event), returning=False),
            )
        )
    return templates


def _adapt(value):
    return Jsonb(value) if isinstance(value, (dict, list)) else value


def insert_case(cursor, template: Template, *, client_id, lon: float, lat: float, now) -> int:
    """Insert one case and its event with `cursor` (the caller owns the transaction). Returns the case id."""
    case = dict(template.case)
    delta = now - case["created_at"]
    for column in _SHIFTED:
        if case[column] is not None:
            case[column] = case[column] + delta
    case.update(
        client_id=client_id,
        client_fingerprint=hashlib.sha256(f"{client_id}:{lon}:{lat}".encode()).hexdigest(),
        lon=lon,
        lat=lat,
        raw_lon=lon,
        raw_lat=lat,
    )
    cursor.execute(template.case_sql, [_adapt(v) for v in case.values()])
    case_id = cursor.fetchone()[0]
    event = dict(template.event)
    event.update(
        case_id=case_id,
        request_id=client_id,
        created_at=now,
        due_at=case["due_at"],
        payload={**event["payload"], "lon": lon, "lat": lat},
    )
    cursor.execute(template.event_sql, [_adapt(v) for v in event.values()])
    return case_id
