"""Input validation shared by forms and the JSON API (pydantic types + one parse function)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any, TypeVar
from zoneinfo import available_timezones

from babel import Locale
from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationError,
)

from events_app.errors import Invalid, MalformedJson

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _no_control(value: str, *, multiline: bool) -> str:
    pattern = _CONTROL if multiline else _CONTROL_ONE_LINE
    if pattern.search(value):
        raise ValueError("must not contain control characters")
    return unicodedata.normalize("NFC", value)


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _line(value: str) -> str:
    return _no_control(value, multiline=False)


def _text(value: str) -> str:
    return _no_control(value.replace("\r\n", "\n"), multiline=True)


def _email(value: str) -> str:
    value = _line(value)
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"is not a valid email address ({exc})") from None


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code -> English name, sorted by name."""
    territories = Locale("en").territories
    pairs = [(code, name) for code, name in territories.items() if len(code) == 2 and code.isalpha()]
    pairs = [p for p in pairs if p[0] not in {"ZZ", "EU", "EZ", "UN", "QO", "XA", "XB"}]
    return dict(sorted(pairs, key=lambda p: p[1]))


def _country(value: str) -> str:
    code = value.upper()
    if code not in country_names():
        raise ValueError("must be a two-letter country code such as BE, DE or FR")
    return code


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _time_zone(value: str) -> str:
    if value not in _time_zones():
        raise ValueError("must be an IANA time zone such as Europe/Brussels")
    return value


def _slug(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", value):
        raise ValueError("may use only lower-case letters, digits and single hyphens")
    return value


def _moment(value: datetime) -> datetime:
    try:
        year = value.astimezone(UTC).year
    except OverflowError:  # e.g. 9999-12-31T23:00-05:00 is past the last datetime in UTC
        year = 0
    if not 2000 <= year < 2200:
        raise ValueError("must be between the years 2000 and 2199")
    # Stored as given, SQLite would keep the offset in the text it compares ("...+01:00"):
    # every moment is kept in UTC and shown in the event's zone.
    return value.astimezone(UTC)


# One-line text: stripped, no control characters, NFC. Lengths are capped per field.
Line = Annotated[str, BeforeValidator(_strip), AfterValidator(_line)]
Text = Annotated[str, AfterValidator(_text)]
Email = Annotated[str, BeforeValidator(_strip), AfterValidator(_email)]
Country = Annotated[str, BeforeValidator(_strip), AfterValidator(_country)]
TimeZone = Annotated[str, BeforeValidator(_strip), AfterValidator(_time_zone)]
Slug = Annotated[str, BeforeValidator(_strip), AfterValidator(_slug)]
# An aware date and time that the database can store (UTC year 2000..2199), made UTC.
Moment = Annotated[AwareDatetime, AfterValidator(_moment)]


class Input(BaseModel):
    """Base of every input schema: strict about unknown fields and types."""

    model_config = ConfigDict(extra="forbid", strict=False, str_max_length=20000)


M = TypeVar("M", bound=Input)

_MESSAGES = {
    "missing": "This field is required.",
    "string_too_short": "This field is required.",
    "extra_forbidden": "This field is not allowed.",
}


def _message(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if kind == "string_too_long":
        return f"Must be at most {error['ctx']['max_length']} characters."
    # Line/Slug fields (Annotated validators + Field lengths) report the generic kinds.
    if kind == "too_short":
        least = error.get("ctx", {}).get("min_length", 1)
        return "This field is required." if least <= 1 else f"Must be at least {least} characters."
    if kind == "too_long" and "max_length" in error.get("ctx", {}):
        return f"Must be at most {error['ctx']['max_length']} characters."
    message = str(error.get("msg", "Invalid value."))
    message = message.removeprefix("Value error, ")
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def _invalid(exc: ValidationError) -> Invalid:
    fields: dict[str, str] = {}
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"])
        message = _message(error)
        if not name:  # a model-level check says "field: message"
            name, _, rest = message.partition(": ")
            message = rest[:1].upper() + rest[1:] if rest else message
            name = name.lower() if rest else "__all__"
        fields.setdefault(name, message)
    return Invalid("Some fields need attention.", fields=fields)


def parse(schema: type[M], data: Any) -> M:
    """Validate ``data`` against ``schema`` or raise :class:`Invalid` with one message per field."""
    if not isinstance(data, Mapping):
        raise Invalid("The request body must be a JSON object.")
    try:
        return schema.model_validate(dict(data))
    except ValidationError as exc:
        raise _invalid(exc) from None


def parse_json(schema: type[M], raw: bytes) -> M:
    """Validate a raw JSON body strictly (no type coercion: ``"5"`` is not an int).

    Raises :class:`MalformedJson` (400) for bytes that are not JSON or not a JSON
    object, and :class:`Invalid` (422) with one message per field otherwise.
    """
    try:
        return schema.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        for error in exc.errors():
            if error["type"] == "json_invalid":
                raise MalformedJson("The request body is not valid JSON.") from None
            if error["type"] == "model_type" and not error["loc"]:
                raise MalformedJson("The request body must be a JSON object.") from None
        raise _invalid(exc) from None
