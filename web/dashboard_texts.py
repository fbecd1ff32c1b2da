"""Every Chinese string of the dashboard and the web sandbox (staff and evaluators read these)."""

from backend import texts as backend_texts

TITLE = "共治 · 街道数据看板"
NAV = {"overview": "总览", "cases": "工单", "logout": "退出登录"}
LOGIN_TITLE = "工作人员登录"
LOGIN_STAFF_ID = "工号（如 S12）"
LOGIN_PASSWORD = "密码"
LOGIN_SUBMIT = "登录"
LOGIN_FAILED = "工号或密码不正确。"
LOGIN_HINT = "密码由管理员用 python main.py staff password --staff-id 工号 设置。居民账号不能登录。"
SIGNED_IN_AS = "当前用户：{name}（{staff_id}）"
LOGIN_LOCKED = ("登录失败次数过多，该工号或本机网络地址已被暂时锁定，请于 {until} 之后再试。"
                "如果忘记了密码，请联系管理员重新设置。")
FORM_EXPIRED = "页面已过期或不是从本系统提交的，请刷新页面后重新操作。"
BAD_QUERY = "查询条件有误：{reason}"
BAD_CHARACTERS = "查询条件中含有无法识别的字符。"
BAD_PAGE = "页码应为 1 到 {most} 之间的整数。"
BAD_DAY = "日期应写成 年-月-日（如 2026-11-27），且在 {first} 至 {last} 之间。"
CONTACT_REVEAL = "显示联系电话（本次查看将记入审计日志）"
CONTACT_SHOWN = "联系电话（已记录本次查看）："
CONTACT_REFUSED = {"not_yours": "只有本工单的处理人和督办人员可以查看联系电话，本次请求已记录。",
                   "no_phone": "本工单没有留下联系电话。", "unknown_case": "没有找到这个工单。"}
EXTERNAL_PHOTO = "外部渠道提供的图片链接（不在本系统保存，请确认来源后再打开）："

CARDS = {"cases": "工单数", "response_rate": "响应率", "closure_rate": "办结率", "satisfaction_rate": "满意率",
         "avg_handling_s": "平均处理时长", "p90_handling_s": "90%工单处理时长", "reopen_rate": "重办率",
         "repeat_reports": "重复反映"}
SCOPE_FROM, SCOPE_TO, SCOPE_COMMUNITY, SCOPE_ALL, SCOPE_APPLY = "开始日期", "结束日期", "社区", "全部", "筛选"
CHART_RATES = "三率走势（按月）"
CHART_SLA = "1315 时限达标率（按月）"
CHART_VOLUME = "工单量（按月）"
SERIES = {"response_rate": "响应率", "closure_rate": "办结率", "satisfaction_rate": "满意率",
          "accept": "1分钟响应", "depart": "3分钟出发", "arrive": "15分钟到场"}
NO_DATA = "暂无数据"
HEAT_TITLE = "热点：小区 × 类别（近{days}天）"
HEAT_NOTE = "颜色越深案件越多；红框为预警：明显高于该格此前{windows}个周期的平均（突增）或高于同类别各小区平均（持续高发）。"
HOTSPOT_REASONS = {"surge": "突增", "above_peers": "持续高发"}
HOTSPOT_LINE = "{compound} · {category}：{count} 件（此前平均 {trailing}，同类平均 {peers}）{reasons}"
HOTSPOT_NONE = "当前没有预警热点。"
# the same numbers in `main.py report`, for staff at a terminal
METRICS = {**CARDS, **SERIES, "on_time_closure_rate": "按期办结率"}
BREAKDOWN_TITLES = {"month": "按月", "week": "按周", "day": "按日", "community": "按社区", "compound": "按小区",
                    "category": "按类别", "officer": "按网格员", "channel": "按渠道", "kind": "按地点类型"}
REPORT_HOTSPOTS = "热点预警（近一个统计窗口，小区 × 类别）"
REPORT_HOTSPOT_COLUMNS = ("小区", "类别", "件数", "此前平均", "同类平均", "原因", "案件")
HEAT_ROWS_NOTE = "表中列出预警的和案件最多的{shown}个小区（共{total}个小区有案件）。"
PARTIAL_MARK = "（未满）"  # a period that has not ended: its closure rate still counts cases with no time to close
PARTIAL_NOTE = "标“（未满）”的月份尚未结束，其办结率、满意率仍会变化。"
MAP_TITLE = "地图：在办工单与充电站"
MAP_LEGEND_CASES = "在办工单（圆越大越多）"
MAP_LEGEND_STATIONS = "充电站"
MAP_LEGEND_COMPOUNDS = "小区"
DEMO_BANNER = "注意：当前数据库含演示历史数据（seed --history 生成），不是真实案件。"

