"""Tortoise ORM models. Every tenant-owned row carries ``tenant_id``, and its indexes start with it."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise import models as tortoise_models

from engine import context


class _WithoutSourceComments(tortoise_models.ModelMeta):
    """Skips Tortoise's reading of ``#:`` field comments from the source, which our models do not use.

    Tortoise finds those comments by parsing this whole module once per model class; on Python
    3.11 that took three seconds at every start of the server, the worker and each command.
    """

    def __new__(mcs, name: str, bases: tuple[type, ...], attrs: dict[str, Any]) -> Any:
        attrs.setdefault("_no_comments", True)
        return super().__new__(mcs, name, bases, attrs)


class Model(tortoise_models.Model, metaclass=_WithoutSourceComments):
    """The base of every table below."""

    class Meta:
        abstract = True


class Tenant(Model):
    """A local administration (อปท.): เทศบาล, อบต. or อบจ."""

    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=40, unique=True)
    name_th = fields.CharField(max_length=200)
    name_en = fields.CharField(max_length=200)
    kind = fields.CharField(max_length=20)  # municipality | subdistrict | provincial
    province = fields.CharField(max_length=100)
    reference_prefix = fields.CharField(max_length=6)  # e.g. MH in MH-2569-000123
    # The national register's code of the administration; empty for tenants made before the register.
    # These four columns came after tenants existed: db_default fills the rows already there.
    code = fields.CharField(max_length=20, default="", db_default="")
    kind_th = fields.CharField(max_length=30, default="", db_default="")  # เทศบาลนคร … อบต., อบจ.
    district = fields.CharField(max_length=100, default="", db_default="")  # อำเภอ
    postcode = fields.CharField(max_length=5, default="", db_default="")
    address_th = fields.TextField(default="")
    boundary: Any = fields.JSONField(null=True)  # GeoJSON Polygon/MultiPolygon
    logo_blob = fields.CharField(max_length=200, null=True)
    settings: Any = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "tenant"
        # An index of the model, not db_index: a column added later gets no index from db_index.
        indexes = (("code",),)


class EnabledService(Model):
    """A catalog service a tenant offers, pinned to one definition version, with local parameters."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="services", on_delete=fields.CASCADE
    )
    tenant_id: int
    service_id = fields.CharField(max_length=64)
    version = fields.CharField(max_length=20)
    enabled = fields.BooleanField(default=True)
    parameters: Any = fields.JSONField(default=dict)  # {"fees": {...local rates}, "sla": {...}}
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "enabled_service"
        unique_together = (("tenant", "service_id"),)


class User(Model):
    """An officer or administrator of one tenant."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="users", on_delete=fields.CASCADE
    )
    tenant_id: int
    # Unique per tenant: an administrator learns nothing of the usernames of other municipalities.
    username = fields.CharField(max_length=80)
    display_name = fields.CharField(max_length=200)
    position_th = fields.CharField(max_length=200, default="")
    password_hash = fields.CharField(max_length=255)
    password_changed_at = fields.DatetimeField(null=True)
    totp_secret = fields.CharField(max_length=64, null=True)
    # The TOTP time step of the last accepted code: a code is accepted once, never replayed.
    totp_last_step = fields.BigIntField(null=True)
    # Where the officer is told of work (role notifications, the daily digest); empty: the desk only.
    # Added after officers existed: db_default fills the rows already there.
    email = fields.CharField(max_length=254, default="", db_default="")
    digest = fields.CharField(max_length=16, default="email", db_default="email")  # email | off
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "app_user"
        unique_together = (("tenant", "username"),)


class RoleGrant(Model):
    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="grants", on_delete=fields.CASCADE
    )
    tenant_id: int
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="grants", on_delete=fields.CASCADE
    )
    user_id: int
    role = fields.CharField(max_length=64)

    class Meta:
        table = "role_grant"
        unique_together = (("tenant", "user", "role"),)


class ApiToken(Model):
    """A bearer token of an officer, stored as its SHA-256 digest."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="tokens", on_delete=fields.CASCADE
    )
    tenant_id: int
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="tokens", on_delete=fields.CASCADE
    )
    user_id: int
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()

    class Meta:
        table = "api_token"


class ReferenceCounter(Model):
    """The last reference number issued per tenant and Buddhist-Era year."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="counters", on_delete=fields.CASCADE
    )
    tenant_id: int
    year = fields.IntField()
    last_number = fields.IntField(default=0)

    class Meta:
        table = "reference_counter"
        unique_together = (("tenant", "year"),)


class Submission(Model):
    """One application: the data as submitted, where it stands in its workflow, and its deadlines."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="submissions", on_delete=fields.CASCADE
    )
    tenant_id: int
    reference = fields.CharField(max_length=32)
    service_id = fields.CharField(max_length=64)
    service_version = fields.CharField(max_length=20)
    data: Any = fields.JSONField()
    state = fields.CharField(max_length=64)
    version = fields.IntField(default=1)  # optimistic locking: bumped by every change
    votes: Any = fields.JSONField(default=list)  # parallel approval votes of the current state
    contact_hashes: Any = fields.JSONField(default=list)  # the applicant's phone numbers and IDs, hashed
    tracking_token_hash = fields.CharField(max_length=64)
    submitted_at = fields.DatetimeField()
    state_entered_at = fields.DatetimeField()
    due_at = fields.DatetimeField(null=True)
    state_due_at = fields.DatetimeField(null=True)
    closed = fields.BooleanField(default=False)
    # How it counts towards the time-limit compliance once closed (engine.services.dashboard.VERDICTS).
    sla_verdict = fields.CharField(max_length=16, null=True)
    # When the personal data was removed (retention ended, or an erasure request); the register row stays.
    anonymised_at = fields.DatetimeField(null=True)
    # Channels the applicant asked us to stop sending messages on (e.g. ["sms"]).
    stopped_channels: Any = fields.JSONField(default=list, db_default="[]")
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "submission"
        unique_together = (("tenant", "reference"),)
        indexes = (
            ("tenant_id", "state"),
            # the officers' inbox (work per service and state, counted and paged by deadline) and the
            # dashboard (counts per service, state and verdict), both read from the index alone
            ("tenant_id", "service_id", "state", "closed", "due_at", "sla_verdict"),
            ("tenant_id", "closed", "due_at"),
            ("tenant_id", "due_at"),
        )


