"""The base map under every Leaflet map (/map/, the case page, 案件登记, the 巡查监督 maps, the 随手拍 picker): one
place for the tile settings, the layers they give and the CSP sources they need. It lives in regions (the map of the
county) so that every app with a map may read it.

- ``GRIDSAFE_TIANDITU_KEY`` alone gives 天地图 (the national platform, CGCS2000 ≈ WGS-84, like the stored data):
  矢量 (vec_w + cva_w annotation) and 影像 (img_w + cia_w), WMTS tiles from t0–t7.tianditu.gov.cn in Web Mercator.
- ``GRIDSAFE_TILE_URL`` (+ ``_ATTRIBUTION``, ``_SUBDOMAINS``, ``_LABELS_URL``, ``_MAX_ZOOM``) adds any other XYZ
  provider or an internal tile server; ``GRIDSAFE_TILE_CRS=gcj02`` says its tiles are in GCJ-02 (高德, 腾讯), and the
  map JS then shifts every overlay (web/static/web/basemap.js, checked against regions/coords.py).
- Neither: no tiles, the region polygons on a plain background are the map. The browser falls back to that too when
  tiles cannot be loaded (offline government networks), and the map says which background it shows.

The config goes to the page as JSON (``data-basemap`` or the map config's ``basemap``); no inline script.
"""

import functools
import json
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

TIANDITU_HOSTS = "https://t{{s}}.tianditu.gov.cn"  # a str.format template: {s} stays for Leaflet
TIANDITU_SUBDOMAINS = "01234567"
TIANDITU_MAX_ZOOM = 18
# 天地图 WMTS (lbs.tianditu.gov.cn/server/MapService.html): "_w" layers are Web Mercator (EPSG:3857) tiles.
TIANDITU_WMTS = (
    TIANDITU_HOSTS + "/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={layer}&STYLE=default"
    "&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)
TILE_CRS = {"wgs84": "wgs84", "cgcs2000": "wgs84", "gcj02": "gcj02"}  # what a provider's tiles are drawn in


def tianditu_url(layer: str, key: str) -> str:
    return TIANDITU_WMTS.format(layer=layer, key=key)


def basemap_config() -> dict:
    """The layers the page may show, first the default: {"crs", "layers": [{"key", "name", "url", "labelsUrl",
    "subdomains", "attribution", "maxZoom"}]}. No layers: the plain background."""
    layers = []
    key = settings.GRIDSAFE_TIANDITU_KEY
    if key:
        for code, name, labels in (("vec", "天地图矢量", "cva"), ("img", "天地图影像", "cia")):
            layers.append(
                {
                    "key": f"tianditu-{code}",
                    "name": name,
                    "url": tianditu_url(code, key),
                    "labelsUrl": tianditu_url(labels, key),
                    "subdomains": TIANDITU_SUBDOMAINS,
                    "attribution": "天地图 · 国家地理信息公共服务平台",
                    "maxZoom": TIANDITU_MAX_ZOOM,
                }
            )
    crs = TILE_CRS.get(settings.GRIDSAFE_TILE_CRS.strip().lower().replace("-", ""))
    if crs is None:
        raise ImproperlyConfigured(
            f"GRIDSAFE_TILE_CRS must be wgs84, cgcs2000 or gcj02, not {settings.GRIDSAFE_TILE_CRS!r}"
        )
    if settings.GRIDSAFE_TILE_URL:
        if key and crs != "wgs84":
            # One map has one projection: overlays cannot sit on 天地图 and on GCJ-02 tiles at once.
            raise ImproperlyConfigured("GRIDSAFE_TILE_CRS=gcj02 cannot be combined with GRIDSAFE_TIANDITU_KEY")
        layers.append(
            {
                "key": "custom",
                "name": settings.GRIDSAFE_TILE_NAME,
                "url": settings.GRIDSAFE_TILE_URL,
                "labelsUrl": settings.GRIDSAFE_TILE_LABELS_URL,
                "subdomains": settings.GRIDSAFE_TILE_SUBDOMAINS,
                "attribution": settings.GRIDSAFE_TILE_ATTRIBUTION,
                "maxZoom": settings.GRIDSAFE_TILE_MAX_ZOOM,
            }
        )
    return {"crs": crs if layers else "wgs84", "layers": layers}


def basemap_json() -> str:
    return json.dumps(basemap_config(), ensure_ascii=False)


def tile_sources(urls: list[str]) -> list[str]:
    """CSP sources for tile URL templates on another host: https://t{s}.tianditu.gov.cn/… → https://*.tianditu.gov.cn"""
    sources = []
    for url in urls:
        parts = urlsplit(url or "")
        if not parts.scheme or not parts.netloc:
            continue  # same origin (an internal tile server under this site) or not set
        host = ".".join("*" if "{" in label else label for label in parts.netloc.split("."))
        source = f"{parts.scheme}://{host}"
        if source not in sources:
            sources.append(source)
    return sources


def basemap_sources() -> list[str]:
    """The img-src sources of the configured tiles; none when no tiles are configured."""
    return tile_sources([url for layer in basemap_config()["layers"] for url in (layer["url"], layer["labelsUrl"])])


def with_basemap(view):
    """Let a page with a map load the configured tiles: django-csp's per-response img-src update, only when tiles
    are configured (the site-wide CSP in settings stays `img-src 'self' data: blob:`)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        sources = basemap_sources()
        if sources and response.status_code == 200:
            response._csp_update = {"img-src": sources}
        return response

    return wrapper
