"""Security headers, cache rules and the CSRF cookie, on every response."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from events_app.web import CSRF_COOKIE

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
# The door page scans QR codes with the camera: qr-scanner runs its decoder in a Worker made
# from a blob: URL (static/vendor/qr-scanner/README.md). Only the check-in pages get both.
CHECKIN_CSP = CSP + "; worker-src 'self' blob:"
PERSONAL_PREFIXES = ("/manage", "/organiser", "/checkin", "/login", "/logout", "/api/", "/calendar/", "/twinning/requests/")
PRIVATE_LINK_PREFIXES = ("/manage", "/calendar/", "/twinning/requests/")  # pages reached by a secret link


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        door = path == "/checkin" or path.startswith("/checkin/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CHECKIN_CSP if door else CSP)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                headers["Referrer-Policy"] = "no-referrer" if path.startswith(PRIVATE_LINK_PREFIXES) else "same-origin"
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                camera = "(self)" if door else "()"
                headers["Permissions-Policy"] = f"camera={camera}, microphone=(), geolocation=()"
                if self.https:
                    headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
                if path.startswith(PERSONAL_PREFIXES) or scope.get("user") is not None:
                    headers["Cache-Control"] = "no-store"
                    headers["Pragma"] = "no-cache"
                elif path.startswith("/static/"):
                    headers.setdefault("Cache-Control", "public, max-age=3600")
                else:
                    headers.setdefault("Cache-Control", "no-cache")
                new_token = scope.get("csrf_new_token")
                if new_token:
                    secure = "; Secure" if self.https else ""
                    headers.append(
                        "Set-Cookie", f"{CSRF_COOKIE}={new_token}; Path=/; HttpOnly; SameSite=Lax{secure}"
                    )
            await send(message)

        await self.app(scope, receive, send_with_headers)