class Draft(Model):
    """An unfinished form of a citizen, saved per step and resumed by its secret token."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="drafts", on_delete=fields.CASCADE
    )
    tenant_id: int
    token_hash = fields.CharField(max_length=64, unique=True)
    service_id = fields.CharField(max_length=64)
    service_version = fields.CharField(max_length=20)
    data: Any = fields.JSONField(default=dict)
    step = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "draft"
        indexes = (("tenant_id", "service_id"),)


class Attachment(Model):
    """An uploaded file: its bytes live in the blob store under ``blob_key``."""

    id = fields.CharField(max_length=64, primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="attachments", on_delete=fields.CASCADE
    )
    tenant_id: int
    draft: fields.ForeignKeyNullableRelation[Draft] = fields.ForeignKeyField(
        "models.Draft", related_name="attachments", null=True, on_delete=fields.SET_NULL
    )
    draft_id: int | None
    submission: fields.ForeignKeyNullableRelation[Submission] = fields.ForeignKeyField(
        "models.Submission", related_name="attachments", null=True, on_delete=fields.SET_NULL
    )
    submission_id: int | None
    blob_key = fields.CharField(max_length=255)
    filename = fields.CharField(max_length=255)
    content_type = fields.CharField(max_length=100)
    size = fields.IntField()
    sha256 = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "attachment"
        indexes = (("tenant_id", "submission_id"),)


class AuditEntry(Model):
    """The append-only history of a submission: one row per state change or vote."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="audit", on_delete=fields.CASCADE
    )
    tenant_id: int
    submission: fields.ForeignKeyRelation[Submission] = fields.ForeignKeyField(
        "models.Submission", related_name="history", on_delete=fields.CASCADE
    )
    submission_id: int
    seq = (
        fields.IntField()
    )  # the submission's version this entry created; unique, so races cannot both append
    action = fields.CharField(max_length=64)
    from_state = fields.CharField(max_length=64, null=True)
    to_state = fields.CharField(max_length=64)
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="actions", null=True, on_delete=fields.SET_NULL
    )
    actor_id: int | None
    actor_label = fields.CharField(max_length=200, default="")
    role = fields.CharField(max_length=64)
    input: Any = fields.JSONField(default=dict)
    at = fields.DatetimeField()

    class Meta:
        table = "audit_entry"
        unique_together = (("submission", "seq"),)
        indexes = (("tenant_id", "submission_id"),)


class EffectJob(Model):
    """A side effect waiting to run after its transition committed (the durable effects queue)."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="jobs", on_delete=fields.CASCADE
    )
    tenant_id: int
    # Receipts are jobs of a bill (params["bill"]): no submission or transition behind them.
    submission: fields.ForeignKeyNullableRelation[Submission] = fields.ForeignKeyField(
        "models.Submission", related_name="jobs", null=True, on_delete=fields.CASCADE
    )
    submission_id: int | None
    audit: fields.ForeignKeyNullableRelation[AuditEntry] = fields.ForeignKeyField(
        "models.AuditEntry", related_name="jobs", null=True, on_delete=fields.CASCADE
    )
    audit_id: int | None
    type = fields.CharField(max_length=64)
    params: Any = fields.JSONField(default=dict)
    status = fields.CharField(max_length=16, default="pending")  # pending | running | done | failed
    attempts = fields.IntField(default=0)
    run_after = fields.DatetimeField()
    last_error = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    async def save(self, *args: Any, **kwargs: Any) -> None:
        """A new job keeps the ID of the request that queued it (:data:`engine.context.REQUEST_ID_KEY`)."""
        rid = context.request_id.get()
        if not self._saved_in_db and rid and isinstance(self.params, dict):
            self.params = {context.REQUEST_ID_KEY: rid, **self.params}
        await super().save(*args, **kwargs)

    class Meta:
        table = "effect_job"
        indexes = (("status", "run_after"), ("tenant_id", "submission_id"))


class Notification(Model):
    """A message to the applicant or to the officers of a role, waiting in the outbox for its channel."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="notifications", on_delete=fields.CASCADE
    )
    tenant_id: int
    submission: fields.ForeignKeyRelation[Submission] = fields.ForeignKeyField(
        "models.Submission", related_name="notifications", on_delete=fields.CASCADE
    )
    submission_id: int
    job: fields.OneToOneRelation[EffectJob] = fields.OneToOneField(
        "models.EffectJob", related_name="notification", on_delete=fields.CASCADE
    )
    job_id: int
    recipient = fields.CharField(max_length=64)  # applicant, or a role id
    channels: Any = fields.JSONField(default=list)
    message_th = fields.TextField()
    message_en = fields.TextField()
    sent_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "notification"
        indexes = (("tenant_id", "submission_id"),)


class Delivery(Model):
    """One message on one channel to one address: queued, then sent, retried or failed, as logged."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="deliveries", on_delete=fields.CASCADE
    )
    tenant_id: int
    notification: fields.ForeignKeyNullableRelation[Notification] = fields.ForeignKeyField(
        "models.Notification", related_name="deliveries", null=True, on_delete=fields.CASCADE
    )
    notification_id: int | None
    submission: fields.ForeignKeyNullableRelation[Submission] = fields.ForeignKeyField(
        "models.Submission", related_name="deliveries", null=True, on_delete=fields.CASCADE
    )
    submission_id: int | None
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="deliveries", null=True, on_delete=fields.CASCADE
    )
    user_id: int | None
    channel = fields.CharField(max_length=16)  # email | sms | line | page
    address = fields.CharField(max_length=254, default="")  # blanked with the application's personal data
    masked = fields.CharField(max_length=80, default="")  # what officers and the applicant are shown
    subject = fields.CharField(max_length=300, default="")
    text = fields.TextField(default="")
    html = fields.TextField(default="")
    # queued | sending | sent | failed | stopped | unavailable (no such channel in this installation)
    status = fields.CharField(max_length=16, default="queued")
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    last_error = fields.CharField(max_length=500, default="")
    provider_id = fields.CharField(max_length=200, default="")
    # The "stop these messages" link of the message; also LINE's retry key (one send per delivery).
    key = fields.CharField(max_length=64, unique=True)
    sent_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "delivery"
        indexes = (("status", "next_attempt_at"), ("tenant_id", "submission_id"))


class LineLink(Model):
    """A LINE user of a municipality's Official Account who asked to follow an application."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="line_links", on_delete=fields.CASCADE
    )
    tenant_id: int
    submission: fields.ForeignKeyRelation[Submission] = fields.ForeignKeyField(
        "models.Submission", related_name="line_links", on_delete=fields.CASCADE
    )
    submission_id: int
    line_user_id = fields.CharField(max_length=64)
    linked_at = fields.DatetimeField()

    class Meta:
        table = "line_link"
        unique_together = (("submission", "line_user_id"),)
        indexes = (("tenant_id", "line_user_id"),)


