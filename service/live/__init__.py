"""The live operations map: the page at `/`, its read models and the `/v1/events` feed."""
