"""An empty database of the bench's Redis, for a scenario that must start from a known state
(scenario 9's "no incident open", scenario 8's fleet of its own size)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from cad.settings import get_settings
from transport.redis_client import open_redis

# The embedded redis-server has 64 databases (service/servers.py); Redis's default is 16.
_DATABASES = range(1, 16)


class NoEmptyDatabaseError(RuntimeError):
    """Every database the bench may take already holds keys."""


def with_database(redis_url: str, db: int) -> str:
    """The same server and login, another database."""
    parts = urlsplit(redis_url)
    return urlunsplit(parts._replace(path=f"/{db}"))


async def empty_database(redis_url: str) -> str:
    """The URL of the first database of 1 to 15 with no keys.
    The bench leaves what it wrote there: a configured Redis needs one database per scenario
    run; the embedded one starts empty every time."""
    for db in _DATABASES:
        url = with_database(redis_url, db)
        client = open_redis(get_settings().model_copy(update={"redis_url": url}))
        try:
            size = await client.dbsize()
        finally:
            await client.aclose()
        if size == 0:
            return url
    raise NoEmptyDatabaseError(
        f"databases {_DATABASES.start} to {_DATABASES.stop - 1} all hold keys"
    )
