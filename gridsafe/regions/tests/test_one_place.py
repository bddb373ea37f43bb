"""Constants and helpers live once: a setting's default in settings.py (code reads settings.X), the distance in
regions/coords.py, the accuracy threshold in regions/coords.py. A second copy drifts: the field app once warned at a
figure the server did not flag at."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from gridsafe.regions.coords import POOR_ACCURACY_M, bbox_around, haversine_m

PACKAGE = Path(settings.BASE_DIR) / "gridsafe"
# Files another change is moving right now (issue #17, cases.uploads split): their readers switch to settings.X
# in that change; the defaults are in settings.py already. Remove an entry once its file reads settings.X.
PENDING = {"cases/uploads/sniff.py", "cases/uploads/images.py", "cases/uploads/pdf.py", "cases/services/report.py"}


def _sources():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if "/tests/" in f"/{rel}" or "/migrations/" in rel or rel == "settings.py" or rel in PENDING:
            continue
        yield rel, path.read_text(encoding="utf-8")


def test_no_setting_has_a_default_outside_settings_py():
    found = [
        f"{rel}: {m.group(0)}"
        for rel, text in _sources()
        for m in re.finditer(r"getattr\(\s*settings\s*,\s*[\"'][A-Z0-9_]+[\"']\s*,[^)]*\)", text)
    ]
    assert not found, "give the setting its default in settings.py and read settings.X:\n" + "\n".join(found)


def test_every_moved_default_is_a_setting():
    for name, default in {
        "GRIDSAFE_TILE_URL": "",
        "GRIDSAFE_TILE_MAX_ZOOM": 18,
        "GRIDSAFE_MAP_CASE_LIMIT": 2000,
        "GRIDSAFE_TRACK_RETENTION_DAYS": 90,
        "GRIDSAFE_BULLETIN_DAY": 1,
        "GRIDSAFE_REPORT_REMIND_DAYS_BEFORE": (10, 3),
        "GRIDSAFE_CADENCE_REMIND_DAYS_BEFORE": 2,
        "GRIDSAFE_KPI_EXCLUDE_SUSPENDED": False,
        "GRIDSAFE_SCREEN_POLL_SECONDS": 30,
        "GRIDSAFE_PDF_MAX_SECONDS": 10,
    }.items():
        assert getattr(settings, name) == default, name


def test_one_distance_and_one_accuracy_threshold():
    copies = [
        rel
        for rel, text in _sources()
        if rel != "regions/coords.py"
        and (re.search(r"6_?371_?000|def \w*haversine", text) or re.search(r"^POOR_ACCURACY_M\s*=", text, re.M))
    ]
    assert not copies, f"use gridsafe.regions.coords (haversine_m, bbox_around, POOR_ACCURACY_M): {copies}"


def test_haversine_and_the_box_around_a_point():
    # One degree of latitude is about 111.2 km anywhere on the sphere.
    assert haversine_m(118.69, 25.36, 118.69, 26.36) == pytest.approx(111_195, rel=1e-3)
    assert haversine_m(118.69, 25.36, 118.69, 25.36) == 0
    (lon_min, lon_max), (lat_min, lat_max) = bbox_around(118.69, 25.36, 300)
    for lon, lat in ((lon_min, 25.36), (lon_max, 25.36), (118.69, lat_min), (118.69, lat_max)):
        assert haversine_m(118.69, 25.36, lon, lat) >= 299  # the box holds the whole circle
    assert POOR_ACCURACY_M == 50


@pytest.mark.django_db
def test_the_field_bundle_carries_the_accuracy_threshold_and_the_names(api_as):
    bundle = api_as("nanxi_worker").get("/api/v1/field/sync").json()
    assert bundle["settings"]["poor_accuracy_m"] == POOR_ACCURACY_M
    assert bundle["labels"]["location_flags"]["poor_accuracy"] == "定位精度较差"
    assert bundle["labels"]["place_kinds"]["lpg_point"] == "液化气点"
    assert bundle["labels"]["risk_levels"]["red"] == "红色·重大风险"


def test_one_reader_of_the_tile_settings():
    readers = [
        rel
        for rel, text in _sources()
        if rel != "regions/basemap.py" and re.search(r"settings\.GRIDSAFE_(TILE|TIANDITU)_", text)
    ]
    assert not readers, f"read the base map through gridsafe.regions.basemap: {readers}"
