"""Tables. Each class is one table; relations are kept by ids, the domain lives in backend/."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, Float, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy import true as sa_true
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import UTCDateTime

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class InboundMessage(Base):
    """Every message or event that reached a webhook, with the reply it got: the start of the trace.

    The unique key (platform, user_id, msg_key) is the durable dedupe of WeChat's retries; see
    storage/inbound.py for how a row is claimed and completed in its handler's transaction.
    """

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("platform", "user_id", "msg_key", name="uq_inbound_dedupe"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128))
    msg_key: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(32))
    content: Mapped[dict] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # done | deferred (the reply went to the outbox) | failed (the handler raised; an apology was the reply)
    status: Mapped[str] = mapped_column(String(16))
    reply: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # added in 0012: when the contents (content, reply, error) were cleared (retention or the resident's erasure)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # added in 0018: a message or an event WeChat counts as interaction (storage.inbound.WINDOW_EVENTS)
    opens_window: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())


class OutboxMessage(Base):
    """What must reach a person, written in the same transaction as the change that caused it.

    The payload convention and the statuses are described in storage/outbox.py.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),
                      Index("ix_outbox_recipient", "platform", "user_id", "status", "id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict] = mapped_column(JSON)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    # pending -> sent | failed | undeliverable | interrupted (see storage/outbox.py)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # added in 0003: who holds the lease, how it went out, and a short code for why it did not
    lease_owner: Mapped[str | None] = mapped_column(String(96), nullable=True)
    channel: Mapped[str | None] = mapped_column(String(16), nullable=True)  # custom | template | subscribe | …
    error_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # added in 0009: when the current attempt's API call began (cleared when its outcome is recorded)
    sending_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # added in 0012: when the payload was cleared (retention or the resident's erasure)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # added in 0018: the platform drops a repeat of the API call under way until then (resent if cut off)
    resend_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PlatformPause(Base):
    """A platform whose pushes wait because its API refused our account's set-up (storage/pauses.py)."""

    __tablename__ = "platform_pauses"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    error_code: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text)
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    next_try_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    remit: Mapped[str] = mapped_column(Text, default="")


# The kinds of place a case can be at; a compound (小区) is a grid cell of its own, a public place belongs to one.
PLACE_KINDS = ("compound", "road", "intersection", "square", "market", "park", "school", "station", "facility")


class Compound(Base):
    """A place on the grid: a residential compound (小区), the unit of the grid, or a public place (road,
    intersection, square, market, park, school, station, facility) patrolled from the compound cell `grid`.
    The table keeps its first name so old rows and every `compound_id` read on unchanged."""

    __tablename__ = "compounds"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    aliases: Mapped[list] = mapped_column(JSON, default=list)
    community: Mapped[str] = mapped_column(String(64))
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    buildings: Mapped[int] = mapped_column(Integer)
    grid_mode: Mapped[str] = mapped_column(String(16))  # resident (常驻) | roving (随驻)
    kind: Mapped[str] = mapped_column(String(16), default="compound", server_default="compound")  # PLACE_KINDS
    grid: Mapped[str | None] = mapped_column(String(16), nullable=True)  # public place: its compound cell
    roads: Mapped[list | None] = mapped_column(JSON, nullable=True)  # intersection: the ids of its roads
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)  # "紫云路88号"


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))  # officer | liaison | supervisor
    dept_id: Mapped[str] = mapped_column(String(32))
    compounds: Mapped[list] = mapped_column(JSON, default=list)  # compound ids; ["*"] = all
    mode: Mapped[str] = mapped_column(String(16))


class ChargingStation(Base):
    __tablename__ = "charging_stations"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    compound_id: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(8))  # ebike | car
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    spots: Mapped[int] = mapped_column(Integer)


