"""Every string a resident or officer reads from bot/, in one place for review."""

HANDLER_FAILED = "抱歉，系统刚才处理您的消息时出了点问题，请稍后再发一次。给您带来不便，敬请谅解。"

# --- Open311 (issue 9): what a channel's staff read about our services -------------------------------
OPEN311_CONTACT = "烟墩街道“共治”平台（一个口子进出、全程留痕、分级办理）"
OPEN311_KEYS = "接入密钥（api_key）由街道管理员签发：python main.py channel add --name 渠道名称"
OPEN311_ATTRIBUTE = {"building": "在哪栋楼附近？", "time": "一般什么时间发生？"}
OPEN311_ATTRIBUTE_HINT = {"building": "楼栋，如“3栋”“3栋2单元”", "time": "发生时间，如“每天晚上十点以后”"}
