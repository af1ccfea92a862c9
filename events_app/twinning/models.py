"""Twinning: authority profiles, rounds, requests, matching runs and twinnings.

A round collects requests (one per authority) until its deadline; an organiser then runs
the matching engine (each run kept with its input and output), adjusts pins and forbidden
pairs, and publishes: every pair of the latest run becomes a :class:`Twinning` that both
sides accept or decline from their private link.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class CatalogueEntry(Model):
    """An entry of a list organisers manage: a short name (slug), a display name, an order."""

    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=60, unique=True)
    name = fields.CharField(max_length=120)
    active = fields.BooleanField(default=True)
    position = fields.IntField(default=0)

    class Meta:
        abstract = True


class Topic(CatalogueEntry):
    """A procurement topic authorities offer or seek (organisers manage the list)."""

    class Meta:
        table = "twinning_topic"
        ordering = ["position", "name"]


class InterestGroup(CatalogueEntry):
    """An interest group of the network (organisers manage the list)."""

    class Meta:
        table = "twinning_interest_group"
        ordering = ["position", "name"]


class AuthorityProfile(Model):
    """What matters for matching about one organisation (kind and country live on it).

    ``topics`` maps topic slug to maturity (1 started, 2 practising, 3 advanced) and
    ``interest_groups`` lists group slugs.
    """

    id = fields.IntField(primary_key=True)
    organisation = fields.OneToOneField(
        "models.Organisation", related_name="authority_profile", on_delete=fields.CASCADE
    )
    languages = fields.JSONField(default=list)
    size = fields.BigIntField(null=True)
    topics = fields.JSONField(default=dict)
    interest_groups = fields.JSONField(default=list)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "authority_profile"


class AuthorityContact(Model):
    """A person at an authority. ``consent_share``: may be introduced by name and email to a twin."""

    id = fields.IntField(primary_key=True)
    organisation = fields.ForeignKeyField(
        "models.Organisation", related_name="authority_contacts", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=120)
    email = fields.CharField(max_length=254)
    email_key = fields.CharField(max_length=254)  # casefolded
    job_title = fields.CharField(max_length=120, default="")
    consent_share = fields.BooleanField(default=False)
    consented_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "authority_contact"
        unique_together = (("organisation", "email_key"),)


class RoundMode(StrEnum):
    PEER = "peer"
    MENTORING = "mentoring"


class RoundStatus(StrEnum):
    OPEN = "open"  # taking requests until the deadline
    MATCHING = "matching"  # deadline passed, organisers run and adjust the matching
    SHORTLISTING = "shortlisting"  # shortlists sent: authorities rank their candidates
    PUBLISHED = "published"  # introductions sent (re-runs after declines stay possible)
    CLOSED = "closed"


class TwinningRound(Model):
    """One call for twinning requests.

    ``options`` holds the engine options the organiser chose (require_different_countries,
    cooldown_years, weights), ``pinned`` and ``forbidden`` lists of request-id pairs.
    """

    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=200)
    mode = fields.CharEnumField(RoundMode, max_length=16)
    deadline = fields.DatetimeField()
    intro = fields.TextField(default="")
    options = fields.JSONField(default=dict)
    pinned = fields.JSONField(default=list)
    forbidden = fields.JSONField(default=list)
    status = fields.CharEnumField(RoundStatus, max_length=16, default=RoundStatus.OPEN)
    shortlist_size = fields.IntField(default=5)
    created_by = fields.ForeignKeyField("models.User", related_name="twinning_rounds", null=True,
                                        on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "twinning_round"


class RequestRole(StrEnum):
    MENTOR = "mentor"
    MENTEE = "mentee"
    PEER = "peer"


class RequestStatus(StrEnum):
    UNCONFIRMED = "unconfirmed"  # waiting for the emailed link to be opened
    CONFIRMED = "confirmed"
    WITHDRAWN = "withdrawn"


class TwinningRequest(Model):
    """One authority's request in one round (a snapshot of its profile plus what it wants).

    ``offers`` maps topic slug to maturity, ``seeks`` and ``interest_groups`` list slugs,
    ``blocked`` lists organisation ids it does not want. ``shortlist`` (request ids offered
    to rank, best first) and ``ranking`` (the ones it ranked, best first) serve stable mode.
    """

    id = fields.IntField(primary_key=True)
    round = fields.ForeignKeyField("models.TwinningRound", related_name="requests", on_delete=fields.CASCADE)
    organisation = fields.ForeignKeyField("models.Organisation", related_name="twinning_requests",
                                          on_delete=fields.CASCADE)
    contact = fields.ForeignKeyField("models.AuthorityContact", related_name="twinning_requests",
                                     on_delete=fields.CASCADE)
    role = fields.CharEnumField(RequestRole, max_length=16)
    languages = fields.JSONField(default=list)
    size = fields.BigIntField(null=True)
    offers = fields.JSONField(default=dict)
    seeks = fields.JSONField(default=list)
    interest_groups = fields.JSONField(default=list)
    capacity = fields.IntField(default=1)
    blocked = fields.JSONField(default=list)
    motivation = fields.TextField(default="")
    status = fields.CharEnumField(RequestStatus, max_length=16, default=RequestStatus.UNCONFIRMED)
    shortlist = fields.JSONField(null=True)
    ranking = fields.JSONField(null=True)
    ranked_at = fields.DatetimeField(null=True)
    # what the submission says about the contact person and the authority's profile, written
    # to them only when the request is confirmed from its link (a stranger's form changes nothing)
    pending = fields.JSONField(null=True)
    # when the authority was told that a published run left it without a partner (told once)
    unpaired_told_at = fields.DatetimeField(null=True)
    confirmed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "twinning_request"
        unique_together = (("round", "organisation"),)


class RequestLink(Model):
    """A private link to one request: only the SHA-256 of the token is stored."""

    id = fields.IntField(primary_key=True)
    request = fields.ForeignKeyField("models.TwinningRequest", related_name="links", on_delete=fields.CASCADE)
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "twinning_request_link"


class MatchRun(Model):
    """One run of the matching engine on a round: who ran it, the input and the output, kept."""

    id = fields.IntField(primary_key=True)
    round = fields.ForeignKeyField("models.TwinningRound", related_name="runs", on_delete=fields.CASCADE)
    number = fields.IntField()
    stable = fields.BooleanField(default=False)
    run_by = fields.ForeignKeyField("models.User", related_name="match_runs", null=True,
                                    on_delete=fields.SET_NULL)
    input = fields.JSONField()
    output = fields.JSONField()
    total_score = fields.FloatField()
    upper_bound = fields.FloatField()
    solver = fields.CharField(max_length=200)
    pairs = fields.IntField()
    unmatched = fields.IntField()
    seconds = fields.FloatField(default=0.0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "twinning_match_run"
        unique_together = (("round", "number"),)


class TwinningStatus(StrEnum):
    PROPOSED = "proposed"  # introduced, waiting for both answers
    ACCEPTED = "accepted"  # both accepted: the twinning is on
    DECLINED = "declined"  # one side declined: both are free again
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Answer(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Twinning(Model):
    """A published pair. In mentoring rounds ``a`` is the mentor. ``reasons`` and ``parts``
    come from the run that proposed it."""

    id = fields.IntField(primary_key=True)
    round = fields.ForeignKeyField("models.TwinningRound", related_name="twinnings", on_delete=fields.CASCADE)
    run = fields.ForeignKeyField("models.MatchRun", related_name="twinnings", null=True,
                                 on_delete=fields.SET_NULL)
    a = fields.ForeignKeyField("models.TwinningRequest", related_name="twinnings_as_a", on_delete=fields.CASCADE)
    b = fields.ForeignKeyField("models.TwinningRequest", related_name="twinnings_as_b", on_delete=fields.CASCADE)
    score = fields.FloatField()
    parts = fields.JSONField(default=dict)
    reasons = fields.JSONField(default=list)
    status = fields.CharEnumField(TwinningStatus, max_length=16, default=TwinningStatus.PROPOSED)
    a_answer = fields.CharEnumField(Answer, max_length=16, default=Answer.PENDING)
    b_answer = fields.CharEnumField(Answer, max_length=16, default=Answer.PENDING)
    decline_reason = fields.CharField(max_length=500, default="")
    study_visit = fields.ForeignKeyField("models.Event", related_name="twinnings", null=True,
                                         on_delete=fields.SET_NULL)
    published_at = fields.DatetimeField(null=True)
    answered_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "twinning"
        indexes = (("round_id", "status"),)
