"""Every string a resident or officer reads from handlers/, in one place for review."""

from backend import texts as backend_texts

WELCOME = (
    "您好，欢迎关注烟墩街道“共治”服务号！\n"
    "在这里可以随手反映身边的问题（占道经营、油烟噪音、路灯井盖、垃圾堆放、飞线充电等），"
    "我们会派网格员按“1315”承诺尽快处理，并把进度告诉您。\n\n"
)

MENU = (
    "您可以：\n"
    "1. 直接描述问题，如“滨湖欣园3栋楼下有人占道摆摊”，可附照片或位置\n"
    "2. 发送“我的工单”查询办理进度\n"
    "3. 发送“充电桩”查询附近空闲充电位\n"
    "4. 发送“帮助”查看使用说明\n"
    "5. 发送“我的信息”查看或删除街道保存的您的个人信息\n"
    "如遇火灾、燃气泄漏、有人受伤等紧急情况，请立即拨打119/110/120。"
)

HELP = "使用帮助\n" + MENU

REPORT_PROMPT = "请直接描述您遇到的问题和地点，比如“滨湖欣园3栋楼下有人占道摆摊”，也可以先发照片或位置。"

GREETING = "您好！" + MENU

VOICE_NOT_RECOGNIZED = "抱歉，没能听清这段语音。请用文字描述一下您遇到的问题，比如“几号楼、什么问题”。"

IMAGE_RECEIVED = "已收到您的照片。请再用文字说明一下是什么问题、在哪个小区几栋附近。"

VIDEO_RECEIVED = "已收到您的视频。请再用文字说明一下是什么问题、在哪个小区几栋附近。"

LOCATION_RECEIVED = "已收到您的位置（{label}）。请再用文字说明一下遇到了什么问题。"

LINK_RECEIVED = "已收到您分享的链接。如需反映问题，请直接用文字描述问题和地点。"

UNSUPPORTED = "暂时无法识别这类消息。请用文字描述您遇到的问题。\n\n" + MENU

EMPTY_TEXT = "您好像发送了一条空消息。" + MENU

# --- intake dialog ---------------------------------------------------------------------------

ASK_DESCRIPTION = "请问遇到了什么问题？请简单描述一下，比如“楼下有人占道摆摊”。"
ASK_PLACE = "请问是在哪里？可以说小区和楼栋，也可以说路名、路口、门牌号或附近的标志（如“紫云路88号门口”），或直接发送位置。"
ASK_BUILDING = "请问是在{compound}的几号楼附近？（不清楚可回复“跳过”）"
ASK_SPOT = "请问在{place}的具体什么位置？比如门牌号、哪个门口、附近的标志。（不清楚可回复“跳过”）"
ASK_TIME = "请问一般是什么时间发生的？比如“每天晚上十点以后”。（不清楚可回复“跳过”）"
CHOOSE_CATEGORY = "请问您反映的是哪一类问题？请回复序号：\n{options}\n都不是请直接再描述一下。"
CHOOSE_COMPOUND = "您说的地名对应多个地点，请问是哪一个？请回复序号：\n{options}\n都不是请回复“都不是”，可以直接描述地点或发送位置。"
CONFIRM_LOCATION = "您发送的位置离「{compound}」最近（约{distance}米），是{this}吗？回复 1 是，2 不是。"
THIS_COMPOUND = "这个小区"
THIS_PLACE = "这里"
DESCRIBE_PLACE = "好的。请发送位置（点击输入框旁的＋号→位置），或用文字描述具体地点，比如路名、门牌号、附近的店铺或标志。"
PLACE_NOTED = "已记下地点「{place}」，工作人员会核实具体位置。"
PLACE_LEFT_TO_STAFF = "好的，地点请工作人员与您核实。"
LOCATION_KEPT = "好的，按您发送的位置记录，工作人员会核实具体地点。"
LOCATION_DENIED = "好的。说不清具体地点可回复“跳过”，将按您发送的位置记录。"
LOCATION_NOT_NEAR = "您发送的位置附近没有本街道登记的地点，已按您发送的位置记录，工作人员会核实。"
SHARED_LOCATION = "居民发送的位置"
PLACE_TO_CHECK = "{place}（待工作人员核实）"
OPTION = "{n}. {label}"

