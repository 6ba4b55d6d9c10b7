"""Big answers (the console's /v1/details of 1,000 SLAs is 1.4 MB) go gzipped to clients that accept
it, small ones as they are: the same JSON either way."""

from __future__ import annotations

import pytest

from pledge.api.app import GZIP_FROM
from tests.support import world
from tests.support.world import client

pytestmark = pytest.mark.integration


HISTORY = f"/v1/slas/{world.NS}/grouped/history?from={world.END - 86_400}&to={world.END}&step=1m"  # ~400 KB


@pytest.mark.parametrize("route", [HISTORY, f"/v1/details?at={world.AT}", "/healthz"])
async def test_big_answers_are_gzipped_for_clients_that_accept_it(api: str, route: str) -> None:
    async with client(api) as http:
        plain = await http.get(route, headers={"Accept-Encoding": "identity"})
        packed = await http.get(route, headers={"Accept-Encoding": "gzip"})
        big = len(plain.content) >= GZIP_FROM
        assert "content-encoding" not in plain.headers
        assert packed.headers.get("content-encoding") == ("gzip" if big else None), len(plain.content)
        assert packed.json() == plain.json()
    if route == HISTORY:  # big enough in this world: the gzip path is taken, and pays
        assert big and packed.num_bytes_downloaded < len(plain.content) / 4
