"""Persistence: Tortoise models, migrations, the ORM loop thread and tenant-scoped repositories."""
