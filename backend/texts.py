"""Every string a resident or officer reads that backend/ writes into the outbox, in one place."""

# --- a case's status and trace, by audience (keys: backend.lifecycle's statuses and events) -------------
STATUS_RESIDENT = {
    "new": "已受理",
    "dispatched": "已派单，等待网格员响应",
    "accepted": "网格员已接单",
    "en_route": "网格员已出发",
    "on_site": "网格员已到场处理",
    "resolved": "已办结，等待您的评价",
    "closed": "已办结",
    "returned": "正在重新派单",
    "suspended": "多部门联合核实中",
    "reopened": "重新办理中",
}
STATUS_STAFF = {"new": "待派单", "dispatched": "已派单", "accepted": "已接单", "en_route": "已出发",
                "on_site": "已到场", "resolved": "已办结", "closed": "已完结", "returned": "已退回",
                "suspended": "联合核实中", "reopened": "重新办理"}
# Residents (reporter and followers) read these events; an event not named here is staff-internal.
EVENT_RESIDENT = {
    "created": "工单已受理",
    "dispatched": "已派单，等待网格员响应",
    "accepted": "网格员已接单",
    "en_route": "网格员已出发",
    "on_site": "网格员已到场处理",
    "suspended": "已处置，等待相关部门联合核实",
    "resolved": "已办结",
    "closed": "已完结",
    "reopened": "重新办理",
    "returned": "正在重新派单",
    "reassigned": "已转派相关部门",
    "followed": "有居民关注了此问题",
    "repeat_report": "其他渠道也反映了此问题",
    "urged": "居民催办",
    "media_added": "补充了照片",
    "supplemented": "反映人补充了说明",
    "place_added": "补充了位置",
    "revisited": "工作人员已回访",
    "survey_answered": "居民已评价",
}
EVENT_STAFF = {"created": "受理", "dispatched": "派单", "accepted": "接单", "en_route": "出发", "on_site": "到场",
               "arrival_proof": "到场凭证", "resolved_by_officer": "处置完毕", "resolved": "办结", "closed": "完结",
               "reopened": "重办", "reassigned": "改派", "returned": "退回", "suspended": "等待联合核实",
               "verified": "部门核实", "sla_breached": "超时", "escalated": "上报督办", "followed": "重复反映",
               "repeat_report": "渠道重复反映", "media_added": "补充照片", "urged": "居民催办",
               "survey_sent": "发送满意度调查", "survey_answered": "居民评价", "survey_no_answer": "调查未回复",
               "revisit_due": "待回访", "revisited": "回访", "cohandler_added": "协办部门加入",
               "dispatch_unreachable": "无法通知处理人", "media_removed": "照片已删除（到期或居民要求）",
               "personal_data_erased": "居民个人信息已删除",
               "supplemented": "反映人补充说明",
               "place_added": "补充位置", "channel_comment": "渠道说明",
               "conversation": "人工服务留言"}

# --- to residents (reporter and followers) ------------------------------------------------------
RESIDENT_UPDATE = {
    "dispatched": "您反映的工单 {number} 已重新派给网格员{officer}，将尽快处理。",
    "accepted": "您反映的工单 {number} 已由网格员{officer}接单，承诺{arrive_by}前到场。",
    "en_route": "网格员{officer}已出发前往处理工单 {number}。",
    "on_site": "网格员{officer}已到达现场处理工单 {number}。",
    "resolved": "您反映的工单 {number} 已办结：{note}\n如有不满意，可直接回复“不满意”并说明原因；回复“我的工单”可查看进度。",
    "suspended": "工单 {number} 已处置，正在等待相关部门联合核实，核实后统一答复您。",
    "closed": "工单 {number} 已完结，感谢您对社区治理的支持！",
    "reopened": "工单 {number} 已重新启动办理：{note}",
    "channel_comment": "工单 {number} 有新的办理说明：{note}",
    "late": "很抱歉，网格员未能在承诺时间内到达工单 {number} 现场，我们已督促加快处理，请您谅解。",
}
TEMPLATE_STATUS = {
    "dispatched": "已派单", "accepted": "已接单", "en_route": "已出发", "on_site": "已到场", "resolved": "已办结",
    "suspended": "联合核实中", "closed": "已完结", "reopened": "重新办理", "late": "处理延误",
    "channel_comment": "办理说明",
}

