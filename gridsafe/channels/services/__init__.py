"""Every write of the channels app: `hotline` (12345 work orders and their outbox), `citizen` (Open311 and 随手拍
requests, their review at the desk, SMS codes)."""
