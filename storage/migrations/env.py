"""Alembic environment. The project runs migrations itself (storage.db.Database.migrate), handing
Alembic an open connection; `alembic` on the command line also works with sqlalchemy.url set."""
from alembic import context
from sqlalchemy import create_engine

from storage.models import Base

config = context.config
target_metadata = Base.metadata


def run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:  # pragma: no cover - manual use of the alembic CLI with a sync URL
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn:
        run(conn)
