"""The subscription service: a Starlette application, served by uvicorn (``commands.serve``).

    GET  /subscribe                 the form (for visitors who come to the service directly)
    POST /subscribe                 email, name, form (which form), website (a honeypot)
    GET  /subscribe/confirm/TOKEN   a page with one button; POST confirms (double opt-in)
    GET  /unsubscribe/TOKEN         a page with one button, changes nothing
    POST /unsubscribe/TOKEN         List-Unsubscribe=One-Click: unsubscribes at once (RFC 8058)

Links change nothing on GET: mail security scanners open every link in a letter, and a list
that confirmed or unsubscribed on GET would act for them, not for the reader. The answers are
pages in the site's look (templates/subscriptions/answer.html), made once at start-up; they
never say whether an address is subscribed. Nothing personal is logged.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import jinja2
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..mailing import InvalidAddress, normalise_address
from ..settings import Settings
from . import links
from .letters import DkimKey, Outbox, Smtp, confirmation_letter, sender_of
from .limits import ClientLimit
from .store import Outcome, Requested, Store
from .tokens import BadToken, ExpiredToken, Purpose, Secret, sign, verify

log = logging.getLogger("egorod.subscriptions")

MAX_BODY = 8 * 1024           # a subscribe form or a one-click POST is a few hundred bytes
MAX_NAME = 200
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
FORMS = ("footer", "bulletin", "bulletins", "service")   # where a request came from: consent evidence
PURGE_EVERY = 3600.0          # seconds between erasing requests that were never confirmed
HEADERS = {
    # No script, no inline style, nothing from elsewhere; forms post only here or to the site.
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; font-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",     # the links' tokens must not travel to other sites
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class Service:
    settings: Settings
    secret: Secret
    smtp: Smtp
    dkim: DkimKey | None
    letters: jinja2.Environment       # the confirmation letter's template


class Pages:
    """The service's answers, rendered once: they are the same for every visitor."""

    def __init__(self, rendered: dict[str, bytes]):
        self.rendered = rendered

    def answer(self, which: str, status: int = 200) -> Response:
        return Response(self.rendered[which], status, headers=HEADERS, media_type="text/html; charset=utf-8")


class BodyTooLarge(Exception):
    pass


