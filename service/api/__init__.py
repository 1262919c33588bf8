"""The HTTP API: its routers, dependencies, request and response bodies, and where errors get
their status codes."""