class DocumentCounter(Model):
    """The last document number issued per tenant and Buddhist-Era year."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="document_counters", on_delete=fields.CASCADE
    )
    tenant_id: int
    year = fields.IntField()
    last_number = fields.IntField(default=0)

    class Meta:
        table = "document_counter"
        unique_together = (("tenant", "year"),)


class IssuedDocument(Model):
    """A certificate, permit or receipt: reserved with its number first, then rendered, signed and stored.

    One row per effect job, so a job that runs twice (a worker died) finishes the same
    document with the same number instead of issuing a second one.
    """

    id = fields.IntField(primary_key=True)
    public_id = fields.CharField(max_length=40, unique=True)  # what the QR code and /verify/<id> use
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="documents", on_delete=fields.CASCADE
    )
    tenant_id: int
    submission: fields.ForeignKeyNullableRelation[Submission] = fields.ForeignKeyField(
        "models.Submission", related_name="documents", null=True, on_delete=fields.CASCADE
    )
    submission_id: int | None
    bill: fields.ForeignKeyNullableRelation[Bill] = fields.ForeignKeyField(
        "models.Bill", related_name="receipts", null=True, on_delete=fields.CASCADE
    )
    bill_id: int | None
    job: fields.OneToOneNullableRelation[EffectJob] = fields.OneToOneField(
        "models.EffectJob", related_name="document", null=True, on_delete=fields.SET_NULL
    )
    job_id: int | None
    document_id = fields.CharField(max_length=64)  # the document's id in service.json
    number = fields.CharField(max_length=40)
    title_th = fields.CharField(max_length=300)
    title_en = fields.CharField(max_length=300)
    holder = fields.CharField(max_length=300)
    status = fields.CharField(max_length=16, default="reserved")  # reserved | issued
    blob_key = fields.CharField(max_length=255, default="")
    sha256 = fields.CharField(max_length=64, default="")
    pades_level = fields.CharField(max_length=8, default="")
    issued_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "issued_document"
        indexes = (("tenant_id", "submission_id"),)


class FeeAccountCounter(Model):
    """The last fee account number issued per tenant (one series per tenant, year is always 0)."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="fee_account_counters", on_delete=fields.CASCADE
    )
    tenant_id: int
    year = fields.IntField(default=0)
    last_number = fields.IntField(default=0)

    class Meta:
        table = "fee_account_counter"
        unique_together = (("tenant", "year"),)


class FeeAccount(Model):
    """A recurring fee a household or business pays, opened from an approved registration.

    The account number (e.g. GB-000123) is the payment reference printed on every bill.
    One account per effect job, so a job that runs twice opens one account.
    """

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="fee_accounts", on_delete=fields.CASCADE
    )
    tenant_id: int
    number = fields.CharField(max_length=20)
    service_id = fields.CharField(max_length=64)
    service_version = fields.CharField(max_length=20)
    fee_id = fields.CharField(max_length=64)
    fee_period = fields.CharField(max_length=16, default="monthly")  # monthly | yearly
    rate_class = fields.CharField(max_length=64, default="")
    parameters: Any = fields.JSONField(default=dict)  # the inputs the fee is computed from, as registered
    holder = fields.CharField(max_length=300, default="")
    phone = fields.CharField(max_length=32, default="")
    address = fields.CharField(max_length=500, default="")
    # The address as answered (house_no, moo, …, postcode), for pages that show only part of it.
    address_parts: Any = fields.JSONField(default=dict, db_default="{}")
    first_period = fields.CharField(max_length=7, default="")  # BE year-month of the first bill
    active = fields.BooleanField(default=True)
    submission: fields.ForeignKeyNullableRelation[Submission] = fields.ForeignKeyField(
        "models.Submission", related_name="fee_accounts", null=True, on_delete=fields.SET_NULL
    )
    submission_id: int | None
    job: fields.OneToOneNullableRelation[EffectJob] = fields.OneToOneField(
        "models.EffectJob", related_name="fee_account", null=True, on_delete=fields.SET_NULL
    )
    job_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "fee_account"
        unique_together = (("tenant", "number"),)
        indexes = (("tenant_id", "active", "id"), ("tenant_id", "submission_id"))


class Bill(Model):
    """What one account owes for one period, or a one-off fee on a submission, with its Thai QR payload.

    Unique per tenant, account and period, so a billing run that runs twice bills once.
    One-off bills have no account and are unique per effect job instead.
    """

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="bills", on_delete=fields.CASCADE
    )
    tenant_id: int
    account: fields.ForeignKeyNullableRelation[FeeAccount] = fields.ForeignKeyField(
        "models.FeeAccount", related_name="bills", null=True, on_delete=fields.CASCADE
    )
    account_id: int | None
    submission: fields.ForeignKeyNullableRelation[Submission] = fields.ForeignKeyField(
        "models.Submission", related_name="bills", null=True, on_delete=fields.SET_NULL
    )
    submission_id: int | None
    job: fields.OneToOneNullableRelation[EffectJob] = fields.OneToOneField(
        "models.EffectJob", related_name="bill", null=True, on_delete=fields.SET_NULL
    )
    job_id: int | None
    period = fields.CharField(max_length=7, default="")  # BE year-month, empty for a one-off bill
    fee_ids = fields.CharField(max_length=200)  # comma-separated
    amount = fields.DecimalField(max_digits=12, decimal_places=2)
    ref1 = fields.CharField(max_length=20)
    ref2 = fields.CharField(max_length=20)
    qr_payload = fields.CharField(max_length=255)
    status = fields.CharField(max_length=16, default="unpaid")  # unpaid | partial | paid | cancelled
    paid_amount = fields.DecimalField(max_digits=12, decimal_places=2, default=0)
    settled_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "bill"
        unique_together = (("tenant", "account", "period"),)
        indexes = (("tenant_id", "ref1"), ("tenant_id", "period", "status"), ("tenant_id", "submission_id"))


