"""Every string a resident or officer reads that backend/ writes into the outbox, in one place."""

# --- to residents (reporter and followers) ------------------------------------------------------
RESIDENT_UPDATE = {
    "dispatched": "您反映的工单 {number} 已重新派给网格员{officer}，将尽快处理。",
    "accepted": "您反映的工单 {number} 已由网格员{officer}接单，承诺{arrive_by}前到场。",
    "en_route": "网格员{officer}已出发前往处理工单 {number}。",
    "on_site": "网格员{officer}已到达现场处理工单 {number}。",
    "resolved": "您反映的工单 {number} 已办结：{note}\n如有不满意，可回复“我的工单”查看或再次反映。",
    "suspended": "工单 {number} 已处置，正在等待相关部门联合核实，核实后统一答复您。",
    "closed": "工单 {number} 已完结，感谢您对社区治理的支持！",
    "reopened": "工单 {number} 已重新启动办理：{note}",
    "late": "很抱歉，网格员未能在承诺时间内到达工单 {number} 现场，我们已督促加快处理，请您谅解。",
}
TEMPLATE_STATUS = {
    "dispatched": "已派单", "accepted": "已接单", "en_route": "已出发", "on_site": "已到场", "resolved": "已办结",
    "suspended": "联合核实中", "closed": "已完结", "reopened": "重新办理", "late": "处理延误",
}

# --- to staff -------------------------------------------------------------------------------------
DISPATCH = (
    "【{title}】{number}（{priority}）\n"
    "类别：{category}\n地点：{place}\n描述：{description}\n{photos}"
    "时限：{accept_by}前接单，{depart_by}前出发，{arrive_by}前到场。\n"
    "回复“接单 {number}”接单；之后“出发 {number}”“到场 {number}”“办结 {number} 说明”。"
)
DISPATCH_PHOTOS = "照片：{urls}\n"
DISPATCH_TITLE = {"new": "新工单", "again": "重办工单"}
PRIORITY = {1: "紧急", 2: "较急", 3: "一般", 4: "不急"}
REMINDER = "【超时提醒】工单 {number} 已超过{stage}时限（{due}），请立即处理。"
ESCALATION = "【超时督办】工单 {number}（{place}）{officer}未在时限内{stage}（{due}）。"
STAGE = {"accept": "接单", "depart": "出发", "arrive": "到场"}
URGED = "【居民催办】工单 {number}（{place}）居民催促办理，请尽快处理。"
REVISIT_DUE = "【回访提醒】工单 {number} 已办结{days}天，请回访居民并回复“回访 {number} 结果”（如：回访 {number} 已解决）。"
COHANDLE = "【协办】工单 {number}（{category}，{place}）请贵部门协同处理。处置后请回复“核实 {number} 意见”。"
UNREACHABLE_NOTE = "网格员未绑定微信，派单通知已发给督办人员"
