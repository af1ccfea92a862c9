"""The PostgreSQL fast path: claim a seat (or a waitlist number) and write the
registration, its manage link and its outbox email in ONE statement.

The event row is the seat counter. The UPDATE takes that row's lock and, under
PostgreSQL's READ COMMITTED rules, re-evaluates ``confirmed_count < capacity`` on
the newest committed version of the row, so two claims can never both take the
last seat. The lock is held only while this one statement runs on the server (no
client round trip happens under it), and autocommit releases it at once. A
unique violation (the same email racing) rolls the whole statement back, counter
included.

Every other seat change (cancel, promote, reactivate, capacity) takes the same
row with SELECT ... FOR UPDATE and recounts the counters (``sync_seat_counters``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from tortoise import connections

CLAIM_SQL = """
WITH claim AS (
    UPDATE event SET
        last_claim = CASE WHEN confirmed_count < capacity THEN 'confirmed' ELSE 'waitlisted' END,
        waitlist_last_seq = waitlist_last_seq + CASE WHEN confirmed_count < capacity THEN 0 ELSE 1 END,
        waitlisted_count = waitlisted_count + CASE WHEN confirmed_count < capacity THEN 0 ELSE 1 END,
        confirmed_count = confirmed_count + CASE WHEN confirmed_count < capacity THEN 1 ELSE 0 END
    WHERE id = $1 AND status = 'published' AND ends_at > $9
        AND (registration_opens_at IS NULL OR registration_opens_at <= $9)
        AND (registration_closes_at IS NULL OR registration_closes_at > $9)
    RETURNING id, last_claim, waitlist_last_seq, waitlisted_count, ical_sequence
), reg AS (
    INSERT INTO registration (
        uid, event_id, organisation_id, name, email, email_key, job_title, status,
        waitlist_seq, consent_version, consent_at, ical_sequence, created_at, updated_at, confirmed_at
    )
    SELECT $2::uuid, claim.id, $3, $4, $5, $6, $7, claim.last_claim,
        CASE WHEN claim.last_claim = 'waitlisted' THEN claim.waitlist_last_seq END,
        $8, $9, 0, $9, $9,
        CASE WHEN claim.last_claim = 'confirmed' THEN $9::timestamptz END
    FROM claim
    RETURNING id, status, waitlist_seq
), link AS (
    INSERT INTO manage_link (token_hash, created_at, registration_id)
    SELECT $10, $9, reg.id FROM reg
), mail AS (
    INSERT INTO outbox_message (
        message_id, kind, to_email, to_name, payload, subject, body_text, body_html,
        ics_method, ics, status, attempts, next_attempt_at, last_error, created_at, registration_id
    )
    SELECT $11,
        CASE WHEN reg.status = 'confirmed' THEN 'confirmation' ELSE 'waitlist' END,
        $5, $4,
        jsonb_build_object(
            'manage_url', $12::text,
            'waitlist_position', NULL,
            'method', CASE WHEN reg.status = 'confirmed' THEN 'REQUEST' END,
            'sequence', claim.ical_sequence
        ),
        '', '', '',
        CASE WHEN reg.status = 'confirmed' THEN 'REQUEST' ELSE '' END,
        '', 'pending', 0, $9, '', $9, reg.id
    FROM reg, claim
)
SELECT reg.id, reg.status, reg.waitlist_seq, claim.waitlisted_count FROM reg, claim
"""


@dataclass(frozen=True, slots=True)
class Claim:
    registration_id: int
    status: str
    waitlist_seq: int | None
    waitlist_position: int | None  # a new waitlist entry is last in line


async def claim_seat_postgres(
    *,
    event_id: int,
    organisation_id: int,
    name: str,
    email: str,
    email_key: str,
    job_title: str,
    consent_version: str,
    now: datetime,
    token_hash: str,
    message_id: str,
    manage_url: str,
    registration_uid: uuid.UUID,
) -> Claim | None:
    """Run the one-statement claim; None when the event is not open for registration now."""
    conn = connections.get("default")
    rows = await conn.execute_query_dict(
        CLAIM_SQL,
        [
            event_id, str(registration_uid), organisation_id, name, email, email_key, job_title,
            consent_version, now, token_hash, message_id, manage_url,
        ],
    )
    if not rows:
        return None
    row = rows[0]
    waitlisted = row["status"] == "waitlisted"
    return Claim(int(row["id"]), str(row["status"]), row["waitlist_seq"], row["waitlisted_count"] if waitlisted else None)

