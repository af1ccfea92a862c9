"""Organisations (mostly public authorities), shared by their people."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class OrganisationKind(StrEnum):
    MUNICIPALITY = "municipality"
    REGION = "region"
    CENTRAL_PURCHASING_BODY = "central_purchasing_body"
    MINISTRY_OR_AGENCY = "ministry_or_agency"
    PUBLIC_COMPANY = "public_company"
    HOSPITAL_OR_UNIVERSITY = "hospital_or_university"
    COMPANY = "company"
    NGO_OR_RESEARCH = "ngo_or_research"
    OTHER = "other"


ORGANISATION_KIND_LABELS = {
    OrganisationKind.MUNICIPALITY: "Municipality or city",
    OrganisationKind.REGION: "Region or province",
    OrganisationKind.CENTRAL_PURCHASING_BODY: "Central purchasing body",
    OrganisationKind.MINISTRY_OR_AGENCY: "National ministry or agency",
    OrganisationKind.PUBLIC_COMPANY: "Public company or utility",
    OrganisationKind.HOSPITAL_OR_UNIVERSITY: "Public hospital or university",
    OrganisationKind.COMPANY: "Private company",
    OrganisationKind.NGO_OR_RESEARCH: "NGO, research or network",
    OrganisationKind.OTHER: "Other",
}


class Organisation(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    # casefolded, whitespace-collapsed name: one row per (name_key, country)
    name_key = fields.CharField(max_length=200)
    kind = fields.CharEnumField(OrganisationKind, max_length=32, default=OrganisationKind.OTHER)
    country = fields.CharField(max_length=2)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "organisation"
        unique_together = (("name_key", "country"),)

    def __str__(self) -> str:
        return f"{self.name} ({self.country})"
