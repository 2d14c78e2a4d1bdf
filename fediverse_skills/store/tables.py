"""Table definitions. Alembic migrations in ``migrations/`` must agree (``alembic check``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.engine import Dialect

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# An integer primary key that autoincrements on both SQLite (INTEGER) and PostgreSQL (BIGINT).
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, whatever the database keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use datetime.now(UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


users = Table(
    "users",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("username", String(30), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False, default=""),
    Column("summary", Text, nullable=False, default=""),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column(
        "manually_approves_followers",
        Boolean,
        nullable=False,
        default=False,
        server_default=false(),
    ),
    Column("password_hash", String(200), nullable=True),
    Column("rsa_private_pem", Text, nullable=False),
    Column("rsa_public_pem", Text, nullable=False),
    Column("ed25519_private", String(64), nullable=False),
    Column("ed25519_public", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # Who may suggest skills and endorse them (domain.policies.Audience), and whether
    # suggestions wait for the owner.
    Column("suggest_policy", String(16), nullable=False, default="anyone", server_default="anyone"),
    Column("endorse_policy", String(16), nullable=False, default="anyone", server_default="anyone"),
    Column(
        "auto_accept_suggestions", Boolean, nullable=False, default=False, server_default=false()
    ),
    # Bumped by database triggers whenever the user's skills or endorsements change (any
    # write, even one made by hand), and by profile edits: cached profiles check it.
    Column("profile_version", BigInteger, nullable=False, default=0, server_default="0"),
    # The avatar's media name (media.name), set by an upload.
    Column("avatar", String(80), nullable=True),
    # Suspended accounts cannot sign in, and their pages and actor answer 410 Gone.
    Column("suspended_at", UTCDateTime, nullable=True),
    # Open to work is private to matching unless the person chooses to show it.
    Column("open_to_work", Boolean, nullable=False, default=False, server_default=false()),
    Column("show_open_to_work", Boolean, nullable=False, default=False, server_default=false()),
    # Set when an admin deleted the account: the row stays as a tombstone (the username
    # stays taken, the keys sign the Delete), everything else is gone; the actor is 410.
    Column("deleted_at", UTCDateTime, nullable=True),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column(
        "user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("name", String(100), nullable=False, default=""),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    # Space-separated: "read", "write" or both (services.tokens.SCOPES).
    Column("scopes", String(40), nullable=False, server_default="read write"),
)

worker_heartbeats = Table(
    "worker_heartbeats",
    metadata,
    Column("worker_id", String(100), primary_key=True),
    Column("hostname", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False, index=True),
)

# ----------------------------------------------------------------------------- federation

# Settings the instance keeps for itself, such as the instance actor's key pair.
instance_keys = Table(
    "instance_keys",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("rsa_private_pem", Text, nullable=False),
    Column("rsa_public_pem", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# Remote actors we have fetched (a cache, refreshed on Update and on key failures).
remote_actors = Table(
    "remote_actors",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("uri", String(2048), nullable=False, unique=True),
    Column("host", String(255), nullable=False, index=True),
    Column("type", String(50), nullable=False),
    Column("username", String(255), nullable=False, default=""),
    Column("name", String(500), nullable=False, default=""),
    Column("inbox", String(2048), nullable=False),
    Column("shared_inbox", String(2048), nullable=True),
    Column("followers", String(2048), nullable=True),
    Column("url", String(2048), nullable=True),
    Column("key_id", String(2048), nullable=True, index=True),
    Column("public_key_pem", Text, nullable=True),
    Column("document", Text, nullable=False),
    Column("fetched_at", UTCDateTime, nullable=False),
    Column("deleted_at", UTCDateTime, nullable=True),
    # Set when a refetch served a different key than the one we trust (kept; see actors.py).
    Column("key_changed_at", UTCDateTime, nullable=True),
)

# Follow relations between any two actors, named by their URIs (local or remote).
follows = Table(
    "follows",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("follower", String(2048), nullable=False),
    Column("followee", String(2048), nullable=False, index=True),
    Column("activity_uri", String(2048), nullable=False, unique=True),
    Column("state", String(20), nullable=False),  # pending | accepted
    Column("created_at", UTCDateTime, nullable=False),
    Column("accepted_at", UTCDateTime, nullable=True),
    UniqueConstraint("follower", "followee", name="uq_follows_pair"),
)

# Notes written by local users.
notes = Table(
    "notes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("public_id", String(40), nullable=False, unique=True),
    Column(
        "user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("content", Text, nullable=False),
    Column("published_at", UTCDateTime, nullable=False),
    # note | ask | skill | reply. Skill notes belong to a skill; replies go to one person.
    Column("kind", String(16), nullable=False, default="note", server_default="note"),
    Column("skill_key", String(256), nullable=True),
    Column("public", Boolean, nullable=False, default=True, server_default=true()),
    # The object as sent, for notes with mentions and hashtags (None: plain text note).
    Column("document", Text, nullable=True),
    Index("ix_notes_user_kind", "user_id", "kind", "skill_key"),
)

# Objects received from other servers (notes from people our users follow, for now).
remote_objects = Table(
    "remote_objects",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("uri", String(2048), nullable=False, unique=True),
    Column("type", String(50), nullable=False),
    Column("actor", String(2048), nullable=False, index=True),
    Column("content", Text, nullable=False, default=""),
    Column("document", Text, nullable=False),
    Column("published_at", UTCDateTime, nullable=True),
    Column("received_at", UTCDateTime, nullable=False),
    Column("deleted_at", UTCDateTime, nullable=True),
)

# The inbox queue: every accepted activity, committed before the 202, processed by a worker.
inbox_items = Table(
    "inbox_items",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("activity_uri", String(2048), nullable=False, unique=True),
    Column("type", String(50), nullable=False),
    Column("actor", String(2048), nullable=False),
    Column("recipient", String(30), nullable=True),  # local username, or None (shared inbox)
    Column("body", Text, nullable=False),
    Column("state", String(20), nullable=False),  # pending | done | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("received_at", UTCDateTime, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("locked_until", UTCDateTime, nullable=True),
    Column("locked_by", String(100), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("processed_at", UTCDateTime, nullable=True),
    Index("ix_inbox_items_due", "state", "next_attempt_at"),
)

# Activities we send, stored once; deliveries point at them.
outgoing_activities = Table(
    "outgoing_activities",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("uri", String(2048), nullable=False, unique=True),
    Column(
        "user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
    ),  # the signer; None = the instance actor
    Column("type", String(50), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# The delivery queue: one row per (activity, inbox); shared inboxes are deduplicated.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column(
        "activity_id",
        BigId,
        ForeignKey("outgoing_activities.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("inbox", String(2048), nullable=False),
    Column("host", String(255), nullable=False, index=True),
    Column("state", String(20), nullable=False),  # pending | done | gave_up
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", UTCDateTime, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("locked_until", UTCDateTime, nullable=True),
    Column("locked_by", String(100), nullable=True),
    Column("last_status", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("finished_at", UTCDateTime, nullable=True),
    UniqueConstraint("activity_id", "inbox", name="uq_deliveries_activity_inbox"),
    Index("ix_deliveries_due", "state", "next_attempt_at"),
)

# Per-host delivery health: a circuit breaker, and which signature scheme the host accepts.
hosts = Table(
    "hosts",
    metadata,
    Column("host", String(255), primary_key=True),
    Column("consecutive_failures", Integer, nullable=False, default=0),
    Column("open_until", UTCDateTime, nullable=True),
    Column("last_success_at", UTCDateTime, nullable=True),
    Column("last_failure_at", UTCDateTime, nullable=True),
    Column("signature_scheme", String(20), nullable=True),  # cavage | rfc9421
)

# Domains this instance refuses to federate with (subdomains included).
domain_blocks = Table(
    "domain_blocks",
    metadata,
    Column("domain", String(255), primary_key=True),
    Column("reason", Text, nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
)


# Skills on local profiles. One per (user, key); the display name is the owner's.
skills = Table(
    "skills",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(256), nullable=False),
    Column("name", String(256), nullable=False),
    Column("hashtag", String(128), nullable=True),
    Column("taxonomy", String(200), nullable=True),
    Column("suggested_by", Text, nullable=True),  # actor URI; None when self-declared
    Column("suggested_at", UTCDateTime, nullable=True),
    Column("suggestion", Text, nullable=True),  # the suggester's signed Offer, if any
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("user_id", "key"),
)

# Suggestions made to local people (received) and by local people (sent).
suggestions = Table(
    "suggestions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("public_id", String(40), nullable=False, unique=True),
    Column("uri", Text, nullable=False, unique=True),  # the Offer (or the Note) it came as
    Column("subject", Text, nullable=False),  # actor URI of the person it is about
    Column("subject_user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("author", Text, nullable=False),
    Column("author_user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("key", String(256), nullable=False),
    Column("name", String(256), nullable=False),
    Column("taxonomy", String(200), nullable=True),
    Column("comment", Text, nullable=False, default=""),
    Column("state", String(16), nullable=False),
    Column("attestation", String(16), nullable=False),  # proof | server | local
    Column("document", Text, nullable=True),  # the signed Offer
    Column("via", Text, nullable=True),  # the post it came from (a mention or an ask reply)
    Column("created_at", UTCDateTime, nullable=False),
    Column("decided_at", UTCDateTime, nullable=True),
    # A decision made on the web waits here for the undo window (accepted | rejected).
    Column("pending_decision", String(16), nullable=True),
    Column("decision_due_at", UTCDateTime, nullable=True, index=True),
    Index("ix_suggestions_subject_state", "subject_user_id", "state"),
    Index("ix_suggestions_author_user", "author_user_id"),
)

# Endorsements of skills: of local people's skills (received) and by local people (sent).
endorsements = Table(
    "endorsements",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("public_id", String(40), nullable=False, unique=True),
    Column("uri", Text, nullable=False, unique=True),  # the Endorsement, Like or reply
    Column("subject", Text, nullable=False),
    Column("subject_user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("skill_key", String(256), nullable=False),
    Column("endorser", Text, nullable=False),
    Column("endorser_user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("kind", String(16), nullable=False),  # endorsement | like | reply
    Column("attestation", String(16), nullable=False),  # proof | server
    Column("comment", Text, nullable=False, default=""),
    Column("document", Text, nullable=False),  # exactly as signed (or as received)
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("endorser", "subject", "skill_key"),
    Index("ix_endorsements_subject_skill", "subject_user_id", "skill_key"),
    Index("ix_endorsements_endorser_user", "endorser_user_id"),
    # By the person's URI, remote people too: the skill signals matching reads.
    Index("ix_endorsements_subject_key", "subject", "skill_key"),
)

# People a local user has blocked: nothing they send reaches that user.
actor_blocks = Table(
    "actor_blocks",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("actor", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("user_id", "actor"),
)

# What happened that a local user should see (a suggestion arrived, a skill was endorsed).
notifications = Table(
    "notifications",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column(
        "user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("kind", String(32), nullable=False),
    Column("actor", Text, nullable=False),
    Column("subject", String(40), nullable=False),  # a suggestion's or endorsement's public id
    Column("created_at", UTCDateTime, nullable=False),
)


# Browser sign-ins. Only a hash of the cookie's token is stored.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column(
        "user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
)

# Failed sign-ins, counted per address and per username to rate-limit guessing.
login_failures = Table(
    "login_failures",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("key", String(300), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_login_failures_key_at", "key", "at"),
)

invites = Table(
    "invites",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("created_by", BigId, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=True),
    Column("used_by", BigId, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("used_at", UTCDateTime, nullable=True),
)

# Instance settings an admin changes on the web (registrations, title, description).
instance_settings = Table(
    "instance_settings",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# Uploaded media (avatars), re-encoded, stored under a generated name.
media = Table(
    "media",
    metadata,
    Column("name", String(80), primary_key=True),
    Column(
        "user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("content_type", String(50), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# Reports (Flag activities) received from other servers or made by members.
reports = Table(
    "reports",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("uri", String(2048), nullable=False, unique=True),
    Column("reporter", Text, nullable=False),  # actor URI
    Column("targets", Text, nullable=False),  # JSON list of reported URIs
    Column("content", Text, nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime, nullable=True),
)

# Work opportunities: our people's postings (user_id set) and remote ones we received.
opportunities = Table(
    "opportunities",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("public_id", String(40), nullable=True, unique=True),  # local postings only
    Column("uri", String(2048), nullable=False, unique=True),  # the Note's id
    Column("author", Text, nullable=False),  # actor URI of the poster
    Column("user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("title", String(400), nullable=False),
    Column("description", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("remote", Boolean, nullable=False, default=False),
    Column("place", String(400), nullable=False, default=""),
    Column("pay", String(400), nullable=False, default=""),
    Column("contact_url", Text, nullable=False, default=""),
    Column("state", String(16), nullable=False),  # open | closed
    Column("expires_at", UTCDateTime, nullable=True, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("expiry_sent_at", UTCDateTime, nullable=True),  # the Update that says it expired
    Column("document", Text, nullable=True),  # the Note as sent or received
    Index("ix_opportunities_user", "user_id"),
    Index("ix_opportunities_author", "author"),
)

opportunity_skills = Table(
    "opportunity_skills",
    metadata,
    Column(
        "opportunity_id",
        BigId,
        ForeignKey("opportunities.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", String(256), primary_key=True),
    Column("name", String(256), nullable=False),
    Column("required", Boolean, nullable=False),
    Column("position", Integer, nullable=False, default=0),  # the poster's order
    Index("ix_opportunity_skills_key", "key"),
)

# Referrals: someone refers a candidate to an opportunity; the poster sees it only once the
# candidate accepted.
referrals = Table(
    "referrals",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("public_id", String(40), nullable=False, unique=True),
    Column("uri", String(2048), nullable=False, unique=True),  # the Invite's id
    Column("opportunity", String(2048), nullable=False),  # the posting's URI
    Column("poster", Text, nullable=False),  # the posting's author (actor URI)
    Column("title", String(400), nullable=False, default=""),  # the posting's, when referred
    Column("referrer", Text, nullable=False),
    Column("referrer_user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("candidate", Text, nullable=False),
    Column("candidate_user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("poster_user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("comment", Text, nullable=False, default=""),
    Column("state", String(16), nullable=False),  # pending | accepted | declined
    Column("document", Text, nullable=True),  # the signed Invite
    Column("created_at", UTCDateTime, nullable=False),
    Column("decided_at", UTCDateTime, nullable=True),
    Index("ix_referrals_candidate", "candidate_user_id", "state"),
    Index("ix_referrals_poster", "poster_user_id", "state"),
    Index("ix_referrals_referrer", "referrer_user_id"),
)
