"""Every Chinese string of the residents' web pages (/h5/): residents read these."""

from backend import texts as backend_texts

SITE = "共治 · 随手拍"
NAV = {"cases": "我的工单", "nearby": "附近", "report": "随手拍"}
LARGE_ON, LARGE_OFF = "大字模式", "标准字号"
OUTSIDE_TITLE = "请在微信中打开"
OUTSIDE_TEXT = ("这些页面需要在微信里打开，以便确认您的身份：请在微信中关注街道公众号，"
                "点击底部菜单“我的工单”或“随手拍”，或点开公众号推送消息里的链接。")
SANDBOX_LOGIN = "沙盒模式：模拟微信授权登录"
LOGIN_FAILED = "微信授权没有完成（可能已超时或重复打开），请从公众号菜单重新进入。"
BAD_CHARACTERS = "网址中含有无法识别的字符。"
FORM_EXPIRED = "页面已过期，请刷新后重试。"
NOT_FOUND = "没有找到这个工单，或者它不是您反映或关注的工单。"
BACK = "返回我的工单"

CASES_TITLE = "我的工单"
CASES_EMPTY = "您还没有反映或关注的工单。可以点“随手拍”反映问题，或在“附近”看看邻居反映了什么。"
ROLE = {"reporter": "我反映的", "follower": "我关注的"}
CASE_TITLE = "工单 {number}"
FIELDS = {"status": "状态", "category": "类别", "place": "地点", "created": "反映时间", "officer": "处理人"}
OFFICER = "{surname}网格员"
NO_OFFICER = "正在安排网格员"
DESCRIPTION = "您反映的内容"
PUBLIC_NOTE = "您关注了这个问题：这里只显示处理进度，不显示反映人的内容和照片。"
STAGE = {"accept": "网格员接单", "depart": "网格员出发", "arrive": "网格员到场"}
COUNTDOWN = "{stage}时限：{due}"
COUNTDOWN_LEFT = "剩余"
COUNTDOWN_LATE = "已超时，已提醒网格员并上报督办"
PHOTOS = "照片"
PHOTO_MINE, PHOTO_STAFF = "我拍的", "工作人员拍的"
NO_PHOTOS = "暂无照片（微信里发来的照片保存后会显示在这里）。"
TIMELINE = "处理过程"
URGE = "催办"
SUPPLEMENT = "补充照片或说明"
SUPPLEMENT_TEXT = "补充说明"
SUPPLEMENT_PHOTO = "补充照片"
SUPPLEMENT_SEND = "提交补充"
RATE = "对处理结果满意吗？"
RATINGS = backend_texts.SURVEY_RATING
RATE_COMMENT = "想说的话（可不填）"
RATE_SEND = "提交评价"
RATED = "您的评价：{label}。谢谢！"

NEARBY_TITLE = "附近"
NEARBY_INTRO = "近{days}天内{where}附近居民反映、还在处理中的问题。遇到同样的问题，点“我也遇到”即可关注进度，不用重复反映。"
NEARBY_ANYWHERE = "街道"
NEARBY_HERE = "您所在位置"
NEARBY_EMPTY = "附近暂时没有正在处理的问题。"
NEARBY_PICK = "换个小区看看"
NEARBY_SHOW = "查看"
NEARBY_COUNT = "{n}位居民反映"
NEARBY_AGO = {"minutes": "{n}分钟前", "hours": "{n}小时前", "days": "{n}天前"}
NEARBY_JUST_NOW = "刚刚"
ME_TOO = "我也遇到"
FOLLOWING = "已关注"
MAP_TITLE = "附近的问题"
MAP_LEGEND = ("处理中的问题", "充电站", "小区")

REPORT_TITLE = "随手拍"
REPORT_INTRO = "拍下问题，选好地点，写一句话，就能反映给网格员。"
REPORT_PHOTO = "照片（可多张，每张不超过{mb}MB）"
REPORT_WECHAT_PHOTO = "拍照或从相册选择"
REPORT_PLACE = "地点（小区或公共场所）"
REPORT_PLACE_SEARCH = "输入名称搜索"
REPORT_LOCATE = "使用我的位置"
REPORT_TEXT = "一句话说明问题"
REPORT_TEXT_HINT = "例如：3栋楼道有人飞线充电"
REPORT_CATEGORY = "问题类别"
REPORT_CATEGORY_AUTO = "自动识别"
REPORT_SUGGESTED = "看起来是：{name}"
REPORT_SEND = "提交"
REPORT_DUPLICATE = "{compound}已有居民在{ago}反映了“{category}”，正在处理中。是同一个问题吗？"
REPORT_ME_TOO = "是同一个问题，我也遇到"
REPORT_OWN_DUPLICATE = "您在{ago}已反映过{compound}的“{category}”，正在处理中。是同一个问题吗？"
REPORT_ADD_TO_MINE = "是同一个问题，补充到我的工单"
REPORT_OWN = "不是，我要单独反映"
REPORT_NO_TEXT = "请用一句话说明遇到的问题。"
REPORT_NO_PLACE = "请选择问题所在的小区或公共场所，或使用您的位置。"
REPORT_BAD_PHOTO = "照片只能是 JPG、PNG、GIF 或 WEBP 图片，每张不超过{mb}MB。"
REPORT_BROKEN = "上传没有完成（网络可能中断了），请重新选择照片后再提交。"
REPORT_TOO_MANY = "一次最多上传{n}张照片。"

# what an action on a case page did, by the code the page is sent back with (?notice=)
NOTICES = {
    "urged": "已催办，网格员会收到提醒。", "urge_closed": "这个工单已经办结，不需要催办。",
    "supplemented": "已补充，网格员会看到。", "supplement_empty": "请写下补充说明。",
    "supplement_not_yours": "只有反映人可以补充说明和照片。",
    "rate_closed": "谢谢您的评价，工单已完结。", "rate_recorded": "谢谢您的评价。",
    "rate_reopen": "收到您的不满意评价，工单已重新办理，我们会尽快处理。",
    "rate_flag": "收到您的评价，已转告督办人员关注。",
    "rate_already": "您已经评价过这个工单了（在公众号或本页面）。",
    "rate_superseded": "这个工单已重新办理，办结后可再评价。", "rate_campaign": "谢谢您的评价。",
    "rate_nothing": "现在没有需要评价的内容。",
    "followed": "已关注工单 {number}，处理进展会推送给您。", "already": "您已经在关注工单 {number}。",
    "closed": "工单 {number} 已经办结，不能再关注。",
    "created": "已受理，工单号 {number}，处理进展会推送给您。",
    "created_urgent": "已按紧急情况受理，工单号 {number}。情况紧急请立即拨打119（火警）、110（报警）或120（急救），并远离危险区域。",
    "photos_added": "照片已补充到工单 {number}。",
}
