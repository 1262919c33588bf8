"""The history store's one Lua script, `purge_incident.lua`, called through the typed function
beside it (history/lua/purge_incident.py)."""