class BillingRun(Model):
    """One billing period of a tenant: how many bills it created, and whether it finished."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="billing_runs", on_delete=fields.CASCADE
    )
    tenant_id: int
    period = fields.CharField(max_length=7)
    status = fields.CharField(max_length=16, default="running")  # running | completed
    accounts = fields.IntField(default=0)
    created = fields.IntField(default=0)
    existing = fields.IntField(default=0)
    skipped = fields.IntField(default=0)  # accounts without a computable amount, or owing nothing
    total = fields.DecimalField(max_digits=14, decimal_places=2, default=0)
    done = fields.IntField(default=0)  # accounts looked at so far (the progress bar)
    of = fields.IntField(default=0)  # active accounts when the run started
    error = fields.TextField(default="")  # why the last attempt stopped, if it did
    started_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "billing_run"
        unique_together = (("tenant", "period"),)


class Payment(Model):
    """Money a bank, gateway, statement or counter reported, recorded once per transaction ID.

    ``status``: applied (matched to bills), held (nothing to match: unknown reference, or
    waiting for an officer), resolved (an officer settled it by hand), refunded.
    ``problem`` says why an officer should look: underpaid, overpaid, unknown_reference.
    """

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="payments", on_delete=fields.CASCADE
    )
    tenant_id: int
    transaction_id = fields.CharField(max_length=64)
    source = fields.CharField(max_length=16)  # notify | statement | counter
    ref1 = fields.CharField(max_length=20)
    ref2 = fields.CharField(max_length=20, default="")
    amount = fields.DecimalField(max_digits=12, decimal_places=2)
    paid_at = fields.DatetimeField()
    payer = fields.CharField(max_length=200, default="")
    status = fields.CharField(max_length=16, default="held")
    problem = fields.CharField(max_length=32, default="")
    account: fields.ForeignKeyNullableRelation[FeeAccount] = fields.ForeignKeyField(
        "models.FeeAccount", related_name="payments", null=True, on_delete=fields.SET_NULL
    )
    account_id: int | None
    received: Any = fields.JSONField(default=dict)  # the notification or statement row as received
    note = fields.TextField(default="")
    resolved_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="resolved_payments", null=True, on_delete=fields.SET_NULL
    )
    resolved_by_id: int | None
    resolved_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "payment"
        unique_together = (("tenant", "transaction_id"),)
        indexes = (("tenant_id", "status"), ("tenant_id", "ref1"))


class PaymentAllocation(Model):
    """How much of one payment went to one bill (an arrears payment covers several)."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="allocations", on_delete=fields.CASCADE
    )
    tenant_id: int
    payment: fields.ForeignKeyRelation[Payment] = fields.ForeignKeyField(
        "models.Payment", related_name="allocations", on_delete=fields.CASCADE
    )
    payment_id: int
    bill: fields.ForeignKeyRelation[Bill] = fields.ForeignKeyField(
        "models.Bill", related_name="allocations", on_delete=fields.CASCADE
    )
    bill_id: int
    amount = fields.DecimalField(max_digits=12, decimal_places=2)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "payment_allocation"
        unique_together = (("payment", "bill"),)
        indexes = (("tenant_id", "bill_id"),)


class StatementImport(Model):
    """A bank statement file an officer imported: what it held and what became of its rows.

    Checked whole when uploaded, then recorded row by row by the worker (``status`` queued,
    running, completed), so a file of 20,000 rows never holds a web request.
    """

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="statements", on_delete=fields.CASCADE
    )
    tenant_id: int
    filename = fields.CharField(max_length=255)
    sha256 = fields.CharField(max_length=64)
    status = fields.CharField(max_length=16, default="completed")
    blob_key = fields.CharField(max_length=255, default="")
    done = fields.IntField(default=0)  # rows recorded so far (the progress bar)
    outcomes: Any = fields.JSONField(
        default=list
    )  # per row: row, transaction, refs, amount, outcome, payment
    error = fields.TextField(default="")
    rows = fields.IntField(default=0)
    applied = fields.IntField(default=0)
    duplicates = fields.IntField(default=0)
    held = fields.IntField(default=0)
    imported_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="statements", null=True, on_delete=fields.SET_NULL
    )
    imported_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "statement_import"


class Attempt(Model):
    """How many times one thing was tried (a login, a tracking lookup, an upload) in the current window.

    Keyed by a digest, so the table holds no usernames, references, phone numbers or addresses.
    The window's start is kept in epoch milliseconds so one ``INSERT … ON CONFLICT`` statement
    can count a try and restart an ended window on SQLite and PostgreSQL alike.
    """

    id = fields.IntField(primary_key=True)
    scope = fields.CharField(max_length=32)
    key_hash = fields.CharField(max_length=64)
    count = fields.BigIntField(default=0)
    window_start_ms = fields.BigIntField()

    class Meta:
        table = "attempt"
        unique_together = (("scope", "key_hash"),)


class WebSession(Model):
    """A browser session kept on the server: the cookie holds only a random token (stored as its digest).

    Deleting the row ends the session at once: logout, deactivation and a password change do.
    """

    id = fields.CharField(max_length=64, primary_key=True)  # SHA-256 of the token in the cookie
    tenant: fields.ForeignKeyNullableRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="sessions", null=True, on_delete=fields.CASCADE
    )
    tenant_id: int | None
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="sessions", null=True, on_delete=fields.CASCADE
    )
    user_id: int | None
    data: Any = fields.JSONField(default=dict)
    created_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()  # the absolute end, however active the session is

    class Meta:
        table = "web_session"
        indexes = (("user_id",), ("expires_at",))


class AccountEvent(Model):
    """Something that happened to the account of an officer: lockouts, password and two-factor changes, deactivation.

    Shown to the officer at their next login and to the municipality's administrators.
    """

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="account_events", on_delete=fields.CASCADE
    )
    tenant_id: int
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="account_events", on_delete=fields.CASCADE
    )
    user_id: int
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="account_actions", null=True, on_delete=fields.SET_NULL
    )
    actor_id: int | None
    kind = fields.CharField(max_length=32)
    detail: Any = fields.JSONField(default=dict)
    address = fields.CharField(max_length=64, default="")
    at = fields.DatetimeField()
    seen_at = fields.DatetimeField(null=True)  # when the officer was shown it

    class Meta:
        table = "account_event"
        indexes = (("tenant_id", "user_id", "at"),)


class TrackingToken(Model):
    """A further tracking secret of a submission, e.g. a fresh link sent to the phone of the applicant."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="tracking_tokens", on_delete=fields.CASCADE
    )
    tenant_id: int
    submission: fields.ForeignKeyRelation[Submission] = fields.ForeignKeyField(
        "models.Submission", related_name="tracking_tokens", on_delete=fields.CASCADE
    )
    submission_id: int
    token_hash = fields.CharField(max_length=64, unique=True)
    purpose = fields.CharField(max_length=32, default="resent")
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(null=True)

    class Meta:
        table = "tracking_token"
        indexes = (("tenant_id", "submission_id"),)


class SubjectIndex(Model):
    """Which submissions name a person (by a digest of their national ID), to answer their PDPA requests."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="subjects", on_delete=fields.CASCADE
    )
    tenant_id: int
    submission: fields.ForeignKeyRelation[Submission] = fields.ForeignKeyField(
        "models.Submission", related_name="subjects", on_delete=fields.CASCADE
    )
    submission_id: int
    subject_hash = fields.CharField(max_length=64)

    class Meta:
        table = "subject_index"
        unique_together = (("submission", "subject_hash"),)
        indexes = (("tenant_id", "subject_hash"),)


class AccessLogEntry(Model):
    """Who looked at or downloaded personal data: append-only, hash-chained per tenant.

    ``hash`` is SHA-256 over the hash of the previous entry and the canonical JSON of this entry, so a
    changed, removed or inserted row breaks the chain (``thongthin audit verify``).
    """

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="access_log", on_delete=fields.CASCADE
    )
    tenant_id: int
    seq = fields.BigIntField()
    at = fields.DatetimeField()
    actor_id = fields.IntField(null=True)  # kept as a number: the log outlives accounts
    actor_label = fields.CharField(max_length=200, default="")
    action = fields.CharField(max_length=32)
    reference = fields.CharField(max_length=32, default="")
    object_id = fields.CharField(max_length=64, default="")
    subject_hashes: Any = fields.JSONField(default=list)
    address = fields.CharField(max_length=64, default="")
    channel = fields.CharField(max_length=16, default="web")  # web | api | cli | worker
    prev_hash = fields.CharField(max_length=64)
    hash = fields.CharField(max_length=64)

    class Meta:
        table = "access_log"
        unique_together = (("tenant", "seq"),)
        indexes = (("tenant_id", "reference"),)


