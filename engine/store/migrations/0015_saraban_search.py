from tortoise import migrations
from tortoise.migrations import operations as ops

# The words are cut and normalised in Python (engine.services.saraban.search) and stored joined by
# single spaces: the database only splits them again on spaces and indexes whole words.

# SQLite: an FTS5 table whose rowid is the letter's id. Thai vowel and tone marks are Mn/Mc, which
# unicode61 would treat as separators unless named among the token characters.
_SQLITE_FORWARD = """
CREATE VIRTUAL TABLE IF NOT EXISTS saraban_search USING fts5(
    letter_id UNINDEXED,
    tenant_id UNINDEXED,
    words,
    tokenize = "unicode61 remove_diacritics 0 categories 'L* N* Co Mn Mc'"
);
"""
_SQLITE_BACKWARD = "DROP TABLE IF EXISTS saraban_search;"

# PostgreSQL: the words as a tsvector of the 'simple' configuration (no stemming, no stop words)
# with a GIN index; the letter's numbers as plain text, with a trigram index when pg_trgm can be
# had (creating an extension may need rights the application's role lacks: then it goes without,
# and a number's part is found by scanning the tenant's rows).
_POSTGRES_FORWARD = [
    """
    CREATE TABLE IF NOT EXISTS saraban_search (
        letter_id INT NOT NULL PRIMARY KEY REFERENCES saraban_letter (id) ON DELETE CASCADE,
        tenant_id INT NOT NULL REFERENCES tenant (id) ON DELETE CASCADE,
        words TEXT NOT NULL DEFAULT '',
        numbers TEXT NOT NULL DEFAULT '',
        document TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, words)) STORED
    )
    """,
    "CREATE INDEX IF NOT EXISTS saraban_search_document ON saraban_search USING gin (document)",
    "CREATE INDEX IF NOT EXISTS saraban_search_tenant ON saraban_search (tenant_id)",
    """
    DO $$
    BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
    EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'pg_trgm is not available (%): letter numbers are searched without a trigram index', SQLERRM;
    END
    $$
    """,
    """
    DO $$
    BEGIN
        IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
            EXECUTE 'CREATE INDEX IF NOT EXISTS saraban_search_numbers ON saraban_search USING gin (numbers gin_trgm_ops)';
        END IF;
    END
    $$
    """,
]
_POSTGRES_BACKWARD = ["DROP TABLE IF EXISTS saraban_search"]


async def _run(schema_editor, statements) -> None:
    for sql in statements:
        await schema_editor._run_sql(sql)


async def _forward(apps, schema_editor) -> None:
    if schema_editor.DIALECT == "sqlite":
        await _run(schema_editor, [_SQLITE_FORWARD])
    elif schema_editor.DIALECT == "postgres":
        await _run(schema_editor, _POSTGRES_FORWARD)


async def _backward(apps, schema_editor) -> None:
    if schema_editor.DIALECT == "sqlite":
        await _run(schema_editor, [_SQLITE_BACKWARD])
    elif schema_editor.DIALECT == "postgres":
        await _run(schema_editor, _POSTGRES_BACKWARD)


class Migration(migrations.Migration):
    """e-Saraban: the full-text index of letters (FTS5 on SQLite; a tsvector with GIN, and trigrams of
    the numbers when pg_trgm is available, on PostgreSQL)."""

    dependencies = [('models', '0014_saraban')]

    initial = False

    operations = [
        ops.RunPython(_forward, _backward),
    ]