# --- to staff -------------------------------------------------------------------------------------
DISPATCH = (
    "【{title}】{number}（{priority}）\n"
    "类别：{category}\n地点：{place}\n描述：{description}\n{photos}"
    "时限：{accept_by}前接单，{depart_by}前出发，{arrive_by}前到场。\n"
    "回复“接单 {number}”接单；之后“出发 {number}”“到场 {number}”“办结 {number} 说明”。"
)
DISPATCH_SUMMARY = "{category}：{description}"  # the dispatch's template fallback, cut to the keyword's length
DISPATCH_PHOTOS = "照片：{urls}\n"
DISPATCH_CONTACT = "联系电话：{phone}（回复“电话 {number}”查看完整号码，每次查看留痕）\n"
DISPATCH_TITLE = {"new": "新工单", "again": "重办工单"}
PRIORITY = {1: "紧急", 2: "较急", 3: "一般", 4: "不急"}
REMINDER = "【超时提醒】工单 {number} 已超过{stage}时限（{due}），请立即处理。"
ESCALATION = "【超时督办】工单 {number}（{place}）{officer}未在时限内{stage}（{due}）。"
STAGE = {"accept": "接单", "depart": "出发", "arrive": "到场"}
URGED = "【居民催办】工单 {number}（{place}）居民催促办理，请尽快处理。"
REVISIT_DUE = "【回访提醒】工单 {number} 已办结{days}天，请回访居民并回复“回访 {number} 结果”（如：回访 {number} 已解决）。"
COHANDLE = "【协办】工单 {number}（{category}，{place}）请贵部门协同处理。处置后请回复“核实 {number} 意见”。"
PLACE_UNKNOWN = "位置待补充"
PLACE_TO_PLACE = "{place}（待定位）"
UNSATISFIED_REASON = "居民评价不满意"
NOTE_FOLLOWED = "重复反映，关注进度"
NOTE_URGED = "居民催办"
RETURNED = "【退回】工单 {number} 被退回：{reason}"
UNREACHABLE_NOTE = "网格员未绑定微信，派单通知已发给督办人员"
# the title of each kind of staff push, as its template fallback shows it
PUSH_TITLE = {"dispatch": "新工单", "sla_reminder": "超时提醒", "sla_escalation": "超时督办", "revisit": "回访提醒",
              "cohandle": "协办", "returned": "退回", "urge": "居民催办", "survey_unsatisfied": "居民不满意",
              "supplement": "居民补充", "place_added": "补充位置", "staff_unreachable": "通知未送达"}
PUSH_TITLE_DEFAULT = "工单通知"
# to supervisors when a push to a staff member had no way to reach them, or a platform stopped taking pushes
STAFF_UNREACHABLE = ("【通知未送达】{name}（{staff_id}）的{what}通知无法送达：{reason}。"
                     "请电话联系，并请管理员配置模板消息或让其绑定企业微信。\n原通知：{text}")
UNREACHABLE_REASON = {"no_template": "超过48小时未与服务号互动，且未配置该类模板消息",
                      "no_template_data": "超过48小时未与服务号互动，且该通知没有模板内容",
                      "interrupted": "发送中断，未确认送达", "gave_up": "多次重试仍失败"}
DELIVERY_PAUSED = ("【推送暂停】{platform}接口拒绝了本服务的调用（错误码 {code}），该平台的所有推送已暂停排队，"
                   "管理员修正配置后自动恢复。其间派单等通知请电话跟进。")
UNREACHABLE_REFUSED = "平台拒收（错误码 {code}）"
UNREACHABLE_SUMMARY = "{name}未收到{what}通知"
PLATFORM_NAME = {"wechat": "微信服务号", "wecom": "企业微信", "sms": "短信"}

# --- EV charging: pushes to residents, the officer's dispatch note ------------------------
CHARGING_KIND = {"ebike": "电瓶车", "car": "汽车"}
CHARGING_ALERT = (
    "【充电空位提醒】{name}刚空出1个{kind}充电位，当前空闲 {free}/{total}{distance}。\n"
    "导航：{url}\n"
    "先到先得。本次提醒已结束，如需再次提醒请发送“充电桩”查询后回复“有空位提醒我”。"
)
CHARGING_DISTANCE = "，距您约{m}米"
CHARGING_ALERT_EXPIRED = "您订阅的充电空位提醒已到期（{hours}小时内未等到空位），提醒已结束。如需继续等待，请发送“充电桩”重新查询。"
DISPATCH_CHARGING = "本小区充电点实时状态：{lines}\n"
DISPATCH_CHARGING_LINE = "{name} 空闲{free}/{total}，故障{fault}（{at}更新）"
DISPATCH_CHARGING_UNAVAILABLE = "{name}（共{total}位）数据暂不可用"

