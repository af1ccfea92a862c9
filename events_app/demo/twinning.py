"""Demo data of the twinning programme: the topic lists, a published mentoring round and an open peer round."""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from events_app.twinning.catalogue import add_catalogue_entry
from events_app.twinning.models import Twinning
from events_app.twinning.publish import answer_twinning, publish_run
from events_app.twinning.requests import confirm_request, new_request_link, submit_request
from events_app.twinning.rounds import close_requests, create_round
from events_app.twinning.runs import run_matching
from events_app.twinning.schemas import CatalogueInput, MatchInput, RequestInput, RoundInput

TOPICS = [
    ("food", "Food, catering and vending"), ("clean-vehicles", "Clean vehicles (cars, buses, trucks)"),
    ("circular-procurement", "Circular procurement"), ("innovation-procurement", "Innovation procurement"),
    ("market-engagement", "Market engagement"), ("zero-emission-construction", "Zero-emission construction sites"),
    ("construction", "Office building design and construction"), ("co2-accounting", "CO2 accounting"),
    ("electricity", "Electricity"), ("ict-devices", "Computers, monitors and smartphones"),
    ("data-centres", "Data centres and cloud services"), ("life-cycle-costing", "Life-cycle costing"),
    ("social-procurement", "Socially responsible procurement"), ("textiles", "Textiles"),
    ("cleaning", "Cleaning products and services"), ("furniture", "Furniture"),
]
GROUPS = [("food", "Sustainable food"), ("clean-vehicles", "Clean vehicles"), ("circular", "Circular economy"),
          ("construction", "Construction"), ("innovation", "Innovation"), ("ict", "ICT"), ("energy", "Energy"),
          ("social", "Social procurement")]

# name, country, kind, languages, size, role, offers, seeks, groups, capacity, contact
MENTORING = [
    ("City of Copenhagen", "DK", "municipality", ["da", "en"], 650_000, "mentor",
     {"food": 3, "circular-procurement": 2}, [], ["food", "circular"], 2, "Mette Sørensen"),
    ("City of Helsinki", "FI", "municipality", ["fi", "sv", "en"], 675_000, "mentor",
     {"innovation-procurement": 3, "market-engagement": 3, "clean-vehicles": 2}, [], ["innovation", "clean-vehicles"],
     2, "Aino Virtanen"),
    ("Municipality of Rotterdam", "NL", "municipality", ["nl", "en"], 655_000, "mentor",
     {"zero-emission-construction": 3, "co2-accounting": 2}, [], ["construction"], 1, "Daan de Vries"),
    ("Métropole de Lyon", "FR", "region", ["fr", "en"], 1_400_000, "mentor",
     {"social-procurement": 3, "textiles": 2}, [], ["social"], 1, "Camille Laurent"),
    ("Federal Procurement Agency (BBG)", "AT", "central_purchasing_body", ["de", "en"], 9_000_000, "mentor",
     {"electricity": 3, "ict-devices": 3, "life-cycle-costing": 3}, [], ["energy", "ict"], 2, "Lukas Gruber"),
    ("Kaunas City Municipality", "LT", "municipality", ["lt", "en"], 300_000, "mentee",
     {"food": 1}, ["food"], ["food"], 1, "Rūta Kazlauskienė"),
    ("Cluj-Napoca Municipality", "RO", "municipality", ["ro", "en", "hu"], 290_000, "mentee",
     {}, ["innovation-procurement", "market-engagement"], ["innovation"], 1, "Andrei Popescu"),
    ("Porto Municipality", "PT", "municipality", ["pt", "en", "es"], 230_000, "mentee",
     {"circular-procurement": 1}, ["clean-vehicles", "circular-procurement"], ["clean-vehicles", "circular"], 1,
     "João Ferreira"),
    ("City of Zagreb", "HR", "municipality", ["hr", "en", "de"], 770_000, "mentee",
     {}, ["zero-emission-construction", "co2-accounting"], ["construction"], 1, "Ivana Horvat"),
    ("Municipality of Thessaloniki", "GR", "municipality", ["el", "en"], 320_000, "mentee",
     {}, ["social-procurement", "food"], ["social", "food"], 1, "Ελένη Παπαδοπούλου"),
    ("Statutory City of Brno", "CZ", "municipality", ["cs", "en", "de"], 380_000, "mentee",
     {}, ["electricity", "life-cycle-costing"], ["energy"], 1, "Petra Nováková"),
    ("València City Council", "ES", "municipality", ["es", "ca", "en"], 800_000, "mentee",
     {"food": 2}, ["food", "circular-procurement"], ["food", "circular"], 1, "Lucía García"),
    ("City of Košice", "SK", "municipality", ["sk", "hu", "en"], 230_000, "mentee",
     {}, ["ict-devices", "data-centres"], ["ict"], 1, "Martin Kováč"),
    ("Sofia Municipality", "BG", "municipality", ["bg", "en"], 1_300_000, "mentee",
     {}, ["food", "ict-devices"], ["food"], 1, "Мария Иванова"),
]
PEERS = [
    ("City of Ghent", "BE", ["nl", "en", "fr"], 265_000, {"food": 2, "circular-procurement": 2},
     ["clean-vehicles"], ["food"], "Sofie Peeters"),
    ("Stadt Freiburg im Breisgau", "DE", ["de", "en", "fr"], 230_000, {"construction": 2, "electricity": 2},
     ["circular-procurement"], ["construction", "energy"], "Jonas Weber"),
    ("Ljubljana City Municipality", "SI", ["sl", "en", "it"], 290_000, {"clean-vehicles": 2},
     ["food", "construction"], ["clean-vehicles"], "Nina Kranjc"),
    ("Tallinn City Government", "EE", ["et", "en", "ru"], 440_000, {"ict-devices": 2, "data-centres": 1},
     ["circular-procurement"], ["ict"], "Kadri Tamm"),
]


