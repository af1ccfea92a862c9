"""Secret URLs of personal calendar feeds, revocable without storing any secret.

The token is ``<registration uid hex>-<generation>-<MAC>``, the MAC an HMAC-SHA256
(truncated to 128 bits) of the uid and generation under SECRET_KEY. Revoking a URL
bumps the registration's ``feed_generation``: every older URL stops working, and
the next one shown differs. Changing SECRET_KEY revokes every feed URL at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid

from tortoise.expressions import F

from events_app.errors import NotFound
from events_app.registration.models import Registration, RegistrationStatus
from events_app.settings import current_settings

_TOKEN = re.compile(r"^([0-9a-f]{32})-(\d{1,9})-([A-Za-z0-9_-]{22})$")


def _mac(uid: uuid.UUID, generation: int) -> str:
    key = current_settings().secret_key.encode()
    digest = hmac.new(key, f"calendar-feed|{uid.hex}|{generation}".encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def feed_token(registration: Registration) -> str:
    uid = registration.uid if isinstance(registration.uid, uuid.UUID) else uuid.UUID(str(registration.uid))
    return f"{uid.hex}-{registration.feed_generation}-{_mac(uid, registration.feed_generation)}"


def feed_urls(registration: Registration) -> dict[str, str]:
    """The subscribe URLs of the person's feed: ``https`` (or http in development) and ``webcal``."""
    base = current_settings().base_url
    https = f"{base}/calendar/{feed_token(registration)}.ics"
    return {"https": https, "webcal": "webcal://" + https.split("://", 1)[1]}


def personal_feed_urls(registration: Registration) -> dict[str, str]:
    """For pages: the person's feed URLs (none shown for a cancelled registration: its feed
    still answers, with everything cancelled, but is nothing to subscribe to any more)."""
    if registration.status == RegistrationStatus.CANCELLED:
        return {}
    return feed_urls(registration)


async def find_registration_by_feed_token(*, token: str) -> Registration:
    """The registration whose live feed URL holds ``token``, whatever its status (a cancelled
    one's feed marks its entries cancelled, so that subscribed calendars drop them); 404
    for a revoked, forged or malformed token."""
    match = _TOKEN.match(token or "")
    if match is None:
        raise NotFound("This calendar link is not valid.")
    uid, generation, mac = uuid.UUID(match[1]), int(match[2]), match[3]
    if not hmac.compare_digest(mac, _mac(uid, generation)):
        raise NotFound("This calendar link is not valid.")
    registration = await Registration.filter(uid=uid).prefetch_related("event").first()
    if registration is None or registration.feed_generation != generation:
        raise NotFound("This calendar link is not valid (it may have been replaced).")
    return registration


async def revoke_feed(*, registration_id: int) -> Registration:
    """Kill the registration's current feed URL; a new one replaces it."""
    updated = await Registration.filter(id=registration_id).update(feed_generation=F("feed_generation") + 1)
    if not updated:
        raise NotFound("No such registration.")
    return await Registration.get(id=registration_id)