SUMMARY = (
    "请核对您要反映的问题：\n"
    "类别：{category}\n"
    "地点：{place}\n"
    "{time_line}"
    "描述：{description}\n"
    "照片：{photos}\n"
    "联系电话：{phone}{anonymous}\n"
    "回复 1 确认提交，2 修改，3 取消。\n"
    "如需留联系电话可直接回复手机号；回复“匿名”可匿名反映。"
)
SUMMARY_TIME = "时间：{time}\n"
LONG_DESCRIPTION = "{start}（共{n}字，已完整记录）"
NO_PHOTOS = "无（可随时发送照片补充）"
PHOTOS = "{n}张"
NO_PHONE = "未留（可选）"
ANONYMOUS = "（匿名反映）"
NOT_GIVEN = "未说明"

MODIFY_MENU = "请问要修改哪一项？请回复序号：\n1. 问题类别\n2. 地点\n3. 问题描述\n4. 发生时间\n5. 联系电话\n回复“返回”回到确认页。"
ASK_NEW_DESCRIPTION = "请重新描述一下问题。"
ASK_PHONE = "请回复您的手机号码（仅用于工作人员联系您，对外隐藏）。"
PHONE_NOT_UNDERSTOOD = "没有识别到手机号码，请回复11位手机号，或回复“跳过”。"
BACK_WORDS = {"返回", "回到确认", "不改了"}

DUPLICATE_FOUND = (
    "{place}的“{category}”问题已有居民在{when}反映，正在办理中。是否关注它的进度？\n"
    "回复 1 关注（进度会同步推送给您），回复 2 仍单独提交您的反映。"
)
REPEAT_FOUND = (
    "您已反映过 {number}（{place}，“{category}”，{when}），正在办理中。补充说明吗？\n"
    "回复 1 把这次的内容补充到该工单，回复 2 这是另一个问题、单独提交。"
)
SUPPLEMENTED = "已把您的补充说明加到工单 {number}，办理人员会看到。发送“我的工单”可随时查看进度。"
FOLLOWED = "已为您关注工单 {number}，办理进度会同步推送给您。发送“我的工单”可随时查看。"
ALREADY_FOLLOWING = "您已经在关注工单 {number}，办理进度会同步推送给您。"

CREATED = (
    "已受理，工单号 {number}。\n"
    "{promise}\n"
    "处理进度会及时推送给您，发送“我的工单”可随时查询。"
)
OFFICER_ASSIGNED = "已派给网格员{name}。"
PROMISE_1315 = "按“1315”承诺：1分钟响应、3分钟出发、15分钟到场。"
PROMISE_SLOW = "此类问题需相关部门核查处理，办理周期较长，我们会全程告知进展。"
URGENT_CREATED = (
    "{notice}\n"
    "我们已同步登记为紧急工单 {number}，已通知网格员和相关部门立即处置。"
    "{place_hint}"
)
URGENT_PLACE_HINT = "\n如方便，请直接发送您的位置，便于快速到场。"
URGENT_NOTICE = "情况紧急！请立即拨打119（火警）、110（报警）或120（急救），并远离危险区域。"

