"""The router every platform's Updates go to, assembled from the handler modules in priority order:
explicit commands (progress) first, then the intake dialog, then greetings and the menu."""
from handlers import basic, intake, progress
from handlers.dialog import load_dialog
from handlers.router import Router


def build_router() -> Router:
    root = Router("root")
    root.middlewares.append(load_dialog)
    root.include(progress.router)
    root.include(intake.router)
    root.include(basic.router)
    return root
