"""The gateway a hosted Supabase project puts in front of its services, reduced to paths.

supabase-py appends /rest/v1 and /storage/v1 to SUPABASE_URL (DESIGN.md §6). This aiohttp app
strips /rest/v1 and forwards to a real PostgREST, and serves /storage/v1 from the Storage
stand-in (tests/fakes/supabase_storage.py). Headers and bodies pass through untouched, so RLS sees
exactly the JWT the client sent.
"""

from __future__ import annotations

from aiohttp import ClientSession, web

from tests.fakes.supabase_storage import StorageApp, StorageState

# hop-by-hop headers, and ones aiohttp recomputes for the relayed body
_DROP = {
    "host", "connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
    "proxy-authorization", "proxy-authenticate", "content-length", "content-encoding",
}


_SESSION = web.AppKey("session", ClientSession)


def build_gateway(postgrest_url: str, storage: StorageState) -> web.Application:
    app = web.Application(client_max_size=1024**3)

    async def open_session(app: web.Application) -> None:
        app[_SESSION] = ClientSession(auto_decompress=False)

    async def close_session(app: web.Application) -> None:
        await app[_SESSION].close()

    async def rest(request: web.Request) -> web.StreamResponse:
        tail = request.match_info["tail"]
        target = f"{postgrest_url}/{tail}"
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _DROP}
        body = await request.read()
        async with app[_SESSION].request(
            request.method, target, params=request.rel_url.query, headers=headers, data=body or None,
            allow_redirects=False,
        ) as upstream:
            payload = await upstream.read()
            out = {k: v for k, v in upstream.headers.items() if k.lower() not in _DROP}
            if "content-encoding" in {k.lower() for k in upstream.headers}:
                out["Content-Encoding"] = upstream.headers["Content-Encoding"]
            return web.Response(status=upstream.status, body=payload, headers=out)

    app.on_startup.append(open_session)
    app.on_cleanup.append(close_session)
    app.router.add_route("*", "/rest/v1/{tail:.*}", rest)
    app.add_subapp("/storage/v1", StorageApp(storage).build())
    return app