CANCELLED = "已取消本次反映。如需反映其他问题，直接描述即可。"
NOTHING_TO_CANCEL = "您当前没有正在填写的反映。" + "\n"
NOTHING_TO_CONFIRM = "您当前没有待确认的反映。请直接描述您遇到的问题，比如“滨湖欣园3栋楼下有人占道摆摊”。"
EXPIRED = "您之前未完成的反映已超过{idle}未回复，已自动取消。"
PHOTO_ADDED = "已收到照片（共{n}张）。"
PHOTO_LIMIT = "照片最多{n}张，这张没有添加。"
IN_DIALOG_REMINDER = "（您正在反映问题）"
NOT_UNDERSTOOD_CHOICE = "没能识别您的选择，请回复序号。"
LOCATION_START = "已收到您的位置。"
DETAIL_ADDED = "已补充说明：{detail}"
EVERYWHERE = "全小区"  # where a problem is when the resident says it is all over the compound
CORRECTED = "已更正：{value}"
# a message that is nothing for the report: a short answer, then the same question again
ASIDE = {
    "empty": "您好像发送了一条空消息。",
    "chitchat": "我是烟墩街道“共治”服务号的自动助手，正在帮您登记反映的问题。",
    "question": "这个问题我暂时答不上来，您可以拨打街道服务电话咨询。您的反映还没有提交：",
    "staff_command": "这是工作人员使用的指令。您的反映还没有提交：",
}
ASIDE_AT_REST = {
    "empty": EMPTY_TEXT,
    "chitchat": "您好！我是烟墩街道“共治”服务号的自动助手。" + MENU,
    "question": "这个问题我暂时答不上来，您可以拨打街道服务电话咨询。" + MENU,
    "staff_command": "这是工作人员使用的指令，需先绑定工作人员身份。如需反映问题，请直接描述问题和地点。",
}
URGENT_ASK_PLACE = "请发送您的位置，或告诉我们在哪个小区、几栋，我们会补充到紧急工单 {number}。"
URGENT_PLACE_NOT_FOUND = "没有找到这个地点。"
URGENT_PLACE_ADDED = "已把位置补充到紧急工单 {number}，并已通知处置人员。请注意安全。"

# --- progress -----------------------------------------------------------------------------------

STATUS = backend_texts.STATUS_RESIDENT
NO_CASES = "您还没有反映过问题。直接描述您遇到的问题即可反映，比如“滨湖欣园3栋楼下有人占道摆摊”。"
MY_CASES = "您的工单（最近{n}条）：\n{lines}\n发送工单号可查看办理详情，发送“催办 工单号”可催促办理。"
CASES_PAGE = "\n在页面中查看进度、补充照片、评价：{url}"  # {PUBLIC_URL}/h5/cases, inside WeChat
CASE_PAGE = "\n在页面中查看：{url}"  # {PUBLIC_URL}/h5/cases/<number>
CASE_LINE = "{number}｜{category}｜{place}｜{status}{role}\n  最新：{last}"
FOLLOWED_MARK = "（关注）"
CASE_DETAIL = "工单 {number}\n类别：{category}\n地点：{place}\n状态：{status}\n描述：{description}\n办理记录：\n{timeline}"
CASE_DETAIL_PUBLIC = ("工单 {number}（您关注的问题）\n类别：{category}\n地点：{place}\n状态：{status}\n反映时间：{created}\n"
                      "办理记录：\n{timeline}")
TIMELINE_LINE = "{at} {what}{note}"
CASE_NOT_FOUND = "没有找到工单 {number}，或该工单不是您反映或关注的。请检查工单号，发送“我的工单”可查看您的全部工单。"
URGED = "已催办工单 {number}，我们会提醒处理人员尽快办理。"
URGE_CLOSED = "工单 {number} 已办结，无需催办。如问题仍未解决，可直接再次反映。"
URGE_WHICH = "请在“催办”后附上工单号，例如“催办 20261127-0012”。"
DIALOG_PENDING = "\n\n（您还有一条未完成的反映，回复“取消”可放弃。）"

# --- staff ----------------------------------------------------------------------------------------