class DataRequest(Model):
    """A request of a data subject under the PDPA (access/export or erasure) and what was done about it."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="data_requests", on_delete=fields.CASCADE
    )
    tenant_id: int
    kind = fields.CharField(max_length=16)  # export | erase | access_report
    subject_hash = fields.CharField(max_length=64)
    requested_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="data_requests", null=True, on_delete=fields.SET_NULL
    )
    requested_by_id: int | None
    note = fields.TextField(default="")
    outcome: Any = fields.JSONField(default=dict)  # what was exported, erased or kept, and why
    blob_key = fields.CharField(max_length=255, default="")  # the export file, when one was made
    at = fields.DatetimeField()

    class Meta:
        table = "data_request"
        indexes = (("tenant_id", "subject_hash"),)


class PublishedService(Model):
    """One published version of a catalog service: immutable, read alike by every node."""

    id = fields.IntField(primary_key=True)
    service_id = fields.CharField(max_length=64)
    version = fields.CharField(max_length=20)
    content_hash = fields.CharField(max_length=64)  # SHA-256 of the canonical documents and files
    documents: Any = (
        fields.JSONField()
    )  # {"service.json": …, "form.json": …, "ui.json": …, "workflow.json": …}
    files: Any = fields.JSONField(default=dict)  # other files of the folder by relative path (templates)
    changelog = fields.TextField(default="")
    published_by = fields.CharField(max_length=150, default="")
    published_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "published_service"
        unique_together = (("service_id", "version"),)


class ServiceDraft(Model):
    """A service being edited in the studio: its documents and files, not yet a published version."""

    id = fields.IntField(primary_key=True)
    service_id = fields.CharField(max_length=64, unique=True)
    base_version = fields.CharField(max_length=20, default="")  # the published version it started from
    documents: Any = fields.JSONField()
    files: Any = fields.JSONField(default=dict)
    revision = fields.IntField(default=1)  # optimistic locking: bumped by every save
    updated_by = fields.CharField(max_length=150, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "service_draft"


class SetupToken(Model):
    """A one-time link with which a new administrator chooses a password, stored as its SHA-256 digest.

    Good for one use before ``expires_at``: ``used_at`` is set by a conditional UPDATE, so the
    link opened twice at once sets one password.
    """

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="setup_tokens", on_delete=fields.CASCADE
    )
    tenant_id: int
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="setup_tokens", on_delete=fields.CASCADE
    )
    user_id: int
    token_hash = fields.CharField(max_length=64, unique=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "setup_token"
        indexes = (("tenant_id", "user_id"),)


class TenantSigningKey(Model):
    """A municipality's own signing key for one role, set by its administrator in the console.

    ``pkcs12``: the .p12 file and its password, each sealed with the platform key
    (:mod:`engine.services.sealing`, bound to the tenant and role) and never shown again;
    ``pkcs11``: the label of a key on the platform's configured token. The certificate's
    name, serial and validity are kept in the clear for the console. It wins over the
    platform's own key (environment or development PKI) for its role.
    """

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="signing_keys", on_delete=fields.CASCADE
    )
    tenant_id: int
    role = fields.CharField(max_length=64)
    kind = fields.CharField(max_length=8)  # pkcs12 | pkcs11
    sealed_p12 = fields.TextField(default="")  # base64 of the file, sealed
    sealed_password = fields.TextField(default="")
    token_label = fields.CharField(max_length=200, default="")
    subject_cn = fields.CharField(max_length=200)
    serial = fields.CharField(max_length=64)  # hexadecimal, upper case
    not_before = fields.DatetimeField()
    not_after = fields.DatetimeField()
    set_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="signing_keys_set", null=True, on_delete=fields.SET_NULL
    )
    set_by_id: int | None
    set_by_name = fields.CharField(max_length=150, default="")  # the username, or who ran the command
    set_at = fields.DatetimeField()

    class Meta:
        table = "tenant_signing_key"
        unique_together = (("tenant", "role"),)


# --- e-Saraban: official correspondence (engine.saraban, engine.services.saraban) ---


class OrgUnit(Model):
    """A unit of a tenant's organisation (สำนักปลัด, กองคลัง, กองช่าง, …), possibly inside another."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="units", on_delete=fields.CASCADE
    )
    tenant_id: int
    parent: fields.ForeignKeyNullableRelation[OrgUnit] = fields.ForeignKeyField(
        "models.OrgUnit", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    parent_id: int | None
    code = fields.CharField(max_length=40)  # stable, used in URLs and the CLI: "palad", "engineering"
    name_th = fields.CharField(max_length=200)
    name_en = fields.CharField(max_length=200, default="")
    # What follows the agency's letter code on this unit's letters: "ชม 52101" + ".3" = "ชม 52101.3".
    letter_suffix = fields.CharField(max_length=20, default="")
    phone = fields.CharField(max_length=40, default="")
    active = fields.BooleanField(default=True)

    class Meta:
        table = "saraban_unit"
        unique_together = (("tenant", "code"),)


class UnitMember(Model):
    """An officer working in a unit: letters routed to the unit reach every member."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="unit_members", on_delete=fields.CASCADE
    )
    tenant_id: int
    unit: fields.ForeignKeyRelation[OrgUnit] = fields.ForeignKeyField(
        "models.OrgUnit", related_name="members", on_delete=fields.CASCADE
    )
    unit_id: int
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="units", on_delete=fields.CASCADE
    )
    user_id: int
    head = fields.BooleanField(default=False)

    class Meta:
        table = "saraban_unit_member"
        unique_together = (("unit", "user"),)
        indexes = (("tenant_id", "user_id"),)


class SarabanCounter(Model):
    """The last number taken per (tenant, book, unit, Buddhist-Era calendar year), unit "" agency-wide."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="saraban_counters", on_delete=fields.CASCADE
    )
    tenant_id: int
    book = fields.CharField(max_length=20)
    unit = fields.CharField(max_length=40, default="")
    year = fields.IntField()
    last_number = fields.IntField(default=0)

    class Meta:
        table = "saraban_counter"
        unique_together = (("tenant", "book", "unit", "year"),)


