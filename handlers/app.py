"""The router every platform's Updates go to, assembled from the handler modules in priority order:
staff commands from bound staff first, then residents' explicit commands (progress), then the intake dialog, then greetings and the menu."""
from handlers import basic, intake, progress, staff
from handlers.dialog import load_dialog
from handlers.router import Router


def build_router() -> Router:
    root = Router("root")
    root.middlewares.extend([load_dialog, staff.load_staff])
    root.include(staff.router)
    root.include(progress.router)
    root.include(intake.router)
    root.include(basic.router)
    return root
