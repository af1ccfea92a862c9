"""The registrations CSV: opens cleanly in Excel, one row per registration, no formula injection."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

import pytest

from events_app.organiser.service import neutralise
from events_app.registration.models import Registration
from events_app.registration.service import cancel_registration

HEADER = [
    "ID",
    "Status",
    "Waitlist position",
    "Name",
    "Email",
    "Job title",
    "Organisation",
    "Organisation kind",
    "Country",
    "Registered at (Europe/Warsaw)",
    "Consent version",
    "Consent at (Europe/Warsaw)",
    "Badge role",
    "Checked in at (Europe/Warsaw)",
    "Check-in desk",
]


def read_csv(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "Excel needs the UTF-8 BOM to read the file as UTF-8"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


async def test_csv_has_bom_header_and_one_row_per_registration(organiser, make_event, register):
    event = await make_event(capacity=2, timezone="Europe/Warsaw", slug="zielone-zamowienia")
    first = await register(
        event,
        name="Jürgen Müller",
        job_title="Einkäufer",
        organisation="Stadt München",
        country="DE",
    )
    second = await register(
        event,
        name="Zofia Żółć",
        organisation="Urząd Miasta Łodzi",
        organisation_kind="region",
        country="PL",
    )
    waiting = await register(
        event, name="Ana Pérez", organisation="Ayuntamiento de Logroño", country="ES"
    )
    also_waiting = await register(
        event, name="Brigitte Ørsted", organisation="Aarhus Kommune", country="DK"
    )
    await cancel_registration(
        registration_id=first.registration.id
    )  # Ana is promoted, Brigitte first in line
    other = await make_event()
    await register(other, name="Not in this event")

    from events_app.checkin.models import CheckInSource
    from events_app.checkin.service import admit

    zofia_row = await Registration.get(id=second.registration.id)
    checked = await admit(event=event, registration=zofia_row, desk="Hall B", source=CheckInSource.SEARCH, user=None)
    client = await organiser()
    page = await client.get(f"/organiser/events/{event.slug}/registrations")
    assert "(Hall B)" in page.text
    response = await client.get(f"/organiser/events/{event.slug}/registrations.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        response.headers["content-disposition"]
        == 'attachment; filename="zielone-zamowienia-registrations.csv"'
    )
    assert b"\r\n" in response.content  # CRLF rows, as Excel writes them
    table = read_csv(response.content)
    assert table[0] == HEADER
    by_name = {row[3]: row for row in table[1:]}
    assert len(table) == 1 + 4 and set(by_name) == {
        "Jürgen Müller",
        "Zofia Żółć",
        "Ana Pérez",
        "Brigitte Ørsted",
    }

    muller = by_name["Jürgen Müller"]
    assert muller[:9] == [
        str(first.registration.id),
        "cancelled",
        "",
        "Jürgen Müller",
        first.registration.email,
        "Einkäufer",
        "Stadt München",
        "Municipality or city",
        "DE",
    ]
    zofia = by_name["Zofia Żółć"]
    assert zofia[1:3] == ["confirmed", ""] and zofia[6:9] == [
        "Urząd Miasta Łodzi",
        "Region or province",
        "PL",
    ]
    assert by_name["Ana Pérez"][1:3] == ["confirmed", ""]
    assert by_name["Brigitte Ørsted"][:3] == [str(also_waiting.registration.id), "waitlisted", "1"]

    stored = await Registration.get(id=second.registration.id)
    warsaw = ZoneInfo("Europe/Warsaw")
    assert zofia[9] == stored.created_at.astimezone(warsaw).strftime("%Y-%m-%d %H:%M")
    assert zofia[10:] == ["test-1", stored.consent_at.astimezone(warsaw).strftime("%Y-%m-%d %H:%M"),
                          "participant", checked.checkin.checked_in_at.astimezone(warsaw).strftime("%Y-%m-%d %H:%M"),
                          "Hall B"]
    assert by_name["Ana Pérez"][12:] == ["participant", "", ""]
    assert waiting.registration.id in {int(row[0]) for row in table[1:]}


async def test_csv_neutralises_formulas(organiser, make_event, register):
    event = await make_event(capacity=10)
    dangerous = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)"]
    for n, name in enumerate(dangerous):
        await register(
            event, name=name, email=f"p{n}@example.org", job_title="=1+1", organisation=f"-Org {n}"
        )
    await register(
        event,
        name="Plain Name",
        email="=cmd@example.org",
        job_title="Buyer",
        organisation="City of Ghent",
    )

    client = await organiser()
    table = read_csv(
        (await client.get(f"/organiser/events/{event.slug}/registrations.csv")).content
    )
    names = sorted(row[3] for row in table[1:])
    assert names == sorted(["'" + name for name in dangerous] + ["Plain Name"])
    for row in table[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
    plain = next(row for row in table[1:] if row[3] == "Plain Name")
    assert plain[4:7] == ["'=cmd@example.org", "Buyer", "City of Ghent"]
    assert {row[5] for row in table[1:] if row[3] != "Plain Name"} == {"'=1+1"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+32 2 123", "'+32 2 123"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Müller", "Müller"),
        ("a=b", "a=b"),
        ("", ""),
        (7, 7),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


async def test_csv_of_an_event_without_registrations_is_just_the_header(organiser, make_event):
    event = await make_event(timezone="Europe/Warsaw")
    client = await organiser()
    table = read_csv(
        (await client.get(f"/organiser/events/{event.slug}/registrations.csv")).content
    )
    assert table == [HEADER]


async def test_semicolon_variant_for_continental_excel(organiser, make_event, register) -> None:
    import csv
    import io

    client = await organiser()
    event = await make_event()
    await register(event, name="Ana, Marić")
    response = await client.get(f"/organiser/events/{event.slug}/registrations.csv?sep=semicolon")
    assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 2 and len(rows[0]) == len(rows[1]) > 5
    assert "Ana, Marić" in rows[1]