CASES_TITLE = "工单列表"
FILTERS = {"status": "状态", "community": "社区", "compound": "小区", "category": "类别", "officer": "处理人",
           "channel": "渠道", "from": "开始日期", "to": "结束日期", "number": "工单号"}
COLUMNS = ("工单号", "受理时间", "类别", "小区", "状态", "处理人", "渠道", "联系电话")
PAGE_PREV, PAGE_NEXT, PAGE_OF = "上一页", "下一页", "第 {page} 页，共 {total} 件"
CASE_TITLE = "工单 {number}"
CASE_FIELDS = {"status": "状态", "category": "类别", "compound": "小区", "building": "楼栋", "description": "反映内容",
               "occurred": "发生时间", "priority": "优先级", "channel": "渠道", "dept": "责任部门",
               "officer": "处理人", "contact_phone": "联系电话", "reporter": "反映人", "repeat_reports": "重复反映",
               "created_at": "受理时间"}
TIMELINE = "办理轨迹"
PHOTOS = "照片与附件"
NO_PHOTOS = "无"
NOT_FOUND = "没有找到这个工单。"
ANONYMOUS = "匿名"
BACK = "返回列表"

STATUS = backend_texts.STATUS_STAFF
EVENTS = backend_texts.EVENT_STAFF
PRIORITY = {1: "紧急", 2: "较急", 3: "一般", 4: "较缓"}

SANDBOX_TITLE = "共治 · 体验沙盒"
SANDBOX_INTRO = ("在这里扮演居民或工作人员，与公众号对话。消息经真实的 /wechat 接口（签名、加密）送达，"
                 "回复和推送会出现在对话里。")
SANDBOX_AS = "身份"
SANDBOX_RESIDENTS = "居民"
SANDBOX_STAFF = "工作人员"
SANDBOX_PLACEHOLDER = "输入消息，例如：滨湖欣园3栋楼道有人飞线充电"
SANDBOX_SEND = "发送"
SANDBOX_PHOTO = "发照片"
SANDBOX_LOCATION = "发位置"
SANDBOX_DASHBOARD = "打开数据看板"
SANDBOX_H5 = "居民页面（我的工单、附近、随手拍），以沙盒居民身份登录"
SANDBOX_RESIDENT_NAMES = {"demo-resident": "居民 小王", "sandbox-resident-2": "居民 张阿姨", "sandbox-resident-3": "居民 李师傅"}

# Consultations (questions residents asked) in the report and on the knowledge-base page
REPORT_CONSULTATIONS = "咨询：{asked} 条，知识库解答 {answered} 条（知识库解答率 {rate}）"
NAV_KB = "知识库"
KB_TITLE = "知识库"
KB_ONLY_SUPERVISORS = "知识库只有督办人员（主管）可以查看和编辑。"
KB_ENTRIES = "条目（共 {n} 条）"
KB_COLUMNS = ("编号", "问题", "答案", "部门", "更新")
KB_EDIT = "编辑"
KB_NEW = "新增条目"
KB_FIELDS = {"faq_id": "编号（字母、数字，如 F091）", "question": "问题（居民会怎么问）", "answer": "答案",
             "department": "负责部门（可空）", "keywords": "关键词（用 | 分隔）",
             "phrasings": "居民的问法（每行一个；可从“答不上的问题”添加）"}
KB_SAVE = "保存"
KB_REMOVE = "删除此条目"
KB_SAVED = {"added": "已新增，下一个问题即按新内容回答。", "updated": "已保存，下一个问题即按新内容回答。",
            "unchanged": "内容没有变化。", "removed": "已删除。"}
KB_REFUSED = {"bad_id": "编号只能由字母、数字、-、_ 组成，最多16位。", "empty_question": "问题不能为空。",
              "empty_answer": "答案不能为空。", "too_long": "内容过长：{where}。", "duplicate_id": "编号 {where} 已存在。",
              "unknown_id": "没有编号为 {where} 的条目。", "unknown_question": "这个问题已不在列表中（已处理或已过保存期）。"}
KB_UNANSWERED = "居民问到、知识库答不上或答了没解决的问题（按最近提问排序，已隐去电话等个人信息）"
KB_NOT_SOLVED = "已按 {faq_id} 回答，居民说没解决"
KB_UNANSWERED_COLUMNS = ("问题", "次数", "最近一次", "第一次", "由哪个条目回答")
KB_ATTACH_PLACEHOLDER = "条目编号，如 F016"
KB_ATTACH = "加为该条目的问法"
KB_ATTACHED = "已把这个问题加为条目 {faq_id} 的问法，下次居民这样问即按该条目回答。"
KB_NONE_UNANSWERED = "暂无。"
KB_EDIT_TITLE = "编辑条目 {faq_id}"
KB_BACK = "返回知识库"
