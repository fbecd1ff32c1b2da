"""The resident-facing router, assembled from the handler modules in priority order."""
from handlers import basic
from handlers.router import Router


def build_router() -> Router:
    root = Router("root")
    root.include(basic.router)
    return root