STAFF_HELP = (
    "工作人员指令（N 为工单号，可只写末尾几位）：\n"
    "待办 — 我的待办工单\n接单 N ｜ 出发 N ｜ 到场 N（先发送位置可作到场凭证）\n"
    "办结 N 处理说明（随后发的照片会附到工单）\n转派 N 部门 ｜ 协办 N 公安 交警 市场监管\n"
    "定位 N 地点（督办：为只有文字描述的工单指定地点，如“定位 N 紫云路”）\n"
    "核实 N 意见（协办部门签核）｜ 退回 N 原因\n回访 N 结果（如“已解决”或“未解决”）｜ 统计\n"
    "电话 完整工单号 — 查看居民联系电话（限本工单网格员和督办，每次查看留痕）\n"
    "值班 ｜ 下班 — 接待请求人工服务的居民 ｜ 会话 — 排队的居民 ｜ 接入 N — 开始对话（对话中回复“结束”结束）"
)
BOUND = "绑定成功：{name}（{role}）。发送“帮助”查看工作指令。"
BIND_FAILED = "绑定码无效或已过期，请联系管理员重新生成。"
BIND_LOCKED = "绑定码错误次数过多，请一小时后再试，或联系管理员。"
ROLE = {"officer": "网格员", "liaison": "部门联络员", "supervisor": "督办"}
NO_OPEN = "当前没有待办工单。"
TODO = "待办工单共{n}件（按紧急程度、新的在前；第{page}/{pages}页）：\n{lines}{more}"
TODO_MORE = "\n回复“待办 {next}”看下一页。"
TODO_LINE = "{number}｜{status}｜{category}｜{place}{due}"
TODO_DUE = "｜{stage}时限 {at}"
WHICH_CASE = "请写明工单号，例如“{verb} {example}”。"
CASE_UNKNOWN = "没有找到工单 {number}。"
CASE_AMBIGUOUS = "“{number}”对应多个工单，请写完整工单号。"
NOBODY = "待派人员"
DONE = {
    "place": "工单 {number} 已定位到“{place}”，已重新派给{officer}。",
    "accept": "已接单 {number}，请在{depart_by}前出发、{arrive_by}前到场。",
    "depart": "已记录出发 {number}。",
    "arrive": "已记录到场 {number}{proof}。处置完成后回复“办结 {number} 处理说明”。",
    "resolve": "工单 {number} 已办结，已通知居民。{photos}",
    "suspended": "工单 {number} 已处置，等待协办部门核实：{depts}。全部核实后统一答复居民。",
    "reassign": "工单 {number} 已转派{dept}。",
    "cohandle": "已为工单 {number} 添加协办部门：{depts}。",
    "verify": "已签核工单 {number}。",
    "verified_all": "已签核工单 {number}，全部部门核实完毕，已统一答复居民。",
    "return": "工单 {number} 已退回督办重新派单。",
    "closed": "回访完成，工单 {number} 已完结。",
    "reopened": "回访未解决，工单 {number} 已重新派单办理。",
}
PROOF_OK = "（位置凭证：距小区约{m}米）"
PROOF_FAR = "（注意：您发送的位置距小区约{m}米，超过300米）"
REFUSED = {
    "not_accepted": "工单 {number} 尚未接单，不能{verb}。",
    "already_done": "工单 {number} 已{verb}过了。",
    "wrong_state": "工单 {number} 当前状态为“{status}”，不能{verb}。",
    "closed": "工单 {number} 已办结，不能{verb}。",
    "not_yours": "工单 {number} 不在您的网格，无权{verb}。",
    "not_your_dept": "工单 {number} 不属于您的部门，无权{verb}。",
    "not_cohandler": "您的部门不是工单 {number} 的协办部门。",
    "not_resolved": "工单 {number} 尚未办结，不能回访。",
    "unknown_dept": "没有识别到部门：{names}。可用：公安、交警、市场监管、住建、环卫、园林、市政、水务、消防、社区、物业。",
    "need_note": "请附上说明，例如“{verb} {number} 已清理完毕”。",
    "supervisors_only": "只有督办可以{verb}工单 {number}。",
    "unknown_place": "没有找到地点“{place}”。请写本街道的小区、道路、路口或场所名称，例如“定位 N 紫云路”。",
}
VERB = {"accept": "接单", "depart": "出发", "arrive": "到场", "resolve": "办结", "reassign": "转派", "place": "定位",
        "cohandle": "添加协办", "verify": "核实", "return": "退回", "revisit": "回访"}
PHOTO_ATTACHED = "已将照片附到工单 {number}（共{n}张）。"
LOCATION_NOTED = "已记录您的位置。发送“到场 工单号”时将作为到场凭证。"
LOCATION_PROOF = "已记录工单 {number} 的到场位置{proof}。"
STATS = "本月统计（{name}）：\n派给我的工单 {total} 件\n按时接单 {on_time} 件\n已办结 {resolved} 件\n在办 {open} 件"
SOLVED_WORDS = ("已解决", "解决了", "满意", "好了", "已处理", "没问题", "正常")