def _email(name: str) -> str:
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    cleaned = "".join(ch if ch.isalnum() else "." for ch in ascii_name).strip(".")
    return (cleaned or "contact").replace("..", ".") + "@authority.example.org"


async def _confirm(submitted_request_id: int) -> None:
    from events_app.twinning.models import TwinningRequest

    request = await TwinningRequest.get(id=submitted_request_id)
    async with in_transaction() as conn:
        token = await new_request_link(request, conn)
    await confirm_request(token=token)


async def seed_twinning(*, now: datetime) -> None:
    """Topic lists, a mentoring round matched and published (two twinnings accepted, one declined), and an
    open peer round with a few requests."""
    for slug, name in TOPICS:
        await add_catalogue_entry(kind="topics", data=CatalogueInput(slug=slug, name=name))
    for slug, name in GROUPS:
        await add_catalogue_entry(kind="groups", data=CatalogueInput(slug=slug, name=name))
    mentoring = await create_round(actor=None, now=now - timedelta(days=30), data=RoundInput(
        title="Twinning 2027: food, clean vehicles and circular procurement", mode="mentoring",
        deadline=now + timedelta(days=1), require_different_countries=True,
        intro="Thank you for joining the twinning programme. Your twin and you will meet online in the coming "
              "weeks and plan a study visit in spring."))
    for name, country, kind, languages, size, role, offers, seeks, groups, capacity, contact in MENTORING:
        submitted = await submit_request(round_id=mentoring.id, now=now, data=RequestInput(
            organisation=name, organisation_kind=kind, country=country, contact_name=contact,
            contact_email=_email(contact), consent_share=True, role=role, languages=languages, size=size,
            offers=offers, seeks=seeks, interest_groups=groups, capacity=capacity))
        await _confirm(submitted.request.id)
    await close_requests(round_id=mentoring.id, now=now)
    await run_matching(round_id=mentoring.id, data=MatchInput(), actor=None, now=now)
    published = await publish_run(round_id=mentoring.id, now=now)
    for index, twinning in enumerate(published.twinnings[:3]):
        twinning = await Twinning.get(id=twinning.id).prefetch_related("a", "b")
        for side in (twinning.a, twinning.b):
            async with in_transaction() as conn:
                token = await new_request_link(side, conn)
            await answer_twinning(token=token, twinning_id=twinning.id, accept=index != 2, now=now,
                                  reason="" if index != 2 else "We need a partner who works in our language.")
            if index == 2:
                break
    peer = await create_round(actor=None, now=now, data=RoundInput(
        title="Peer exchange 2027: cities buying for climate neutrality", mode="peer",
        deadline=now + timedelta(days=40), intro="Peers with the same ambition learn faster together."))
    for name, country, languages, size, offers, seeks, groups, contact in PEERS:
        submitted = await submit_request(round_id=peer.id, now=now, data=RequestInput(
            organisation=name, organisation_kind="municipality", country=country, contact_name=contact,
            contact_email=_email(contact), consent_share=True, role="peer", languages=languages, size=size,
            offers=offers, seeks=seeks, interest_groups=groups))
        await _confirm(submitted.request.id)
