"""Channels in: the 12345 hotline work-order adapter, Open311 GeoReport v2 and the citizens' 随手拍 (issue 15)."""