class Letter(Model):
    """An official letter as this tenant holds it: received, or drafted here to be sent.

    ``blob_key`` is its PDF as it stands: every stamp and signature is an incremental revision,
    so ``original_sha256`` (the bytes as received or first rendered) stays provable inside it.
    """

    id = fields.IntField(primary_key=True)
    public_id = fields.CharField(max_length=40, unique=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="letters", on_delete=fields.CASCADE
    )
    tenant_id: int
    direction = fields.CharField(max_length=8)  # in | out
    kind = fields.CharField(max_length=20)
    circular = fields.BooleanField(default=False)
    status = fields.CharField(max_length=16)
    subject = fields.CharField(max_length=500)
    salutation = fields.CharField(max_length=300, default="")
    sender = fields.CharField(max_length=300, default="")  # จาก
    recipient = fields.CharField(max_length=1000, default="")  # ถึง
    letter_number = fields.CharField(max_length=80, default="")  # ที่, as printed on the letter
    letter_date = fields.DateField(null=True)  # ลงวันที่
    urgency = fields.CharField(max_length=16, default="normal")
    due_at = fields.DatetimeField(null=True)  # ด่วนภายใน, or what the urgency allows
    secrecy = fields.CharField(max_length=16, default="normal")
    body: Any = fields.JSONField(default=list)  # paragraphs of a drafted letter
    references: Any = fields.JSONField(default=list)  # อ้างถึง
    enclosures: Any = fields.JSONField(default=list)  # สิ่งที่ส่งมาด้วย
    owner_unit: fields.ForeignKeyNullableRelation[OrgUnit] = fields.ForeignKeyField(
        "models.OrgUnit", related_name="letters", null=True, on_delete=fields.SET_NULL
    )
    owner_unit_id: int | None
    # Who holds it now: the target of the latest routing step (unit code, user id or role).
    holder_kind = fields.CharField(max_length=8, default="")  # unit | user | role | ""
    holder = fields.CharField(max_length=80, default="")
    signer_name = fields.CharField(max_length=200, default="")
    signer_position = fields.CharField(max_length=200, default="")
    signed_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="letters_signed", null=True, on_delete=fields.SET_NULL
    )
    signed_by_id: int | None
    signing_method = fields.CharField(max_length=12, default="")  # pades | typed_name
    signed_at = fields.DatetimeField(null=True)
    blob_key = fields.CharField(max_length=255, default="")
    content_type = fields.CharField(max_length=100, default="application/pdf")
    size = fields.IntField(default=0)
    sha256 = fields.CharField(max_length=64, default="")
    original_sha256 = fields.CharField(max_length=64, default="")
    # Where the drafted letter's blanks are, for the number and date stamped at signing.
    layout: Any = fields.JSONField(default=dict)
    search_text = fields.TextField(default="")  # segmented, normalised words for the full-text index
    addressees: Any = fields.JSONField(default=list)  # letter codes of the agencies it goes to
    retention_class = fields.CharField(max_length=16, default="standard")
    retain_until = fields.DateField(null=True)
    legal_hold = fields.BooleanField(default=False)
    destroyed_at = fields.DatetimeField(null=True)
    destruction_ref = fields.CharField(max_length=80, default="")
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="letters_created", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    version = fields.IntField(default=1)  # each change bumps it: two officers cannot both act on one version
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "saraban_letter"
        indexes = (
            ("tenant_id", "status"),
            ("tenant_id", "holder_kind", "holder"),
            ("tenant_id", "created_at"),
        )


class RegisterEntry(Model):
    """One row of a register (ทะเบียน). Never changed: a correction is a new row with the next ``revision``.

    Every number taken is a row: issued to a letter, reserved (จองเลข) until ``reserved_until``,
    or cancelled (ยกเลิก, also when a reservation lapses), so no number is reused or skipped.
    """

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="register_entries", on_delete=fields.CASCADE
    )
    tenant_id: int
    book = fields.CharField(max_length=20)
    unit = fields.CharField(max_length=40, default="")
    year = fields.IntField()
    number = fields.IntField()
    revision = fields.IntField(default=1)
    corrects: fields.ForeignKeyNullableRelation[RegisterEntry] = fields.ForeignKeyField(
        "models.RegisterEntry", related_name="corrections", null=True, on_delete=fields.RESTRICT
    )
    corrects_id: int | None
    state = fields.CharField(max_length=12)  # issued | reserved | cancelled
    number_text = fields.CharField(max_length=80)  # as printed: "ชม 52101/123", "12/2569", "ว 45"
    letter: fields.ForeignKeyNullableRelation[Letter] = fields.ForeignKeyField(
        "models.Letter", related_name="register_entries", null=True, on_delete=fields.SET_NULL
    )
    letter_id: int | None
    registered_at = fields.DatetimeField()
    letter_number = fields.CharField(max_length=80, default="")  # ที่
    letter_date = fields.DateField(null=True)  # ลงวันที่
    sender = fields.CharField(max_length=300, default="")  # จาก
    recipient = fields.CharField(max_length=1000, default="")  # ถึง
    subject = fields.CharField(max_length=500, default="")  # เรื่อง
    action = fields.CharField(max_length=500, default="")  # การปฏิบัติ
    remark = fields.CharField(max_length=500, default="")  # หมายเหตุ
    reserved_until = fields.DatetimeField(null=True)
    by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="register_entries", null=True, on_delete=fields.SET_NULL
    )
    by_id: int | None
    by_name = fields.CharField(max_length=200, default="")

    class Meta:
        table = "saraban_register"
        unique_together = (("tenant", "book", "unit", "year", "number", "revision"),)
        indexes = (("tenant_id", "letter_id"), ("tenant_id", "state", "reserved_until"))


class RoutingStep(Model):
    """One step of a letter's endorsement chain (เกษียน / สั่งการ). Appended, never changed."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="routing_steps", on_delete=fields.CASCADE
    )
    tenant_id: int
    letter: fields.ForeignKeyRelation[Letter] = fields.ForeignKeyField(
        "models.Letter", related_name="steps", on_delete=fields.CASCADE
    )
    letter_id: int
    seq = fields.IntField()
    action = fields.CharField(max_length=24)
    text = fields.TextField(default="")
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="routing_steps", null=True, on_delete=fields.SET_NULL
    )
    actor_id: int | None
    actor_name = fields.CharField(max_length=200, default="")
    actor_position = fields.CharField(max_length=200, default="")
    target_kind = fields.CharField(max_length=8, default="")  # unit | user | role | ""
    target = fields.CharField(max_length=80, default="")
    target_label = fields.CharField(max_length=200, default="")
    due_at = fields.DatetimeField(null=True)
    signing_method = fields.CharField(max_length=12, default="")  # pades | typed_name
    field_name = fields.CharField(max_length=40, default="")
    sha256 = fields.CharField(max_length=64, default="")  # the PDF after this step
    at = fields.DatetimeField()

    class Meta:
        table = "saraban_step"
        unique_together = (("letter", "seq"),)


class LetterAccess(Model):
    """Who may open a letter beyond the registry: the named access list of a classified letter,
    and everyone a letter has been routed to."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="letter_access", on_delete=fields.CASCADE
    )
    tenant_id: int
    letter: fields.ForeignKeyRelation[Letter] = fields.ForeignKeyField(
        "models.Letter", related_name="access", on_delete=fields.CASCADE
    )
    letter_id: int
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="letter_access", on_delete=fields.CASCADE
    )
    user_id: int
    reason = fields.CharField(max_length=20)  # named | routed | author

    class Meta:
        table = "saraban_access"
        unique_together = (("letter", "user"),)
        indexes = (("tenant_id", "user_id"),)


