"""The HTTP face of a stand-alone witness: ``POST /add-checkpoint`` of the C2SP tlog-witness protocol.

200 with the cosignature line; 409 with the witness's size (``text/x.tlog.size``) when the old size is not the
one it last cosigned; 404 for a log it does not witness; 403 when the log's signature is missing or wrong; 422 for
a consistency proof that does not verify (a fork) or an impossible empty tree; 400 for a malformed request.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from detente.errors import LedgerError, StaleSizeError
from detente.services.witness import WitnessServer
from detente.verification.ledger.witness_protocol import MAX_BODY, SIZE_CONTENT_TYPE, format_size, refusal_status

__all__ = ["create_witness_app"]


def create_witness_app(server: WitnessServer) -> FastAPI:
    """The witness application over *server* (no other route: the witness holds a key and nothing else)."""
    app = FastAPI(title="Détente witness", docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/add-checkpoint")
    async def add_checkpoint(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY:
            return PlainTextResponse("request too large\n", status_code=400)
        try:
            cosigned = await run_in_threadpool(server.add_checkpoint, body)
        except StaleSizeError as exc:
            return Response(format_size(exc.latest_size), status_code=409, media_type=SIZE_CONTENT_TYPE)
        except LedgerError as exc:
            return PlainTextResponse(f"{exc.one_line()}\n", status_code=refusal_status(exc))
        return PlainTextResponse(cosigned.lines)

    @app.get("/")
    async def about() -> Response:
        return PlainTextResponse(f"Détente witness {server.vkey}\n")

    return app
