"""The Alembic migrations build exactly the schema the models describe, on both engines."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from server.store.database import create_schema, make_engine
from server.store.models import Base


def test_migrations_build_the_models_schema_and_run_twice_harmlessly(database_url: str) -> None:
    engine = make_engine(database_url)
    create_schema(engine)
    create_schema(engine)  # a restart applies nothing twice
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        assert context.get_current_revision() == "0001"
    indexes = {ix["name"]: ix for ix in inspect(engine).get_indexes("alerts")}
    assert indexes["uq_alerts_one_open"]["unique"]
    engine.dispose()