class Case(Base):
    """A reported problem, from any channel, through its whole life (DESIGN.md: case lifecycle)."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_dup", "compound_id", "category", "status", "created_at"),
        Index("ix_cases_reporter", "reporter_platform", "reporter_id"),
        Index("ix_cases_status", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)  # YYYYMMDD-NNNN
    category: Mapped[str] = mapped_column(String(32))
    compound_id: Mapped[str | None] = mapped_column(String(16), nullable=True)
    building: Mapped[str | None] = mapped_column(String(32), nullable=True)
    spot: Mapped[str | None] = mapped_column(String(64), nullable=True)  # where exactly: "南门小广场", "6楼阳台"
    # the place as the resident described it when it matched no known place: a person places the case
    place_text: Mapped[str | None] = mapped_column(String(128), nullable=True)
    description: Mapped[str] = mapped_column(Text)
    occurred: Mapped[str | None] = mapped_column(String(64), nullable=True)  # time of occurrence, as told
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lng: Mapped[float | None] = mapped_column(Float, nullable=True)
    priority: Mapped[int] = mapped_column(Integer)  # 1 urgent, 2 high, 3 normal, 4 low
    urgent: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(32))  # wechat | open311 channel name | ...
    # report (a problem to fix) | consultation (a question for a call-back); older cases read as report
    kind: Mapped[str] = mapped_column(String(16), default="report", server_default="report")
    reporter_platform: Mapped[str | None] = mapped_column(String(16), nullable=True)
    reporter_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    contact_phone: Mapped[str | None] = mapped_column(String(32), nullable=True)  # shown masked to staff
    anonymous: Mapped[bool] = mapped_column(default=False)
    dept_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    officer_id: Mapped[str | None] = mapped_column(String(16), nullable=True)
    repeat_reports: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # the 1315 clock of the current dispatch: when each stage happened and when it was due
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    departed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sla: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # {"accept": iso, "depart": iso, "arrive": iso}
    joint_verification: Mapped[bool] = mapped_column(default=False)
    dispatch_round: Mapped[int] = mapped_column(Integer, default=0)


class CaseEvent(Base):
    """One step of a case's trace: append-only (who, when, what, note, media)."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(160))  # resident:<platform>:<id> | staff:<id> | system | channel:<name>
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    data: Mapped[dict | None] = mapped_column(JSON, nullable=True)