class SarabanChain(Model):
    """The head of a tenant's correspondence audit chain, whose row lock orders concurrent appends."""

    id = fields.IntField(primary_key=True)
    tenant: fields.OneToOneRelation[Tenant] = fields.OneToOneField(
        "models.Tenant", related_name="saraban_chain", on_delete=fields.CASCADE
    )
    tenant_id: int
    last_seq = fields.IntField(default=0)
    last_hash = fields.CharField(max_length=64, default="")

    class Meta:
        table = "saraban_chain"


class SarabanAudit(Model):
    """One event of the correspondence audit trail, chained by its hash to the one before."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="saraban_audit", on_delete=fields.CASCADE
    )
    tenant_id: int
    seq = fields.IntField()
    at = fields.DatetimeField()
    event = fields.CharField(max_length=24)
    letter_public_id = fields.CharField(max_length=40, default="")
    actor_id = fields.IntField(null=True)
    actor_label = fields.CharField(max_length=200, default="")
    detail: Any = fields.JSONField(default=dict)
    prev_hash = fields.CharField(max_length=64)
    hash = fields.CharField(max_length=64)

    class Meta:
        table = "saraban_audit"
        unique_together = (("tenant", "seq"),)
        indexes = (("tenant_id", "letter_public_id"),)


class DestructionList(Model):
    """A บัญชีหนังสือขอทำลาย (แบบที่ 25) of one year, from survey to destruction."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="destruction_lists", on_delete=fields.CASCADE
    )
    tenant_id: int
    year = fields.IntField()  # the Buddhist-Era year whose expired letters it lists
    reference = fields.CharField(max_length=80)
    status = fields.CharField(max_length=16)  # draft | approved | archives | destroyed
    items: Any = fields.JSONField(default=list)  # [{letter: public_id, number, date, subject, ...}]
    committee: Any = fields.JSONField(default=list)  # [{user, name, position, chair, approved_at}]
    blob_key = fields.CharField(max_length=255, default="")
    sha256 = fields.CharField(max_length=64, default="")
    archives_sent_at = fields.DatetimeField(null=True)
    archives_reply = fields.TextField(default="")
    destroyed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "saraban_destruction"
        unique_together = (("tenant", "year"),)


class Agency(Model):
    """An agency of the platform-wide directory that letters travel between (สมุดรายชื่อหน่วยงาน).

    A Thongthin tenant, another e-Saraban system, an e-CMS node or a saraban@ mailbox. Not
    tenant-scoped: every municipality reads the same directory. Only the national operator changes it (:mod:`engine.services.saraban.agencies`). A tenant's own
    entry follows its ``settings["saraban"]["letter_code"]`` and names.
    """

    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=16)  # tenant | external | ecms | email
    tenant: fields.OneToOneNullableRelation[Tenant] = fields.OneToOneField(
        "models.Tenant", related_name="agency", null=True, on_delete=fields.SET_NULL
    )
    tenant_id: int | None
    name_th = fields.CharField(max_length=200)
    name_en = fields.CharField(max_length=200, default="")
    # รหัสตัวพยัญชนะและเลขประจำของส่วนราชการ, Arabic digits, one space: "ชม 52101". NULL when unknown.
    letter_code = fields.CharField(max_length=40, null=True, unique=True)
    ministry_id = fields.CharField(max_length=2, default="")  # e-CMS MinistryOrganization ID, "11"
    department_id = fields.CharField(max_length=5, default="")  # e-CMS DepartmentOrganization ID, "11008"
    endpoint_url = fields.CharField(max_length=500, default="")  # th-saraban/1.0 messages go here
    ecms_url = fields.CharField(max_length=500, default="")
    email = fields.CharField(max_length=254, default="")  # saraban@… (ระเบียบฯ ฉบับที่ 4)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "saraban_agency"
        indexes = (("department_id",),)


class AgencyKey(Model):
    """A certificate whose key signs an agency's messages. Several at once while keys rotate with overlap."""

    id = fields.IntField(primary_key=True)
    agency: fields.ForeignKeyRelation[Agency] = fields.ForeignKeyField(
        "models.Agency", related_name="keys", on_delete=fields.CASCADE
    )
    agency_id: int
    certificate_pem = fields.TextField()
    fingerprint = fields.CharField(max_length=64, unique=True)  # SHA-256 of the DER, lower-case hex
    subject = fields.CharField(max_length=300, default="")
    not_before = fields.DatetimeField()
    not_after = fields.DatetimeField()
    added_at = fields.DatetimeField(auto_now_add=True)
    retired_at = fields.DatetimeField(null=True)

    class Meta:
        table = "saraban_agency_key"
        indexes = (("agency_id", "retired_at"),)


class ExchangeKey(Model):
    """A tenant's key that signs its messages to other agencies (the detached JWS of th-saraban/1.0).

    The private key is sealed with the platform key and never shown. Its certificate is in
    the directory (``AgencyKey`` with the same fingerprint), so other nodes can check the
    signatures. A new key overlaps the old one until the old one is retired.
    """

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="exchange_keys", on_delete=fields.CASCADE
    )
    tenant_id: int
    fingerprint = fields.CharField(max_length=64, unique=True)
    sealed_key = fields.TextField()
    created_at = fields.DatetimeField()
    retired_at = fields.DatetimeField(null=True)

    class Meta:
        table = "saraban_exchange_key"
        indexes = (("tenant_id", "retired_at"),)


class Dispatch(Model):
    """One addressee of a letter sent from here, and how far its delivery went.

    Withdrawing and sending again keeps the row (state ``withdrawn``) and adds one with the next
    ``round``, so the letter page shows the whole story.
    """

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="dispatches", on_delete=fields.CASCADE
    )
    tenant_id: int
    letter: fields.ForeignKeyRelation[Letter] = fields.ForeignKeyField(
        "models.Letter", related_name="dispatches", on_delete=fields.CASCADE
    )
    letter_id: int
    agency: fields.ForeignKeyRelation[Agency] = fields.ForeignKeyField(
        "models.Agency", related_name="dispatches", on_delete=fields.RESTRICT
    )
    agency_id: int
    round = fields.IntField(default=1)
    channel = fields.CharField(max_length=8)  # platform | http | ecms | email
    message_id = fields.CharField(max_length=64)  # of the Letter message
    state = fields.CharField(max_length=16)  # engine.saraban.vocabulary.DELIVERY_STATES
    receipt_id = fields.CharField(max_length=80, default="")
    accept_id = fields.CharField(max_length=80, default="")  # their เลขรับ
    accepted_at = fields.DatetimeField(null=True)
    acceptor = fields.CharField(max_length=300, default="")
    reason = fields.TextField(default="")
    fault = fields.CharField(max_length=40, default="")
    fault_detail = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "saraban_dispatch"
        unique_together = (("letter", "agency", "round"),)
        indexes = (("tenant_id", "message_id"), ("tenant_id", "state"))