# --- phone binding: see cases reported by phone (12345 hotline) under 我的工单 ---------------
PHONE_HOW = "请发送“绑定手机 手机号”，例如“绑定手机 13812345678”。绑定后，您用这个号码通过12345热线等渠道反映的问题也会显示在“我的工单”里。"
PHONE_BAD = "“{phone}”不是有效的手机号码。请发送“绑定手机 13812345678”这样的11位手机号。"
PHONE_CODE_SENT = "验证码已发送至 {phone}，10分钟内有效。请回复“验证码 123456”（换成您收到的6位数字）完成绑定。"
PHONE_TOO_SOON = "验证码刚刚发送过，请稍等一分钟再试。"
PHONE_TOO_MANY = "今天获取验证码的次数太多了，请明天再试。"
PHONE_BOUND = "手机号 {phone} 绑定成功！用这个号码反映的问题（包括12345热线）都会显示在“我的工单”里。"
PHONE_CODE_WRONG = "验证码不正确，请核对后重新发送“验证码 6位数字”。"
PHONE_CODE_LOCKED = "验证码错误次数过多，已失效。请重新发送“绑定手机 手机号”获取新的验证码。"
PHONE_CODE_EXPIRED = "验证码已过期，请重新发送“绑定手机 手机号”获取新的验证码。"
PHONE_NO_CODE = "没有待验证的手机号。请先发送“绑定手机 手机号”获取验证码。"
PHONE_UNBOUND = "已解除手机号绑定。"
PHONE_NOT_BOUND = "您还没有绑定手机号。"

# --- EV charging ---------------------------------------------------------------------------

# what residents type to ask (matched whole, after normalising), and the words that tell the kind
CHARGING_WORDS = {"充电桩", "充电", "充电查询", "查充电桩", "找充电桩", "充电位", "充电站", "空闲充电位", "充电点",
                  "电瓶车充电", "电动车充电", "电瓶车充电桩", "电动车充电桩", "汽车充电", "汽车充电桩",
                  "新能源充电桩", "新能源汽车充电", "查询充电桩", "附近充电桩"}
CHARGING_EBIKE_WORDS = ("电瓶车", "电动车", "电单车", "电动自行车", "电驴", "两轮")
CHARGING_CAR_WORDS = ("汽车", "新能源车", "轿车", "小车", "私家车", "四轮")
CHARGING_SUBSCRIBE_WORDS = {"有空位提醒我", "有空位时提醒我", "有空位通知我", "有空位告诉我", "空位提醒", "提醒我",
                            "订阅提醒", "有空了提醒我", "有空位了提醒我", "有空位叫我"}
CHARGING_CANCEL_ALERT_WORDS = {"取消提醒", "取消空位提醒", "不用提醒了", "取消订阅", "关闭提醒", "停止提醒"}