class LimitBody:
    """ASGI middleware: a request body larger than MAX_BODY is refused before it is read whole."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.limit:
            await self.app({**scope, "egorod.too_large": True}, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise BodyTooLarge()
            return message

        await self.app(scope, counted, send)


def create_app(service: Service, pages: Pages, store: Store,
               clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc)) -> Starlette:
    settings = service.settings
    client_limit = ClientLimit(settings.subscriptions.client_limit)
    last_purge = [0.0]
    outbox: list[Outbox] = []         # started with the server, so that it stops with it

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        outbox.append(Outbox(service.smtp, sender_of(settings), service.dkim))
        try:
            yield
        finally:
            outbox.pop().close()

    async def read_form(request: Request) -> FormData:
        if request.scope.get("egorod.too_large"):
            raise BodyTooLarge()
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind not in FORM_TYPES:
            raise HTTPException(415)
        try:
            return await request.form(max_files=0, max_fields=10)
        except BodyTooLarge:
            raise
        except Exception:            # a malformed body: python-multipart's and Starlette's errors alike
            raise HTTPException(400) from None

    def token_key(token: str, purpose: Purpose) -> bytes:
        return verify(service.secret, purpose, token, int(clock().timestamp()))

    async def subscribe_form(request: Request) -> Response:
        return pages.answer("subscribe")

    async def subscribe(request: Request) -> Response:
        form = await read_form(request)
        client = request.client.host if request.client else "-"
        now = clock()
        if not client_limit.allow(client, time.monotonic()):
            return pages.answer("too_many", 429)
        if _text(form, "website"):          # only robots fill the field people cannot see
            return pages.answer("sent")
        try:
            address = normalise_address(_text(form, "email")[:320])
        except InvalidAddress:
            return pages.answer("bad_address", 400)
        name = " ".join(_text(form, "name").split())[:MAX_NAME]
        source = _text(form, "form")
        source = source if source in FORMS else "service"
        if time.monotonic() - last_purge[0] > PURGE_EVERY:
            last_purge[0] = time.monotonic()
            store.purge_pending(now)
        outcome, key = store.request(address, name, source, now)
        if outcome is not Requested.SEND_LETTER:
            return pages.answer("sent")     # the same answer: nobody learns who is subscribed
        expires = now + dt.timedelta(hours=settings.subscriptions.confirm_hours)
        token = sign(service.secret, Purpose.CONFIRM, key, int(expires.timestamp()))
        outbox[0].put(confirmation_letter(service.letters, settings, address, name,
                                          links.confirm_url(settings.subscriptions.url, token), expires, now), address)
        return pages.answer("sent")

    async def confirm(request: Request) -> Response:
        key = token_key(request.path_params["token"], Purpose.CONFIRM)
        if request.method == "GET":
            return pages.answer("confirm")
        await read_form(request)
        if store.confirm(key, clock()) is Outcome.UNKNOWN:
            return pages.answer("invalid", 400)
        return pages.answer("confirmed")

    async def unsubscribe(request: Request) -> Response:
        key = token_key(request.path_params["token"], Purpose.UNSUBSCRIBE)
        if request.method == "GET":
            return pages.answer("unsubscribe")
        form = await read_form(request)
        if _text(form, "List-Unsubscribe") != "One-Click":
            return pages.answer("bad_request", 400)
        # Done, already done, or an address erased since: in each case it gets no more letters.
        store.unsubscribe(key, clock(), "one-click")
        return pages.answer("unsubscribed")

    async def refused_token(request: Request, exc: Exception) -> Response:
        return pages.answer("expired", 410) if isinstance(exc, ExpiredToken) else pages.answer("invalid", 400)

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        which = {404: "not_found", 405: "bad_request", 415: "bad_type", 400: "bad_request"}.get(status, "error")
        return pages.answer(which, status)

    async def too_large(request: Request, exc: Exception) -> Response:
        return pages.answer("too_large", 413)

    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("internal error on %s %s: %s", request.method, request.url.path.split("/")[1],
                  type(exc).__name__)
        return pages.answer("error", 500)

    routes: list[BaseRoute] = [
        Route("/" + links.SUBSCRIBE, subscribe_form, methods=["GET"]),
        Route("/" + links.SUBSCRIBE, subscribe, methods=["POST"]),
        Route("/" + links.CONFIRM + "{token}", confirm, methods=["GET", "POST"]),
        Route("/" + links.UNSUBSCRIBE + "{token}", unsubscribe, methods=["GET", "POST"]),
    ]
    prefix = links.path_prefix(settings.subscriptions.url)
    app = Starlette(routes=[Mount(prefix, routes=routes)] if prefix else routes, lifespan=lifespan, exception_handlers={
        BadToken: refused_token, ExpiredToken: refused_token, HTTPException: http_error,
        BodyTooLarge: too_large, Exception: server_error})
    app.add_middleware(LimitBody)
    return app


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def render_pages(env: jinja2.Environment, page_of: Callable[[str, str], object]) -> Pages:
    """Every answer of answer.html, rendered with the site's layout; ``page_of(which, title)`` makes
    the page record base.html expects."""
    template = env.get_template(ANSWER_TEMPLATE)
    titles = getattr(env.get_template(TITLES_TEMPLATE).module, "titles")  # noqa: B009 (set by the template)
    rendered = {}
    for which in ANSWERS:
        title = str(titles[which])
        rendered[which] = template.render(page=page_of(which, title), which=which).encode("utf-8")
    return Pages(rendered)


ANSWER_TEMPLATE = "subscriptions/answer.html"
TITLES_TEMPLATE = "subscriptions/titles.html"
ANSWERS = ("subscribe", "sent", "bad_address", "too_many", "confirm", "confirmed", "unsubscribe", "unsubscribed",
           "invalid", "expired", "bad_request", "bad_type", "too_large", "not_found", "error")
