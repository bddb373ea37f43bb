"""The base map settings, layers and CSP sources now live in regions/basemap.py (so that channels' 随手拍 page reads
the same settings); the web pages keep importing them from here."""

from gridsafe.regions.basemap import (
    TIANDITU_HOSTS,
    TIANDITU_MAX_ZOOM,
    TIANDITU_SUBDOMAINS,
    TIANDITU_WMTS,
    TILE_CRS,
    basemap_config,
    basemap_json,
    basemap_sources,
    tianditu_url,
    tile_sources,
    with_basemap,
)

__all__ = [
    "TIANDITU_HOSTS",
    "TIANDITU_MAX_ZOOM",
    "TIANDITU_SUBDOMAINS",
    "TIANDITU_WMTS",
    "TILE_CRS",
    "basemap_config",
    "basemap_json",
    "basemap_sources",
    "tianditu_url",
    "tile_sources",
    "with_basemap",
]
