"""The migrations produce exactly the schema the code declares, on both stores."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from thriives.adapters.db.engine import make_engine
from thriives.adapters.db.migrate import alembic_config, upgrade
from thriives.adapters.db.tables import metadata


def test_migrated_schema_matches_the_declared_tables(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, metadata)
        assert differences == []
        assert set(inspect(engine).get_table_names()) >= set(metadata.tables)
    finally:
        engine.dispose()


def test_downgrade_and_upgrade_again(owner_url: str) -> None:
    from alembic import command

    engine = make_engine(owner_url)
    try:
        command.downgrade(alembic_config(engine), "base")
        assert "incidents" not in inspect(engine).get_table_names()
        upgrade(engine)
        assert "incidents" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
