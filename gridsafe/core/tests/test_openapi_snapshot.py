"""The API's contract is committed as gridsafe/openapi.json (style.md §6): a change to an operation, a schema or an
error shows up in review as a diff of that file, in the commit that caused it. This test fails when the document the
code serves differs from the committed one, with the diff and what to do."""

import difflib
import io
import json
from pathlib import Path

from django.core.management import call_command

import gridsafe
from gridsafe.api import api

SNAPSHOT = Path(gridsafe.__file__).parent / "openapi.json"
HINT = "The API changed: run `make openapi` and review the diff of gridsafe/openapi.json (commit it with the change)."


def _text(document) -> list[str]:
    """One stable text for a document whatever wrote it: sorted keys, one line per value."""
    return json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True).splitlines()


def test_the_served_document_is_the_committed_one():
    served = json.loads(json.dumps(api.get_openapi_schema()))  # as a client receives it: tuples become lists
    committed = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    if served != committed:
        diff = difflib.unified_diff(
            _text(committed),
            _text(served),
            "gridsafe/openapi.json (committed)",
            "api.get_openapi_schema()",
            lineterm="",
        )
        lines = list(diff)
        shown = "\n".join(lines[:300]) + (f"\n… {len(lines) - 300} more diff lines" if len(lines) > 300 else "")
        raise AssertionError(f"{HINT}\n{shown}")


def test_make_openapi_writes_the_committed_file_byte_for_byte():
    """`make openapi` runs `gridsafe export_openapi`: its output is the file, so regenerating an unchanged API gives
    an empty diff (sorted keys, no run-to-run differences)."""
    out = io.StringIO()
    call_command("export_openapi", stdout=out)
    assert out.getvalue() == SNAPSHOT.read_text(encoding="utf-8"), HINT
