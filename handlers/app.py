"""The router every platform's Updates go to, assembled from the handler modules in priority order:
staff commands from bound staff first; then residents' explicit commands (phone binding, progress),
survey answers, the charging dialog, the intake dialog; greetings and the menu last."""
from handlers import basic, charging, intake, personal, phone, progress, staff, survey
from handlers.dialog import load_dialog
from handlers.router import Router


def build_router() -> Router:
    root = Router("root")
    root.middlewares.extend([load_dialog, charging.settle, staff.load_staff])
    root.include(staff.router)
    root.include(phone.router)  # 绑定手机 / 验证码
    root.include(personal.router)  # 我的信息, 删除我的信息, staff's 电话 N
    root.include(progress.router)
    root.include(survey.router)
    root.include(charging.router)
    root.include(intake.router)
    root.include(basic.router)
    return root
