from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("models", "0016_agencies")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Dispatch",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "tenant",
                    fields.ForeignKeyField(
                        "models.Tenant",
                        source_field="tenant_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="dispatches",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "letter",
                    fields.ForeignKeyField(
                        "models.Letter",
                        source_field="letter_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="dispatches",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "agency",
                    fields.ForeignKeyField(
                        "models.Agency",
                        source_field="agency_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="dispatches",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("round", fields.IntField(default=1)),
                ("channel", fields.CharField(max_length=8)),
                ("message_id", fields.CharField(max_length=64)),
                ("state", fields.CharField(max_length=16)),
                ("receipt_id", fields.CharField(default="", max_length=80)),
                ("accept_id", fields.CharField(default="", max_length=80)),
                ("accepted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("acceptor", fields.CharField(default="", max_length=300)),
                ("reason", fields.TextField(default="", unique=False)),
                ("fault", fields.CharField(default="", max_length=40)),
                ("fault_detail", fields.CharField(default="", max_length=500)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "saraban_dispatch",
                "app": "models",
                "unique_together": (("letter", "agency", "round"),),
                "indexes": [Index(fields=["tenant_id", "message_id"]), Index(fields=["tenant_id", "state"])],
                "pk_attr": "id",
                "table_description": "One addressee of a letter sent from here, and how far its delivery went.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ExchangeKey",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "tenant",
                    fields.ForeignKeyField(
                        "models.Tenant",
                        source_field="tenant_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="exchange_keys",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("fingerprint", fields.CharField(unique=True, max_length=64)),
                ("sealed_key", fields.TextField(unique=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("retired_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "saraban_exchange_key",
                "app": "models",
                "indexes": [Index(fields=["tenant_id", "retired_at"])],
                "pk_attr": "id",
                "table_description": "A tenant's key that signs its messages to other agencies (the detached JWS of th-saraban/1.0).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ExchangeMessage",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "tenant",
                    fields.ForeignKeyField(
                        "models.Tenant",
                        source_field="tenant_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="exchange_messages",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("direction", fields.CharField(max_length=3)),
                ("message_id", fields.CharField(max_length=64)),
                ("type", fields.CharField(max_length=24)),
                ("in_reply_to", fields.CharField(default="", max_length=64)),
                (
                    "peer",
                    fields.ForeignKeyField(
                        "models.Agency",
                        source_field="peer_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="messages",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("peer_code", fields.CharField(max_length=40)),
                ("peer_name", fields.CharField(default="", max_length=200)),
                ("channel", fields.CharField(max_length=8)),
                (
                    "letter",
                    fields.ForeignKeyField(
                        "models.Letter",
                        source_field="letter_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="messages",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "dispatch",
                    fields.ForeignKeyField(
                        "models.Dispatch",
                        source_field="dispatch_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="messages",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("subject", fields.CharField(default="", max_length=500)),
                ("letter_number", fields.CharField(default="", max_length=80)),
                ("letter_date", fields.DateField(null=True)),
                ("urgency", fields.CharField(default="normal", max_length=16)),
                ("secrecy", fields.CharField(default="normal", max_length=16)),
                ("blob_key", fields.CharField(max_length=255)),
                ("sha256", fields.CharField(max_length=64)),
                ("size", fields.IntField()),
                ("signature", fields.TextField(default="", unique=False)),
                ("key_id", fields.CharField(default="", max_length=64)),
                ("state", fields.CharField(max_length=12)),
                ("receipt_id", fields.CharField(max_length=80)),
                ("fault", fields.CharField(default="", max_length=40)),
                ("fault_detail", fields.CharField(default="", max_length=500)),
                ("attempts", fields.IntField(default=0)),
                ("reason", fields.TextField(default="", unique=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("done_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "saraban_message",
                "app": "models",
                "unique_together": (("tenant", "direction", "peer_code", "message_id"),),
                "indexes": [
                    Index(fields=["tenant_id", "direction", "state"]),
                    Index(fields=["tenant_id", "letter_id"]),
                ],
                "pk_attr": "id",
                "table_description": "One message of the exchange as this tenant sent or received it, its body kept as evidence.",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="Letter",
            name="addressees",
            field=fields.JSONField(
                default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
            ),
        ),
    ]