CHARGING_KIND = {"ebike": "电瓶车", "car": "汽车"}
CHARGING_ASK_KIND = "请问您要给电瓶车还是汽车充电？回复 1 电瓶车，2 汽车。"
CHARGING_ASK_WHERE = "请发送您的位置（点输入框旁的“+”→“位置”），或直接回复小区名称，我帮您找附近有空位的{kind}充电点。"
CHARGING_PLACE_NOT_FOUND = "没有找到这个小区。请发送您的位置，或回复本街道的小区名称。"
CHARGING_FROM_COMPOUND = "按您反映过问题的小区「{place}」查找（发送位置可按当前位置查找）。\n"
CHARGING_LIST = "离{origin}最近、有空位的{kind}充电点：\n{lines}\n{footer}"
CHARGING_NONE_FREE = "附近暂时没有空闲的{kind}充电位。离{origin}最近的充电点：\n{lines}\n{footer}"
CHARGING_NO_STATIONS = "本街道暂未登记{kind}充电点。"
CHARGING_LINE = "{n}. {name}（{distance}）\n   {state}\n   导航：{url}"
CHARGING_STATE_FREE = "空闲 {free}/{total}，{fresh}更新"
CHARGING_STATE_FULL = "已满 0/{total}，{fresh}更新"
CHARGING_STATE_UNAVAILABLE = "数据暂不可用（共{total}位）"
CHARGING_FOOTER = "回复序号订阅该点的空位提醒；回复“有空位提醒我”，附近{radius}米内有空位时通知您（{hours}小时内有效）。"
CHARGING_ORIGIN_LOCATION = "您的位置"
CHARGING_DISTANCE_M = "约{m}米"
CHARGING_DISTANCE_KM = "约{km:.1f}公里"
CHARGING_JUST_NOW = "刚刚"
CHARGING_MINUTES_AGO = "{m}分钟前"
CHARGING_HOURS_AGO = "{h}小时前"
CHARGING_SUBSCRIBED_STATION = "已为您订阅「{name}」的空位提醒：{hours}小时内有空位时第一时间通知您（先订先得）。回复“取消提醒”可取消。"
CHARGING_FREE_NOW = "该点目前空闲{free}个，可直接前往。"
CHARGING_SUBSCRIBED_AREA = (
    "已为您开启空位提醒：{origin}附近{radius}米内的{kind}充电点有空位时第一时间通知您"
    "（{hours}小时内有效，先订先得）。回复“取消提醒”可取消。"
)
CHARGING_ALERT_CANCELLED = "已取消充电空位提醒。"
CHARGING_NO_ALERT = "您当前没有充电空位提醒。发送“充电桩”可查询附近空闲充电位。"
CHARGING_CLOSED = "已退出充电查询。"
CHARGING_DRAFT_BACK = "\n（您还有一条未完成的反映，可以继续回复。）"

# --- satisfaction surveys ------------------------------------------------------------------------

# What a survey answer did, per `backend.surveys.Settled.outcome` (and the rating, when it matters).
SURVEY_THANKS = {
    "closed": "感谢您对工单 {number} 的评价（{label}），工单已完结。欢迎继续参与社区共治。",
    "recorded": "感谢您对工单 {number} 的评价（{label}），已记录。",
    "reopen": "很抱歉没能让您满意。工单 {number} 已重新派单办理（重办），督办人员也已知悉，我们会尽快给您答复。",
    "flag": ("很抱歉没能让您满意。您对工单 {number} 的评价（不满意）已记录，并已转告督办人员核实；"
             "是否重新办理以反映人的评价和核实结果为准，有进展会通知您。"),
    "superseded": "工单 {number} 已在重新办理中，本次评价不再计入；办结后会再请您评价。",
    "already": "您已评价过工单 {number}（{label}），无需重复评价。{state}",
}
# After "already": where the case stands now, by lifecycle group.
SURVEY_CASE_NOW = {
    "open": "工单目前正在重新办理，如需加快可回复“催办 {number}”。",
    "working": "工单目前正在重新办理，如需加快可回复“催办 {number}”。",
    "closed": "如问题再次出现，可直接发送问题重新反映。",
}
CAMPAIGN_THANKS = "感谢您参与满意度调查！"

# --- personal data: 我的信息, 删除我的信息, and staff's deliberate look at a contact number (电话 N) -----------

MY_DATA = (
    "街道为您保存的信息：\n"
    "绑定手机：{phone}\n"
    "反映的工单：{reported} 件\n"
    "关注的工单：{followed} 件\n"
    "未提交的草稿：{drafts} 份\n"
    "充电空位提醒：{subscriptions} 个\n"
    "消息记录：{messages} 条（消息内容保存{log_days}天后自动清除）\n"
    "工单照片在工单完结{media_days}天后自动删除。\n"
    "如需删除以上信息，请发送“删除我的信息”。"
)
MY_DATA_NO_PHONE = "未绑定"
ERASE_ASK = (
    "删除后，您的身份信息、手机号绑定、草稿、订阅和消息记录将被清除，且无法恢复；"
    "您反映过的工单会隐去个人信息后留档备查（照片删除），不再向您推送进度。\n"
    "确认删除请在{minutes}分钟内回复“确认删除”；不删除请忽略本消息。"
)
ERASE_DONE = (
    "已删除您的个人信息：{cases} 件工单已隐去个人信息留档，删除照片 {photos} 张，清除消息记录 {messages} 条。"
    "感谢您对社区治理的支持！"
)
ERASE_NOT_ASKED = "如需删除您的个人信息，请先发送“删除我的信息”。"
REVEAL_SHOWN = "工单 {number} 的联系电话：{phones}\n本次查看已记录在案，仅限办理本工单使用。"
REVEAL_REFUSED = {
    "unknown_case": "没有找到工单 {number}。",
    "not_yours": "工单 {number} 不是派给您的，无权查看联系电话。本次请求已记录。",
    "no_phone": "工单 {number} 没有留下联系电话。",
}
REVEAL_STAFF_ONLY = "查看联系电话仅限办理该工单的工作人员。查询您自己的工单，请发送“我的工单”。"

