"""Every string a resident or officer reads from bot/, in one place for review."""

HANDLER_FAILED = "抱歉，系统刚才处理您的消息时出了点问题，请稍后再发一次。给您带来不便，敬请谅解。"