class ExchangeMessage(Model):
    """One message of the exchange as this tenant sent or received it, its body kept as evidence.

    ``direction`` out: a message waiting for or past its delivery (``state`` queued, sent, refused).
    ``direction`` in: a letter awaiting registration (``state`` pending, then accepted, rejected,
    invalid or withdrawn), or a notice that was applied (``done``). The same message id from the
    same peer is stored once.
    """

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="exchange_messages", on_delete=fields.CASCADE
    )
    tenant_id: int
    direction = fields.CharField(max_length=3)  # in | out
    message_id = fields.CharField(max_length=64)
    type = fields.CharField(max_length=24)
    in_reply_to = fields.CharField(max_length=64, default="")
    peer: fields.ForeignKeyNullableRelation[Agency] = fields.ForeignKeyField(
        "models.Agency", related_name="messages", null=True, on_delete=fields.SET_NULL
    )
    peer_id: int | None
    peer_code = fields.CharField(max_length=40)
    peer_name = fields.CharField(max_length=200, default="")
    channel = fields.CharField(max_length=8)
    letter: fields.ForeignKeyNullableRelation[Letter] = fields.ForeignKeyField(
        "models.Letter", related_name="messages", null=True, on_delete=fields.SET_NULL
    )
    letter_id: int | None
    dispatch: fields.ForeignKeyNullableRelation[Dispatch] = fields.ForeignKeyField(
        "models.Dispatch", related_name="messages", null=True, on_delete=fields.SET_NULL
    )
    dispatch_id: int | None
    subject = fields.CharField(max_length=500, default="")
    letter_number = fields.CharField(max_length=80, default="")
    letter_date = fields.DateField(null=True)
    urgency = fields.CharField(max_length=16, default="normal")
    secrecy = fields.CharField(max_length=16, default="normal")
    blob_key = fields.CharField(max_length=255)
    sha256 = fields.CharField(max_length=64)
    size = fields.IntField()
    signature = fields.TextField(default="")
    key_id = fields.CharField(max_length=64, default="")
    state = fields.CharField(max_length=12)
    receipt_id = fields.CharField(max_length=80)
    fault = fields.CharField(max_length=40, default="")
    fault_detail = fields.CharField(max_length=500, default="")
    attempts = fields.IntField(default=0)
    reason = fields.TextField(default="")
    created_at = fields.DatetimeField()
    done_at = fields.DatetimeField(null=True)

    class Meta:
        table = "saraban_message"
        unique_together = (("tenant", "direction", "peer_code", "message_id"),)
        indexes = (("tenant_id", "direction", "state"), ("tenant_id", "letter_id"))


class WebhookSubscription(Model):
    """A URL of another system told of a municipality's events, signed with its own secret.

    ``events`` and ``services`` are lists (an empty ``services``: every service); the signing
    secret is kept sealed with the platform key and shown to the admin once, when it is made.
    """

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="webhooks", on_delete=fields.CASCADE
    )
    tenant_id: int
    url = fields.CharField(max_length=2000)
    events: Any = fields.JSONField(default=list)
    services: Any = fields.JSONField(default=list)
    secret_sealed = fields.TextField()
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "webhook_subscription"
        indexes = (("tenant_id", "active"),)


class WebhookDelivery(Model):
    """One attempt to deliver an event to a subscription: what came back, and how long it took."""

    id = fields.IntField(primary_key=True)
    subscription: fields.ForeignKeyRelation[WebhookSubscription] = fields.ForeignKeyField(
        "models.WebhookSubscription", related_name="deliveries", on_delete=fields.CASCADE
    )
    subscription_id: int
    tenant_id = fields.IntField()
    event_id = fields.CharField(max_length=40)
    type = fields.CharField(max_length=40)
    attempt = fields.IntField(default=1)
    at = fields.DatetimeField()
    status_code = fields.IntField(null=True)
    error = fields.CharField(max_length=500, default="")
    duration_ms = fields.IntField(default=0)
    delivered = fields.BooleanField(default=False)

    class Meta:
        table = "webhook_delivery"
        indexes = (("subscription_id", "at"),)


class IdempotencyKey(Model):
    """The answer to one request sent with an ``Idempotency-Key``, replayed when the same request comes again.

    Stored in the transaction that does the work, so there is never work without its answer or an
    answer without its work; the unique constraint decides between concurrent duplicates. Kept
    for a day (see :mod:`engine.services.idempotency`).
    """

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="idempotency_keys", on_delete=fields.CASCADE
    )
    tenant_id: int
    route = fields.CharField(max_length=255)
    key = fields.CharField(max_length=255)
    body_sha256 = fields.CharField(max_length=64)
    status = fields.IntField()
    response: Any = fields.JSONField()
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "idempotency_key"
        unique_together = (("tenant", "route", "key"),)


class ApiKey(Model):
    """A municipality's key for a machine client: scopes, stored as the SHA-256 digest of its secret."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="api_keys", on_delete=fields.CASCADE
    )
    tenant_id: int
    name = fields.CharField(max_length=80)
    key_hash = fields.CharField(max_length=64, unique=True)
    prefix = fields.CharField(max_length=12)
    scopes: Any = fields.JSONField(default=list)  # names from engine.services.api_keys.SCOPES
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="api_keys", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_key"
        indexes = (("tenant_id", "revoked_at"),)


class SubmissionComment(Model):
    """An officers' internal note on an application: never shown to the applicant."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation[Tenant] = fields.ForeignKeyField(
        "models.Tenant", related_name="submission_comments", on_delete=fields.CASCADE
    )
    tenant_id: int
    submission: fields.ForeignKeyRelation[Submission] = fields.ForeignKeyField(
        "models.Submission", related_name="comments", on_delete=fields.CASCADE
    )
    submission_id: int
    author: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="submission_comments", null=True, on_delete=fields.SET_NULL
    )
    author_id: int | None
    # Who wrote it as shown then: the officer's name, or the API key's; kept if the account goes.
    author_label = fields.CharField(max_length=200, default="")
    body = fields.TextField()  # at most engine.services.comments.MAX_BODY characters
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "submission_comment"
        indexes = (("tenant_id", "submission_id", "id"),)