class CaseMedia(Base):
    __tablename__ = "case_media"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # image | voice | video
    media_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    added_by: Mapped[str] = mapped_column(String(160))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # WeChat keeps temporary media 3 days: bot/background/media.py downloads it into the data directory
    platform: Mapped[str | None] = mapped_column(String(16), nullable=True)
    stored_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    fetch_attempts: Mapped[int] = mapped_column(Integer, default=0)
    fetch_after: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    fetch_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class CaseFollower(Base):
    """A resident who gets a case's progress pushes: its reporter, or one who followed a duplicate."""

    __tablename__ = "case_followers"
    __table_args__ = (UniqueConstraint("case_id", "platform", "user_id", name="uq_case_follower"),
                      Index("ix_case_followers_user", "platform", "user_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))  # reporter | follower
    since: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseNumberDay(Base):
    """The last case number issued on a day; incremented in the creating transaction, so numbers are
    unique across processes (row lock on PostgreSQL, the single writer on SQLite)."""

    __tablename__ = "case_number_days"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)  # YYYYMMDD, local date
    last: Mapped[int] = mapped_column(Integer)


class Conversation(Base):
    """Where a person is in a dialog (state name + slots), per platform identity."""

    __tablename__ = "conversations"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    state: Mapped[str] = mapped_column(String(48))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ResidentPreference(Base):
    """What a resident chose on the residents' web pages (/h5/): the large-text (elderly) mode."""

    __tablename__ = "resident_preferences"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    large_text: Mapped[bool] = mapped_column(default=False, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ResidentSession(Base):
    """A resident logged in to the pages by WeChat web authorisation: the cookie carries a random token, only its
    sha256 is stored, with the identity it proved and the nonce its page tokens (CSRF, offers) derive from."""

    __tablename__ = "resident_sessions"
    __table_args__ = (Index("ix_resident_sessions_user", "platform", "user_id"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128))
    nonce: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- pushes and jobs: the shared access token and the job queue ---------------------------

class AccessToken(Base):
    """An API access token shared by every server process (one row per account, e.g. "wechat:<appid>").

    Whichever process holds the lease (`lease_owner` until `lease_until`, taken by a conditional update)
    fetches a new token ahead of expiry; the others read this row. See storage/tokens.py.
    """

    __tablename__ = "access_tokens"

    name: Mapped[str] = mapped_column(String(96), primary_key=True)
    token: Mapped[str | None] = mapped_column(Text, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(96), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    fetches: Mapped[int] = mapped_column(Integer, default=0)


class Job(Base):
    """Time-based work: run `kind` with `payload` at `due_at` (again every `every_s` seconds if set).

    pending -> done | parked (failed too often; `last_error` says why) | cancelled. A pending job with a
    live lease is being run by `lease_owner`. See storage/jobs.py and bot/background/jobs.py.
    """

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64))
    key: Mapped[str | None] = mapped_column(String(160), unique=True, nullable=True)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    every_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(96), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ReplayNonce(Base):
    """A (timestamp, nonce) a webhook has accepted, kept for the replay window (storage/replay.py): the
    same pair again with the same body is the platform's retry; with another body, a replay."""

    __tablename__ = "replay_nonces"
    __table_args__ = (Index("ix_replay_nonces_expires", "expires_at"),)

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    timestamp: Mapped[str] = mapped_column(String(16), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    body_sha256: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StaffBinding(Base):
    """A messaging identity (WeChat openid, WeCom user id) bound to a staff record."""

    __tablename__ = "staff_bindings"
    __table_args__ = (UniqueConstraint("platform", "user_id", name="uq_staff_binding"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    staff_id: Mapped[str] = mapped_column(String(16), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128))
    bound_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StaffInvite(Base):
    """A one-time binding code (stored hashed) for `绑定 <code>`."""

    __tablename__ = "staff_invites"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    staff_id: Mapped[str] = mapped_column(String(16))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class StaffBindFailure(Base):
    """A wrong binding code sent by one messaging identity: counted per sender over the last hour, so
    codes cannot be guessed by trying many."""

    __tablename__ = "staff_bind_failures"
    __table_args__ = (Index("ix_staff_bind_failures_sender", "platform", "user_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseCohandler(Base):
    """A department joining a case (1+3+N); for joint-verification cases its sign-off is required."""

    __tablename__ = "case_cohandlers"
    __table_args__ = (UniqueConstraint("case_id", "dept_id", name="uq_case_cohandler"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), index=True)
    dept_id: Mapped[str] = mapped_column(String(32))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    added_by: Mapped[str] = mapped_column(String(160))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    verified_by: Mapped[str | None] = mapped_column(String(160), nullable=True)
    opinion: Mapped[str | None] = mapped_column(Text, nullable=True)


# --- EV charging: feeds, live spot and station state, free-spot alerts ---------------------

class ChargingFeed(Base):
    """A sensor/camera feed allowed to post charging updates; its bearer token is stored as sha256."""

    __tablename__ = "charging_feeds"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # the station ids this feed may write; None (feeds made before scoping) = refused until given stations
    stations: Mapped[list | None] = mapped_column(JSON, nullable=True)


class ChargingSpot(Base):
    """The newest known state of one spot (free | occupied | fault) at the sensor's own time."""

    __tablename__ = "charging_spots"

    station_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    spot: Mapped[str] = mapped_column(String(32), primary_key=True)
    state: Mapped[str] = mapped_column(String(8))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the sensor's timestamp
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    feed: Mapped[str] = mapped_column(String(64))


class ChargingLive(Base):
    """A station's current counts, from its spots or from a whole-station count; `reported_at` is the
    sensor time of its newest update (older than CHARGING_STALE_S: shown as unavailable)."""

    __tablename__ = "charging_live"

    station_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    free: Mapped[int] = mapped_column(Integer)
    occupied: Mapped[int] = mapped_column(Integer)
    fault: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(8))  # spots | count
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ChargingAlert(Base):
    """A resident waiting for a free spot: at one station, or any station of a kind within a radius.
    active -> fired (one push) | expired | cancelled."""

    __tablename__ = "charging_alerts"
    __table_args__ = (Index("ix_charging_alerts_active", "status", "expires_at"),
                      Index("ix_charging_alerts_user", "platform", "user_id", "status"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(8))  # ebike | car
    station_id: Mapped[str | None] = mapped_column(String(16), nullable=True)  # None: any within radius_m
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lng: Mapped[float | None] = mapped_column(Float, nullable=True)
    radius_m: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    fired_station: Mapped[str | None] = mapped_column(String(16), nullable=True)


# --- other channels: Open311 channels, their reports, residents' verified phone numbers ----

class Channel(Base):
    """A channel other than WeChat that files cases through the Open311 API (e.g. the 12345 hotline).

    Its API key is stored hashed (sha256); `Case.channel` records the channel's name."""

    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_hint: Mapped[str] = mapped_column(String(16))  # the key's first characters, to tell keys apart
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ChannelReport(Base):
    """One Open311 POST: what the channel sent and the case it became or was merged into (a repeat report)."""

    __tablename__ = "channel_reports"
    __table_args__ = (Index("ix_channel_reports_case", "case_id"),
                      Index("ix_channel_reports_phone", "contact_phone"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    case_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    token: Mapped[str] = mapped_column(String(48), unique=True)
    outcome: Mapped[str] = mapped_column(String(16))  # created | repeat (merged into an open case)
    service_code: Mapped[str | None] = mapped_column(String(32), nullable=True)  # as sent
    address: Mapped[str | None] = mapped_column(Text, nullable=True)
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    contact: Mapped[dict] = mapped_column(JSON, default=dict)  # first_name, last_name, email, device_id, account_id
    contact_phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PhoneBinding(Base):
    """A resident's messaging identity with the phone number they proved they own (by an SMS code)."""

    __tablename__ = "phone_bindings"
    __table_args__ = (UniqueConstraint("platform", "user_id", name="uq_phone_binding"),
                      Index("ix_phone_bindings_phone", "phone"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128))
    phone: Mapped[str] = mapped_column(String(32))
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PhoneCode(Base):
    """A verification code sent to a phone number for `绑定手机` (stored hashed; a few tries, a short life)."""

    __tablename__ = "phone_codes"
    __table_args__ = (Index("ix_phone_codes_user", "platform", "user_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128))
    phone: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Survey(Base):
    """One satisfaction question to one resident: about a resolved case (per dispatch round) or part of a
    community campaign. sent -> answered | no_answer | superseded (the case was reopened since: not counted)."""

    __tablename__ = "surveys"
    __table_args__ = (UniqueConstraint("case_id", "round", "platform", "user_id", name="uq_survey_case_round_user"),
                      Index("ix_surveys_user", "platform", "user_id", "status"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), nullable=True)
    round: Mapped[int] = mapped_column(Integer, default=0)
    campaign_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), nullable=True,
                                                    index=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))  # sent | answered | no_answer | superseded (case reopened since)
    rating: Mapped[str | None] = mapped_column(String(16), nullable=True)  # satisfied | basic | unsatisfied
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SurveyCampaign(Base):
    """A periodic satisfaction survey of the residents who reported in one community."""

    __tablename__ = "survey_campaigns"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    community: Mapped[str] = mapped_column(String(64))
    question: Mapped[str] = mapped_column(Text)
    every_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- dashboard: staff passwords for the web dashboard and its login sessions ---------------

class StaffPassword(Base):
    """A staff member's dashboard password, salted and hashed with scrypt (backend/accounts.py)."""

    __tablename__ = "staff_passwords"

    staff_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(255))  # scrypt$n$r$p$salt$hash (base64)
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DashboardSession(Base):
    """A logged-in dashboard session: the cookie carries a random token, only its sha256 is stored."""

    __tablename__ = "dashboard_sessions"
    __table_args__ = (Index("ix_dashboard_sessions_staff", "staff_id"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoginThrottle(Base):
    """Failed dashboard logins of one account or one client address ("staff:S12", "addr:10.0.0.7"):
    enough failures within the window lock that key until `locked_until` (backend/accounts.py)."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

class AuditEntry(Base):
    """A deliberate look at personal data, or a refused attempt: who, when, what, which case.
    Append-only; the supervisor reads it with `audit list` (backend/audit.py)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"), Index("ix_audit_log_case", "case_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(160))  # staff:<id> | resident:<platform>:<id> | system
    action: Mapped[str] = mapped_column(String(32))  # reveal_contact | erase_resident | ...
    outcome: Mapped[str] = mapped_column(String(32))  # shown | no_phone | refused:<reason> | done
    case_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), nullable=True)
    case_number: Mapped[str | None] = mapped_column(String(16), nullable=True)
    via: Mapped[str | None] = mapped_column(String(32), nullable=True)  # chat | dashboard | cli


class KbEntry(Base):
    """One answer of the street's knowledge base: the question it answers as a resident would ask it, the
    answer, the department that owns it, extra words that find it and residents' phrasings of it
    (backend/kb.py)."""

    __tablename__ = "kb_entries"

    faq_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(String(32), nullable=True)
    keywords: Mapped[list] = mapped_column(JSON, default=list)
    # residents' own ways of asking it, attached from the unanswered questions (masked as they were kept)
    phrasings: Mapped[list] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str | None] = mapped_column(String(160), nullable=True)  # staff:<id> | cli | import


class KbQuestion(Base):
    """A question residents asked that no entry answered, or whose answer the resident said did not solve it,
    grouped by its normalised, masked text: what the knowledge base should learn next. Deleted `log_days` after
    it was last asked (retention)."""

    __tablename__ = "kb_questions"
    __table_args__ = (Index("ix_kb_questions_last", "last_asked_at"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the normalised masked text
    text: Mapped[str] = mapped_column(Text)  # masked: no phone number, no name of a person
    count: Mapped[int] = mapped_column(Integer, default=1)
    first_asked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_asked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # the entry whose answer the resident last said did not solve it; None: no entry answered
    answered_with: Mapped[str | None] = mapped_column(String(16), nullable=True)


class Consultation(Base):
    """One question a resident asked the front door and how it was met, for the street's figures (12345 counts
    consultations): no text, no person."""

    __tablename__ = "consultations"
    __table_args__ = (Index("ix_consultations_at", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(24))  # answered_by_kb | answered_by_choice | answer_not_solved | unknown
    faq_id: Mapped[str | None] = mapped_column(String(16), nullable=True)


class DutyShift(Base):
    """A staff member on duty for residents who ask for a person (`值班` adds the row, `下班` removes it)."""

    __tablename__ = "duty_roster"

    staff_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime)


class Takeover(Base):
    """A resident's request for a person, and the conversation a staff member holds through the bot.

    waiting -> active (a staff member took it with `接入 N`) -> ended; waiting -> missed (nobody took it in
    time: a call-back case was opened) or cancelled (the resident said 结束 first). The staff side is the
    identity that took it: only that identity's words are relayed, and the resident's go only there.
    """

    __tablename__ = "takeovers"
    __table_args__ = (Index("ix_takeovers_resident", "platform", "user_id", "status"),
                      Index("ix_takeovers_staff", "staff_platform", "staff_user_id", "status"),
                      Index("ix_takeovers_requested", "requested_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))  # the resident
    user_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))  # waiting | active | ended | missed | cancelled
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    staff_id: Mapped[str | None] = mapped_column(String(16), nullable=True)
    staff_platform: Mapped[str | None] = mapped_column(String(16), nullable=True)
    staff_user_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the last message either side relayed
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_by: Mapped[str | None] = mapped_column(String(16), nullable=True)  # resident | staff | idle | pickup
    case_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), nullable=True)