# --- other channels: SMS codes and what Open311 channels read about a case ------------------
SMS_CODE = "【共治】您的验证码是{code}，{minutes}分钟内有效。用于在烟墩街道“共治”服务号绑定手机号，请勿告诉他人。"
OPEN311_STATUS_NOTES = {
    "new": "已受理", "dispatched": "已派单，等待网格员接单", "accepted": "网格员已接单", "en_route": "网格员已出发",
    "on_site": "网格员已到达现场", "resolved": "已办结，待回访", "closed": "已完结",
    "returned": "已退回，重新派单中", "suspended": "已处置，等待相关部门联合核实", "reopened": "重新办理",
}
OPEN311_UPDATE = {
    "created": "已受理", "dispatched": "已派单", "accepted": "网格员已接单", "en_route": "网格员已出发",
    "on_site": "网格员已到达现场", "resolved": "已办结", "closed": "回访完成，已完结", "reassigned": "已转派",
    "returned": "已退回，重新派单", "suspended": "已处置，等待联合核实", "reopened": "重新办理",
    "repeat_report": "收到重复反映", "followed": "收到重复反映",
}
OPEN311_REPEAT_NOTICE = "该位置同类问题已有在办工单 {number}（{status}），本次反映已并入该工单，不重复派单。"
OPEN311_CREATED_NOTICE = "已受理并派单，网格员按“1315”承诺处置。"
OPEN311_URGENT_NOTICE = "紧急事项已按最高优先级派单。"

# --- satisfaction surveys -----------------------------------------------------------------------
SURVEY = (
    "您反映的工单 {number}（{summary}）已办结，请您对处理结果评价：\n"
    "回复 1 满意，2 基本满意，3 不满意；也可以直接回复“满意”“不满意”，并附上您的意见。"
)
SURVEY_REMINDER = "温馨提示：您还没有评价工单 {number} 的处理结果。回复 1 满意，2 基本满意，3 不满意。"
CAMPAIGN = "{question}\n回复 1 满意，2 基本满意，3 不满意；也可以附上您的意见。"
SURVEY_UNSATISFIED = "【不满意重办】工单 {number}（{place}）居民评价不满意：{comment}。已重新派单。"
SURVEY_FOLLOWER_UNSATISFIED = (
    "【跟进居民不满意】工单 {number}（{place}）一位跟进居民评价不满意：{comment}。"
    "工单未重新派单（是否重办以反映人的评价为准），请核实。"
)
SURVEY_RATING = {"satisfied": "满意", "basic": "基本满意", "unsatisfied": "不满意"}

DEADLINE_PASSED = "{at}（已超时）"
SUPPLEMENT = "工单 {number} 的反映人补充说明：{text}"
PLACE_ADDED = "紧急工单 {number} 已补充位置：{place}{point}，请尽快到场。"
PLACE_POINT = "（坐标 {lat:.5f},{lng:.5f}）"

# --- a person when the bot cannot help (backend/takeover.py) ------------------------------------------
TAKEOVER_REQUEST = (
    "【转人工 #{n}】一位居民请求人工服务（当前排队 {waiting} 人）。\n最近消息：\n{lines}\n"
    "回复“接入 {n}”开始对话，“会话”查看排队。{wait}内无人接入将转为回电工单。"
)
TAKEOVER_LINE = "{at} {text}"
TAKEOVER_NO_LINES = "（无文字消息）"
TAKEOVER_CONNECTED = "工作人员{name}已接入，请直接说明您的问题。回复“结束”可结束对话。"
TAKEOVER_FROM_RESIDENT = "【居民 #{n}】{text}"
TAKEOVER_FROM_STAFF = "【工作人员】{text}"
TAKEOVER_MEDIA = {"image": "[图片] {url}", "voice": "[语音消息]", "video": "[视频]", "location": "[位置] {label}",
                  "link": "[链接]"}
# who is told what when a conversation ends, by how it ended: (to the resident, to the staff member)
TAKEOVER_ENDED = {
    "resident": ("本次人工对话已结束。如还有问题，可随时留言或回复“人工”。", "【会话 #{n} 已结束】居民已结束对话。"),
    "staff": ("工作人员已结束本次对话。如还有问题，可随时留言或回复“人工”。", "【会话 #{n} 已结束】"),
    "idle": ("本次人工对话{idle}内没有新消息，已自动结束。如还有问题，可回复“人工”。",
             "【会话 #{n} 已结束】{idle}内没有新消息，已自动结束。"),
}
TAKEOVER_MISSED = "抱歉，工作人员暂时无法接入。已为您登记回电工单 {number}，工作人员会尽快与您联系。"
CALLBACK_DESCRIPTION = "【回电】居民请求人工服务，{wait}内无人接入，请回电。居民留言：{words}"
CALLBACK_NO_WORDS = "（无）"
DURATION_HOURS = "{n}小时"
DURATION_MINUTES = "{n}分钟"
DURATION_SECONDS = "{n}秒"
