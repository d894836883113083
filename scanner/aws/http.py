"""One HTTP connection pool for every client of a scan.

aiobotocore gives each client its own aiohttp session: its own connections and its own TLS context, whose CA
bundle load alone costs ~18 ms of CPU. A scan makes a client per (account, region, service), so a scan of 400
account-regions paid seconds of CPU and a TLS handshake per target for nothing: connections carry signed requests,
not credentials, so one pool can serve every account. `pooled_session_class(pool)` is the `http_session_cls` that
takes its aiohttp session from `pool`, built once per (proxy, TLS verification, client certificate) by aiobotocore's
own connector code, so TLS and proxy settings behave exactly as they would per client.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from aiobotocore.httpsession import AIOHTTPSession


class HttpPool:
    """The shared aiohttp sessions of one scan; closed with it."""

    def __init__(self) -> None:
        self._sessions: dict[tuple[Any, ...], aiohttp.ClientSession] = {}

    def session(self, key: tuple[Any, ...], create: Any) -> aiohttp.ClientSession:
        found = self._sessions.get(key)
        if found is None:
            found = self._sessions[key] = create()
        return found

    async def aclose(self) -> None:
        while self._sessions:
            _, session = self._sessions.popitem()
            await session.close()

    def __len__(self) -> int:
        return len(self._sessions)


def pooled_session_class(pool: HttpPool) -> type[AIOHTTPSession]:
    class PooledHttpSession(AIOHTTPSession):  # type: ignore[misc]
        """aiobotocore's HTTP session, its aiohttp session taken from the scan's pool (and left open on close)."""

        async def _get_session(self, proxy_url: str | None) -> aiohttp.ClientSession:
            key = (proxy_url, str(self._verify), self._cert_file, self._key_file)

            def create() -> aiohttp.ClientSession:
                return aiohttp.ClientSession(
                    connector=self._create_connector(proxy_url),
                    timeout=self._timeout,
                    skip_auto_headers={"CONTENT-TYPE"},
                    auto_decompress=False,
                )

            return pool.session(key, create)

    return PooledHttpSession
