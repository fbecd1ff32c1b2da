"""Every string a resident or officer reads from bot/, in one place for review."""

from handlers.texts import STAFF_HELP

HANDLER_FAILED = "抱歉，系统刚才处理您的消息时出了点问题，请稍后再发一次。给您带来不便，敬请谅解。"

# --- Open311: what a channel's staff read about our services -------------------------------
OPEN311_CONTACT = "烟墩街道“共治”平台（一个口子进出、全程留痕、分级办理）"
OPEN311_KEYS = "接入密钥（api_key）由街道管理员签发：python main.py channel add --name 渠道名称"
OPEN311_ATTRIBUTE = {"building": "在哪栋楼附近？", "time": "一般什么时间发生？"}
OPEN311_ATTRIBUTE_HINT = {"building": "楼栋，如“3栋”“3栋2单元”", "time": "发生时间，如“每天晚上十点以后”"}

# --- the link a push about a case carries to the case's page (/h5/cases/…) -------------------
CASE_PAGE_LINK = "查看工单详情"

DATABASE_BUSY = "抱歉，系统暂时繁忙，请稍后再发一次。紧急情况请直接拨打119/110/120。"

# --- WeCom: what people on the street office's WeCom app read ------------------------------
WECOM_STAFF_ONLY = ("本应用仅供街道工作人员办理工单。工作人员请发送“绑定 绑定码”完成绑定（绑定码向街道管理员索取）；"
                    "居民反映问题请使用“共治”微信服务号。")
WECOM_STAFF_HINT = "这条消息不是工作指令，本应用只办理工单。\n" + STAFF_HELP
WECOM_PHOTO_HINT = "照片请在“办结 工单号 处理说明”之后10分钟内发送，会附到该工单。"
# a WeCom card's title is the push kind's title (backend/texts.py PUSH_TITLE), as on a template
WECOM_CARD_BUTTON = "详情"
