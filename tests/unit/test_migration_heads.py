"""Feature branches each add a revision from the same parent; the schema must still have one head, or the
next revision has no single parent to name and two servers can disagree on what "newest" is."""
from alembic.config import Config
from alembic.script import ScriptDirectory

from storage.db import MIGRATIONS_DIR


def test_the_migrations_have_one_head():
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    heads = ScriptDirectory.from_config(cfg).get_heads()
    assert len(heads) == 1, heads