# The knowledge base's answers (handlers/knowledge.py): the entry's answer, then what to do if it did not help.
KB_ANSWER = "{answer}\n\n没解决？回复 人工 找工作人员，或直接说您遇到的问题"
KB_ANSWER_BEFORE_REPORT = "{answer}\n\n现在就帮您登记这个问题："  # a report that asks what an entry answers
KB_ANSWER_IN_DIALOG = "{answer}\n\n您的反映还没有提交："  # a question answered in the middle of a report
KB_UNKNOWN = ("这个问题我暂时答不上来，已经记下，街道会补充答案。需要工作人员帮您，请回复 人工；"
              "如果是要反映问题，请直接描述问题和地点。")
# No entry is sure, some come near: the resident picks one by its number (or none).
KB_SUGGEST = "这个问题我没有把握，您想问的是不是：\n{choices}\n回复序号查看答案；都不是的话，请换个说法，或回复 人工 找工作人员。"
KB_CHOICE = "{n}. {question}"

# --- a person when the bot cannot help (handlers/takeover.py) ---------------------------------------------
TAKEOVER_REQUESTED = "好的，正在为您转接工作人员，请稍候。您可以先把问题写下来，工作人员接入后都能看到；回复“结束”可取消。"
TAKEOVER_DRAFT_KEPT = "\n您正在填写的反映已保留，对话结束后回复任意内容即可继续。"
TAKEOVER_STILL_WAITING = "正在为您转接工作人员，请稍候。您的留言工作人员接入后都能看到；回复“结束”可取消。"
TAKEOVER_WITHDRAWN = "已取消转人工。如还有问题，可随时留言或回复“人工”。"
TAKEOVER_YOU_ENDED = "本次人工对话已结束，感谢您的耐心。如还有问题，可随时留言或回复“人工”。"
UNSOLVED_FIRST = "抱歉没能帮到您。请直接说说您遇到的问题，我再帮您看看；或回复“人工”找工作人员。"
# staff
DUTY_ON = "您已开始值班，居民请求人工服务时会通知您。当前排队 {waiting} 人，发送“会话”查看。"
DUTY_ALREADY = "您已在值班中。当前排队 {waiting} 人，发送“会话”查看。"
DUTY_OFF = "您已下班，不再接收转人工通知。"
DUTY_NOT_ON = "您当前不在值班。"
QUEUE = "排队中的居民（{n} 人）：\n{lines}\n回复“接入 编号”开始对话。"
QUEUE_LINE = "#{n} 已等待{wait}｜{last}"
QUEUE_EMPTY = "当前没有排队的居民。"
QUEUE_MINE = "\n您正在对话：#{n}（回复“结束”结束）"
TAKEN = "已接入 #{n}。居民最近的消息：\n{lines}\n现在您发送的文字会转给居民；回复“结束”结束对话。"
TAKE_WHICH = "请写明要接入的编号，如“接入 {example}”。发送“会话”查看排队。"
TAKE_REFUSED = {
    "not_on_duty": "接待居民需先值班：请发送“值班”。",
    "busy": "您正在与 #{n} 对话，请先回复“结束”结束该对话。",
    "unknown": "没有找到排队的 #{n}。发送“会话”查看排队。",
    "taken": "#{n} 已由其他工作人员接入或已结束。发送“会话”查看排队。",
}
TAKEOVER_STAFF_ENDED = "已结束与 #{n} 的对话。"
