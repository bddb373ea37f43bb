"""Point → grid through the API in every coordinate system the field uses, and the region tree endpoints."""

import pytest
from shapely.geometry import Point, shape

from gridsafe.regions.coords import from_wgs84
from gridsafe.regions.models import Region

PROBLEM = "application/problem+json"


@pytest.fixture
def worker(api_as):
    return api_as("nanxi_worker")


@pytest.fixture
def grid(people):
    """南溪村's first grid, and a WGS-84 point inside it (its stored representative point)."""
    grid = people["nanxi_worker"].grids.order_by("code").first()
    assert shape(grid.geometry).contains(Point(grid.center_lon, grid.center_lat))
    return grid


@pytest.mark.parametrize("crs", ["wgs84", "cgcs2000", "gcj02", "bd09"])
def test_locate_finds_the_same_grid_in_every_coordinate_system(worker, grid, crs):
    lon, lat = from_wgs84(grid.center_lon, grid.center_lat, crs)
    if crs in ("gcj02", "bd09"):
        # The obfuscated systems really are offset here (hundreds of metres), so the test is not vacuous.
        assert abs(lon - grid.center_lon) + abs(lat - grid.center_lat) > 0.002

    response = worker.get("/api/v1/regions/locate", lon=lon, lat=lat, crs=crs)

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["grid"]["code"], body["inside"]) == (grid.code, True)
    # The answer is in WGS-84, back where the point started (the inverse is iterative: well under a metre).
    assert abs(body["lon"] - grid.center_lon) < 1e-6 and abs(body["lat"] - grid.center_lat) < 1e-6
    assert [a["name"] for a in body["ancestors"]] == ["仙游县", "榜头镇", "南溪村"]


def test_gcj02_read_as_wgs84_is_a_different_place(worker, grid):
    """Guard against a converter that silently does nothing: the raw GCJ-02 numbers land elsewhere."""
    lon, lat = from_wgs84(grid.center_lon, grid.center_lat, "gcj02")
    response = worker.get("/api/v1/regions/locate", lon=lon, lat=lat)
    assert response.status_code == 200, response.content
    assert response.json()["grid"]["code"] != grid.code


def test_a_point_outside_the_county_is_422_outside_county(worker):
    response = worker.get("/api/v1/regions/locate", lon=116.397, lat=39.909)  # 北京 天安门
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["code"] == "outside_county"
    assert "116.397" in body["detail"]


def test_a_point_just_outside_the_edge_snaps_to_the_nearest_grid_and_says_so(worker):
    county = shape(Region.objects.get(code="350322").geometry)
    west = county.bounds[0]
    # Walk west along a row through the westernmost vertex until just outside the polygon (within ~50 m buffer).
    vertex = min(county.exterior.coords if county.geom_type == "Polygon" else county.geoms[0].exterior.coords)
    lon, lat = west - 0.0002, vertex[1]
    assert not county.contains(Point(lon, lat))
    response = worker.get("/api/v1/regions/locate", lon=lon, lat=lat)
    assert response.status_code == 200, response.content
    assert response.json()["inside"] is False


@pytest.mark.parametrize(
    "params",
    [
        {"lon": "abc", "lat": "25.4"},
        {"lon": "118.7"},
        {"lon": "200", "lat": "25.4"},
        {"lon": "118.7", "lat": "-91"},
        {"lon": "nan", "lat": "25.4"},
        {"lon": "inf", "lat": "25.4"},
        {"lon": "118.7", "lat": "25.4", "crs": "utm50n"},
        {"lon": "118.7", "lat": "25.4", "crs": ""},
    ],
)
def test_malformed_coordinates_are_422(worker, params):
    response = worker.get("/api/v1/regions/locate", **params)
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == PROBLEM
    assert response.json()["detail"]


def test_region_detail_with_and_without_the_boundary(api_as, grid):
    nanxi = api_as("nanxi")
    village = grid.parent

    body = nanxi.get(f"/api/v1/regions/{village.code}").json()
    assert (body["code"], body["name"], body["level"], body["parent_code"]) == (village.code, "南溪村", 3, "350322101")
    assert body["path"] == village.path
    assert body["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert nanxi.get(f"/api/v1/regions/{village.code}", geometry="false").json()["geometry"] is None
    assert nanxi.get("/api/v1/regions/350322").json()["parent_code"] is None


def test_region_children_are_the_nodes_below(api_as, grid):
    nanxi = api_as("nanxi")
    village = grid.parent
    expected = list(Region.objects.filter(parent=village).order_by("path").values_list("code", flat=True))
    assert 3 <= len(expected) <= 6  # 榜头镇 villages hold 3–6 small grids (domain.md §1.2)

    children = nanxi.get(f"/api/v1/regions/{village.code}/children").json()

    assert [c["code"] for c in children] == expected
    assert all(c["level"] == 4 and c["parent_code"] == village.code and c["geometry"] is None for c in children)
    with_shapes = nanxi.get(f"/api/v1/regions/{village.code}/children", geometry="true").json()
    assert all(c["geometry"] for c in with_shapes)


@pytest.mark.parametrize("code", ["999999", "350322999", "abc", "3503221012059990"])
def test_unknown_region_is_404(api_as, code):
    response = api_as("county").get(f"/api/v1/regions/{code}")
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
