"""The router every platform's Updates go to, assembled from the handler modules in priority order.

First the takeover router: duty commands from staff (值班, 下班, 会话, 接入 N), and anyone inside a human
takeover talks to the other side, not to the bot. Then two routers side by side: staff first (binding,
and commands, photos and locations from bound staff; its middleware looks the sender up), then residents
(its middlewares load the person's dialog and end a charging talk the message does not answer): phone
binding, personal data (我的信息, 删除我的信息, and staff's 电话 N, which checks the sender itself), progress,
the pick of a knowledge-base entry offered to a question no entry was sure of (a bare number in reply to it),
survey answers, asking for a person (人工, a second 没解决), the charging dialog, questions the knowledge base
answers (at rest), the intake dialog; greetings and the menu last. A staff photo not meant for a case
declines and reaches the residents' router like anyone's.
"""
from handlers import basic, charging, intake, knowledge, personal, phone, progress, staff, survey, takeover
from handlers.dialog import load_dialog
from handlers.router import Router


def staff_router() -> Router:
    router = Router("staff")
    router.middlewares.append(staff.load_staff)
    router.include(staff.router)
    return router


def staff_desk_router() -> Router:
    """What staff do on a platform that is only theirs (the street office's WeCom app): the duty commands and
    the conversations they took, the staff commands and 电话 N, and nothing of the residents' (no welcome,
    no intake dialog)."""
    router = Router("staff desk")
    router.include(takeover.router)
    router.include(staff_router())
    reveal = router.include(Router("staff reveal"))
    reveal.on(personal.text_matches(personal.REVEAL, "reveal contact"))(personal.reveal)
    return router


def resident_router() -> Router:
    router = Router("resident")
    router.middlewares.extend([load_dialog, charging.settle])
    for part in (phone.router, personal.router, progress.router, knowledge.pick_router, survey.router,
                 takeover.request_router,
                 charging.router, knowledge.router, intake.router, basic.router):
        router.include(part)
    return router


def build_router() -> Router:
    root = Router("root")
    root.include(takeover.router)
    root.include(staff_router())
    root.include(resident_router())
    return root
