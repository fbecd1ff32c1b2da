"""The knowledge base's reading of a message, as pure functions: synonyms, retrieval, the question/report
decision, and the backend's entry checks and grouping of unanswered questions."""
from __future__ import annotations

import csv
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import pytest

from backend import kb
from nlp import Analyzer, load_taxonomy, places_from_csv
from nlp.faq import Decision, FaqEntry, FaqIndex, KbWords, SynonymReader, load_kb_words

DEMO = Path(__file__).resolve().parents[2] / "backend" / "demo_street"


@lru_cache(maxsize=1)
def analyzer() -> Analyzer:
    return Analyzer(load_taxonomy(), places_from_csv(DEMO / "compounds.csv", DEMO / "places.csv"))


@lru_cache(maxsize=1)
def demo_index() -> FaqIndex:
    with open(DEMO / "faq.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return analyzer().faq_index(FaqEntry(r["faq_id"], r["question"], tuple(r["keywords"].split("|")), r["answer"])
                                for r in rows)


@lru_cache(maxsize=1)
def taught_demo_index() -> FaqIndex:
    """The demo street as `seed --demo` loads it: its entries with the pilot's phrasings."""
    with open(DEMO / "faq_phrasings.csv", encoding="utf-8") as f:
        taught: dict[str, list[str]] = {}
        for row in csv.DictReader(f):
            taught.setdefault(row["faq_id"], []).append(row["phrasing"])
    return analyzer().faq_index(replace(e, phrasings=tuple(taught.get(e.faq_id, ()))) for e in demo_index().entries)


def test_synonyms_become_their_groups_first_word_whole_and_longest_first():
    words = KbWords({"小电驴": "电动车", "电驴": "电动车", "垃圾站": "垃圾房"}, frozenset())
    read = SynonymReader(words, list)  # the text between synonyms cut into characters
    assert read("小电驴在垃圾站") == ["电动车", "在", "垃圾房"]
    assert read("电驴") == ["电动车"]


def test_the_street_file_groups_the_names_residents_use():
    words = load_kb_words()
    assert {words.synonyms[w] for w in ("电瓶车", "电驴", "小电驴")} == {"电动车"}
    assert words.synonyms["垃圾站"] == "垃圾房" and words.synonyms["社区居委会"] == "居委会"
    assert 0 < words.threshold and words.forms["ask"]


def test_the_index_takes_the_entries_it_is_given_and_ranks_by_shared_words():
    index = analyzer().faq_index([FaqEntry("A", "电动车怎么上牌", ("上牌",)), FaqEntry("B", "狗证在哪办", ("养犬登记",))])
    assert index.search("小电驴挂牌去哪")[0][0] == "A"  # 小电驴 -> 电动车, 挂牌 -> 上牌
    assert index.search("养狗要办狗证吗")[0][0] == "B"
    assert index.search("今天天气") == []


def test_an_empty_knowledge_base_answers_nothing():
    index = analyzer().faq_index([])
    assert index.answer("电动车怎么上牌") == (None, 0.0, [])
    assert analyzer().inquire("电动车怎么上牌", index).faq_id is None


@pytest.mark.parametrize("text, faq_id", [
    ("我家电驴丢了咋办", "F028"),
    ("家里的狗要登记吗", "F037"),
    ("住的地方归哪个居委管", "F002"),
])
def test_paraphrases_find_their_entry(text, faq_id):
    found = analyzer().inquire(text, demo_index())
    assert (found.intent, found.faq_id) == ("consultation", faq_id), found


@pytest.mark.parametrize("text, faq_id", [
    ("家里的旧洗衣机不要了，怎么处理比较好", "F018"),  # "…比较好" pads how it asks
    ("小区想成立业委会，一般从哪开始弄", "F060"),
    ("电瓶车充电一般大概多少钱", "F022"),
])
def test_a_question_padded_with_how_people_ask_finds_its_entry(text, faq_id):
    """Padding ("比较好", "一般", "从哪开始弄") names no topic: an asking clause made of it asks about the rest of
    the question, not about words no entry says."""
    found = analyzer().inquire(text, demo_index())
    assert (found.intent, found.faq_id) == ("consultation", faq_id), found


@pytest.mark.parametrize("question, report", [
    ("小区里能不能养鸡", "小区里有人养了一群鸡，天天早上打鸣"),
    ("垃圾房几点开门", "垃圾房门口的垃圾堆满了，好几天没人清"),
    ("广场舞可以跳到几点", "广场舞怎么这么吵，天天跳到十点"),
    ("楼道里可以放自行车吗", "楼道里堆满了自行车，下楼都过不去"),
    ("充电桩怎么付钱", "充电桩付了钱一直充不上，已经三天了"),
])
def test_the_same_topic_asked_is_a_question_and_told_is_a_report(question, report):
    asked, told = analyzer().inquire(question, demo_index()), analyzer().inquire(report, demo_index())
    assert asked.intent == "consultation", asked
    assert told.intent == "complaint", told


@pytest.mark.parametrize("text", ["物业费是按月交还是按年交", "旧家具能上门收不", "小孩打疫苗要钱不", "充电棚离我家有多远",
                                  "用完的暖宝宝算有害垃圾还是其他垃圾啊", "小区里的行道树归物业管还是归街道管"])
def test_a_choice_or_a_clause_closed_by_bu_asks(text):
    assert analyzer().forms.read(text).kind == "question"


@pytest.mark.parametrize("text", ["我就不", "楼道里的垃圾堆了三天还是没人清", "说了好几次他们都不"])
def test_still_and_a_plain_negation_ask_nothing(text):
    assert not any(analyzer().forms.asks(c) for c in text.split("，"))


@pytest.mark.parametrize("question", ["晚上十点用洗衣机不算扰民吧", "家里装修周六上午打钻没关系吧",
                                      "狗在小区里遛一下不用拴绳吧", "电动车电池拿回家充一晚上应该没事吧"])
@pytest.mark.parametrize("report", ["他家狗从来不拴绳，这不违法吧", "楼上天天半夜唱歌也太吵了吧",
                                    "小区绿化带被人圈占了搭了个棚子，这算私搭乱建吧"])
def test_a_clause_closed_by_ba_asks_whether_the_residents_own_doing_is_all_right(question, report):
    """"…没关系吧" asks to be told that what the resident does is all right: a question, not a report of it; a
    judgement of what was told ("…，这不违法吧") and an exclamation ("太吵了吧") still report."""
    assert analyzer().inquire(question, demo_index()).intent == "consultation"
    assert analyzer().inquire(report, demo_index()).intent == "complaint"


@pytest.mark.parametrize("text, why", [
    ("门口的油烟怎么这么大", "rhetorical"),
    ("小区门口摆摊的有没有人管", "rhetorical"),
    ("楼上装修天天砸墙", "told"),
])
def test_a_complaint_phrased_as_a_question_is_still_a_complaint(text, why):
    found = analyzer().inquire(text, demo_index())
    assert (found.intent, found.why) == ("complaint", why), found


@pytest.mark.parametrize("text", [
    "三号楼的化粪池往外冒了，走路都得绕着，能不能派人抽一下",  # a demand, though no category word is sure
    "隔壁天天晚上在院子里烧纸，烟全进我家了，这样可以吗",  # a judgement of what someone else does
    "门口那家洗车店把水全排到人行道上，这合法吗",
    "邻居家的鸡天天四点打鸣，我们还让不让人活了",
    "小广场的路灯黑了两个礼拜没人修",
    "电梯按钮掉了好几个，是不是要等出了事才有人管",
    "请问小区门口那些占道卖菜的有人管吗",  # an opener does not make a rhetorical question a question
    "楼下小饭馆的排风扇一开就跟拖拉机一样，能不能去查一下",
    "河边那排路灯全灭了，黑乎乎的，能来修一下吗",
    "后门的铁栅栏歪了半个月，为啥一直没人来弄",  # why nobody acts
    "楼下超市的冷柜压缩机半夜嗡嗡响，这是正常的吗",
    "水压低得洗不了澡，到底怎么回事",
    "垃圾满地没人扫，要保洁干什么",
    "单元门的锁坏了好几天",  # 好几 is "several", no question
    "顶楼防水层补了又漏，到底修不修",  # an A-not-A of the street's own verb is a demand
    "楼下棋牌室通宵打麻将 这也算正常吗",  # a space parts clauses as a comma does (voice input, WeChat)
])
def test_a_demand_or_a_judgement_reports_whatever_topic_it_names(text):
    found = analyzer().inquire(text, demo_index())
    assert found.intent == "complaint", found


@pytest.mark.parametrize("text", [
    "我们楼一直没有装电梯，老人爬楼太累了，想问问加装电梯要走什么程序",
    "家里的旧洗衣机坏了好久了，打算扔掉，能直接放到垃圾房门口吗",
    "请问社区能帮忙介绍个保洁的活吗",  # 请问 opens a question; it is no 请 asking the street to act
    "孩子把电动车钥匙弄丢了，车停在楼下一直推不走，开锁要多少钱",  # what it costs the resident
    "充电桩扣了我三块钱一直没充上，钱能不能退给我",  # what they get back
    "楼里一直停水，要打哪个电话问",  # whom they call
    "自行车被人偷了，是直接报警还是先找物业",  # which of their own ways to take
    "老房子加装电梯，政府有补贴没",  # 有…没, a spoken yes-or-no question
    "阳台那扇推拉门能不能拆掉改成窗户",  # a verb that may be the resident's own, no problem named
    "低保材料一直没消息，一般要等几天才有结果",  # "要等…才" asking how long is no rhetorical question
    "充电的时候一直没通电，被多扣了钱，钱能不能要回来",
    "晚上车一直停在充电位上会另外收钱吗",
])
def test_the_residents_own_errand_after_a_situation_is_a_question(text):
    assert analyzer().inquire(text, demo_index()).intent == "consultation"


@pytest.mark.parametrize("text", [
    "社区对独居老人有没有什么照顾",  # 有没有 asks, though 没有什么 alone says "nothing"
    "电梯要是坏了找谁修，一般多久能修好",  # the problem and the demand are only supposed
    "万一楼上漏水到我家，该找谁",
    "我家下周装修，每天几点以后才能用电锤，怕影响邻居",  # how often, asked: no fact told
    "报名以后一般多久能通知",  # 一般 is "usually" here, no survey's rating
    "能不能让我妈去领",  # the resident's own going, not the street's
    "我能不能去社区补办",
    "老家的户口本丢了，孩子的户口能不能转过来",  # the resident's own thing moving here, not the street coming
    "家里的旧沙发不要了，能不能搬下去放在垃圾房旁边",
    "我每天早上六点就出门上班了，垃圾房几点开门",  # the resident's own habit tells of no problem
    "我老是分不清电池该扔哪个垃圾桶，有没有什么简单的办法",
])
def test_what_is_supposed_scheduled_or_the_residents_own_is_a_question(text):
    found = analyzer().inquire(text, demo_index())
    assert found.intent == "consultation", found


@pytest.mark.parametrize("text", [
    "工地凌晨还在打桩 门口也没贴什么告示 吵得睡不着",  # 没…什么 is "no … any", no question
    "垃圾堆着好几天了，要是招了老鼠谁管",  # told outside the supposition: its demand counts
    "可不可以叫隔壁把音响关小",  # the street asked to make someone else stop
    "楼下棋牌室从早上吵到半夜 怎么弄",  # from morning till night: it goes on
    "路口的井盖翘起来了，能不能尽快过来",  # coming is the verb asked for
    "化粪池又满了，麻烦明天派人过来",
    "楼道里的灯坏了一个月，可不可以早点来换",
    "地下车库积水没过脚踝，能不能过来看一下",
    "我每天晚上都被楼下烧烤摊的油烟熏得开不了窗",  # told, though the resident says it of themselves
    "我又被楼上的漏水淹了，这都第三回了，到底谁来管",
])
def test_a_problem_told_outside_a_supposition_or_a_demand_on_someone_else_is_a_report(text):
    found = analyzer().inquire(text, demo_index())
    assert found.intent == "complaint", found


@pytest.mark.parametrize("text", ["什么东西都往楼道里堆", "这几天都没水", "谁也不来管一下这片烂泥地", "怎么敲门都不开"])
def test_a_question_word_before_dou_or_ye_means_any(text):
    assert not any(analyzer().forms.asks(c) for c in text.split("，"))


@pytest.mark.parametrize("text, faq_id", [
    ("小区里那辆破车停了一年多没人开，这种僵尸车谁来处理", "F036"),
    ("对面工地晚上十二点还在打桩，夜里施工不违规吗", "F044"),
    ("快递员又不打电话直接把件塞快递柜，还收超时费，这合理吗", "F088"),
    ("三楼邻居在楼道里堆了好多纸壳子，担心会着火，楼道堆放杂物归谁管", "F063"),  # a feared hazard that asks
])
def test_a_report_that_asks_what_an_entry_answers_keeps_the_entry(text, faq_id):
    found = analyzer().inquire(text, taught_demo_index())
    assert (found.intent, found.faq_id) == ("complaint", faq_id), found


@pytest.mark.parametrize("text", ["楼上装修天天砸墙，吵得人头疼", "滨湖欣园3栋楼顶的招牌晃得厉害，怕哪天砸下来",
                                  "楼道里电瓶车着火了，怎么办啊"])
def test_a_report_that_asks_nothing_an_emergency_and_a_feared_hazard_no_entry_is_sure_of_keep_none(text):
    found = analyzer().inquire(text, taught_demo_index())
    assert found.intent == "complaint" and found.faq_id is None, found


def test_an_emergency_is_never_a_question():
    found = analyzer().inquire("楼道里电瓶车着火了，怎么办啊", demo_index())
    assert (found.intent, found.why) == ("complaint", "urgent")


@pytest.mark.parametrize("text", ["你好", "谢谢", "你是机器人吗", ""])
def test_greetings_and_chit_chat_are_no_question(text):
    assert analyzer().inquire(text, demo_index()).intent == "other"


def test_a_question_out_of_scope_is_a_consultation_without_an_entry():
    found = analyzer().inquire("附近哪家火锅店好吃", demo_index())
    assert (found.intent, found.faq_id) == ("consultation", None)
    assert found.as_json()["faq_id"] is None and set(found.as_json()) >= {"text", "intent", "score", "candidates"}


def test_entries_are_checked_as_typed():
    assert isinstance(kb.make_entry("F1", "问题", "答案", "", "a|b| |a"), kb.Entry)
    assert kb.make_entry("F1", "问题", "答案", "", "a|b| |a").keywords == ("a", "b")
    assert kb.make_entry("F 1", "问题", "答案").code == "bad_id"
    assert kb.make_entry("F1", " ", "答案").code == "empty_question"
    assert kb.make_entry("F1", "问题", "").code == "empty_answer"
    assert kb.make_entry("F1", "问题" * 200, "答案") == kb.Refusal("too_long", "question")


def test_a_bad_row_refuses_the_whole_file_naming_its_line(tmp_path):
    path = tmp_path / "faq.csv"
    path.write_text("faq_id,question,answer,department,keywords\nA1,问,答,,\nA2,问,,,\n", encoding="utf-8")
    assert kb.read_csv(path) == kb.Refusal("empty_answer", "line 3: answer")
    path.write_text("id,question\n", encoding="utf-8")
    assert kb.read_csv(path).code == "bad_csv"
    assert kb.read_csv(tmp_path / "missing.csv").code == "bad_csv"


def test_unanswered_questions_are_grouped_masked():
    key, masked = kb.asked_key("图书馆周六开门吗？我电话13912345678")
    again, _ = kb.asked_key("图书馆 周六开门吗 我电话13912345678")
    assert key == again
    assert "13912345678" not in masked and "139" in masked


def test_a_knowledge_base_index_does_not_load_scipy_into_the_server():
    import subprocess
    import sys

    code = ("import sys\nfrom nlp import Analyzer, load_taxonomy\nfrom nlp.faq import FaqEntry\n"
            "a = Analyzer(load_taxonomy())\n"
            "i = a.faq_index([FaqEntry('A', '电动车怎么上牌', ('上牌',)), FaqEntry('B', '狗证在哪办', ())])\n"
            "print(i.search('小电驴挂牌去哪')[0][0], 'scipy' in sys.modules)")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["A", "False"]


def plain_index(*entries: FaqEntry) -> FaqIndex:
    """An index with no synonyms and no stop words, so only the mechanism under test speaks."""
    return FaqIndex(entries, analyzer().tokenizer.cut, KbWords({}, frozenset()))


def test_character_pairs_let_part_of_a_word_meet_its_entry():
    from nlp.faq import bigrams
    assert bigrams(["电瓶车", "充", "垃圾站"]) == ["电瓶", "瓶车", "充", "垃圾", "圾站"]
    index = plain_index(FaqEntry("A", "电瓶车充电点在哪"), FaqEntry("B", "狗证在哪办"))
    assert index.terms("电瓶坏了") and "电瓶" not in index.terms("电瓶车充电点在哪")  # no word in common
    assert index.search("电瓶坏了")[0][0] == "A"


def test_coverage_weighs_a_word_the_street_never_uses_most():
    index = demo_index()
    said = index.coverage(index.terms("便民服务中心几点上班"), "F001")
    unknown = index.coverage(index.terms("图书馆几点上班"), "F001")
    assert said == 1.0 and unknown < 0.7
    assert index.coverage(index.terms("图书馆几点上班"), "F001") < index.coverage(index.terms("中心几点上班"), "F001")


def test_a_word_no_entry_mentions_lowers_the_confidence_below_the_score():
    index = FaqIndex(demo_index().entries, analyzer().tokenizer.cut, replace(load_kb_words(), decision=None))
    known, unknown = index.answer("身份证到期去哪换"), index.answer("驾照到期去哪换")  # 驾照: nowhere in the KB
    assert known[0] == "F008" and known[2][0][0] == unknown[2][0][0] == "F008"
    assert unknown[1] < 0.7 * unknown[2][0][1]  # confidence = score * sqrt(coverage)
    assert unknown[1] / unknown[2][0][1] < known[1] / known[2][0][1]
    ruled = demo_index()  # and the rule reads the coverage alike
    assert ruled.answer("驾照到期去哪换")[1] < ruled.answer("身份证到期去哪换")[1]


def test_no_clear_first_means_no_answer():
    index = plain_index(FaqEntry("A", "电动车充电怎么收费"), FaqEntry("B", "电动车充电怎么收费"))
    index.threshold = 0.1
    faq_id, confidence, candidates = index.answer("电动车充电收费")
    assert len(candidates) == 2 and candidates[0][1] == candidates[1][1]
    assert faq_id is None and confidence == 0.0
    alone = plain_index(FaqEntry("A", "电动车充电怎么收费"), FaqEntry("B", "狗证在哪办"))
    alone.threshold = 0.1
    assert alone.answer("电动车充电收费")[0] == "A"


def test_a_synonym_inside_a_longer_word_is_left_alone():
    read = SynonymReader(KbWords({"电车": "电动车"}, frozenset()), analyzer().tokenizer.cut)
    assert "电动车" not in read("充电车位被占了")  # jieba's 充电车位 holds 电车; it is no electric bike
    assert "电动车" not in read("你好  充电车位被占了")  # jieba drops the spaces: positions are not its lengths
    assert "电动车" in read("我的电车被偷了")


def test_an_entry_answering_another_aspect_of_the_topic_is_demoted():
    words = KbWords({}, frozenset(), aspects=load_kb_words().aspects)
    index = FaqIndex([FaqEntry("cost", "电动车充电点收费多少钱"), FaqEntry("place", "电动车在哪里充电")],
                     analyzer().tokenizer.cut, words)
    assert index.aspects("电动车充电点在哪里") == {"place"} and index.aspects("充电点收费吗") == {"cost"}
    assert index.search("电动车充电点在哪里")[0][0] == "place"  # more words shared with "cost", but it asks where
    index.ASPECT_WEIGHT = 1.0
    assert index.search("电动车充电点在哪里")[0][0] == "cost"


def test_building_an_index_logs_nothing_at_debug_from_bm25s():
    import subprocess
    import sys

    code = ("import logging\nlogging.basicConfig(level=logging.DEBUG)\n"
            "from nlp import Analyzer, load_taxonomy\nfrom nlp.faq import FaqEntry\n"
            "Analyzer(load_taxonomy()).faq_index([FaqEntry('A', '电动车怎么上牌', ('上牌',))])\n")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "bm25s" not in out.stderr


def test_the_decision_reads_how_many_phrasings_an_entry_was_taught():
    """Phrasings raise an entry's score for every question, so the rule reads how many it has."""
    entries = [FaqEntry("A", "垃圾房几点开门", phrasings=("扔垃圾的地方几点开",)), FaqEntry("B", "充电桩几点开放")]

    def rule(per_phrasing: float) -> Decision:
        weights = {"log_score": 0.0, "second_share": 0.0, "coverage": 8.0, "log_phrasings": per_phrasing, "unsaid": 0.0}
        return Decision(weights, bias=-4.0, cut=0.5)

    strict = FaqIndex(entries, analyzer().tokenizer.cut, KbWords({}, frozenset(), decision=rule(-20.0)))
    assert strict.answer("垃圾房几点开")[0] is None and strict.answer("充电桩几点开")[0] == "B"
    even = FaqIndex(entries, analyzer().tokenizer.cut, KbWords({}, frozenset(), decision=rule(0.0)))
    assert even.answer("垃圾房几点开")[0] == "A"


def test_the_street_file_declares_the_decision_with_exactly_its_readings():
    rule = load_kb_words().decision
    assert rule is not None and 0 < rule.cut < 1 and set(rule.weights) == set(Decision.FEATURES)
    assert rule.weights["coverage"] > 0 and rule.weights["second_share"] < 0  # covering more helps, a close second not
    assert rule.weights["log_phrasings"] < 0  # a taught entry's score says less
    assert rule.weights["unsaid"] < 0  # a specific word asked that the entry never says: it answers something else
    with pytest.raises(ValueError, match="second_share"):
        Decision({"log_score": 1.0, "coverage": 1.0, "unsaid": -1.0, "log_phrasings": 0.0}, 0.0, 0.5)


@pytest.mark.parametrize("asked, elsewhere", [("狗证在哪里办理", "狗证丢了能补发吗"),
                                             ("大件垃圾怎么预约", "大件垃圾清运要收押金吗")])
def test_the_most_specific_word_asked_that_the_entry_never_says_is_read(asked, elsewhere):
    """The entry on the topic that says nothing of 补发 or 押金 answers something else: the rule reads the weight
    of that word, not just its share of the question's words."""
    index = demo_index()
    said, unsaid = index.reading(asked), index.reading(elsewhere)
    assert said.candidates[0][0] == unsaid.candidates[0][0]
    assert said.features["unsaid"] == 0.0 < 0.5 < unsaid.features["unsaid"] <= 1.0


PLAIN = [("狗证去哪办", "F037"), ("旧衣服放哪", "F013"), ("残疾证怎么办", "F073"), ("失业登记去哪", "F074")]


@pytest.mark.parametrize("text, faq_id", PLAIN)
def test_a_short_plain_question_to_a_taught_entry_is_answered(text, faq_id):
    """A short question meets few of a taught entry's many words, so its BM25 score is low: one threshold high
    enough to keep near-misses out of taught entries left these unanswered. Full coverage and a clear lead
    answer it."""
    index = taught_demo_index()
    found = analyzer().inquire(text, index)
    assert (found.intent, found.faq_id) == ("consultation", faq_id) and not index.reading(text).worded, found


def test_teaching_entries_their_first_phrasing_does_not_make_them_answer_less():
    """A street starts with its own entries and teaches them one resident's question at a time."""
    with open(DEMO / "faq_phrasings.csv", encoding="utf-8") as f:
        first: dict[str, str] = {}
        for row in csv.DictReader(f):
            first.setdefault(row["faq_id"], row["phrasing"])
    once = analyzer().faq_index(replace(e, phrasings=(first[e.faq_id],)) for e in demo_index().entries)
    answered = 0
    for text, faq_id in [*PLAIN, ("居住证怎么办理", "F004")]:
        before, after = analyzer().inquire(text, demo_index()), analyzer().inquire(text, once)
        assert before.candidates[0][0] == after.candidates[0][0] == faq_id
        assert after.faq_id == faq_id or before.faq_id is None, (before, after)
        answered += after.faq_id == faq_id
    assert answered >= 4


def test_a_question_in_the_very_words_the_street_taught_is_answered():
    """What a supervisor attached to an entry (加为该条目的问法) is answered by it the next time it is asked, even
    where the entry has a close second."""
    entries = [FaqEntry("A", "电瓶车充电怎么收费", phrasings=("充电多少钱一次",)),
               FaqEntry("B", "汽车充电怎么收费", phrasings=("充电桩停车收费吗",))]
    never = Decision(dict.fromkeys(Decision.FEATURES, 0.0), bias=-50.0, cut=0.5)
    index = FaqIndex(entries, analyzer().tokenizer.cut, KbWords({}, frozenset(), decision=never))
    assert index.answer("充电多少钱一次？") == ("A", 1.0, index.answer("充电多少钱一次")[2])
    assert index.answer("电瓶车充电怎么收费")[0] == "A" and index.answer("电瓶车充电收费")[0] is None
    same = FaqIndex([*entries, FaqEntry("C", "充电多少钱一次")], analyzer().tokenizer.cut,
                    KbWords({}, frozenset(), decision=never))
    assert same.answer("充电多少钱一次")[0] is None  # two entries say it: neither's


@pytest.mark.parametrize("text", ["护照在哪办", "结婚证在哪领", "驾驶证丢了怎么补办", "猫咪走丢了怎么找"])
def test_a_near_miss_to_a_taught_entry_is_not_answered(text):
    found = analyzer().inquire(text, taught_demo_index())
    assert found.intent == "consultation" and found.faq_id is None and found.candidates, found


def test_a_question_word_gives_back_the_character_it_took_from_the_next_word():
    """jieba cuts "怎么办理" as 怎么办 / 理: what the question asks about is 办理, and the entry says it."""
    index = demo_index()
    assert index.read("居住证怎么办理")[1] == [["居住证", "办理"]]
    assert index.terms("身份证丢了怎么办") == ["身份证", "丢了", "怎么办"]
    assert analyzer().inquire("居住证怎么办理", demo_index()).faq_id == "F004"


def test_a_phone_number_in_a_question_is_no_word_of_its_topic():
    index = plain_index(FaqEntry("A", "12345热线和公众号有什么区别"))
    assert "13912345678" not in index.terms("充电怎么收费 13912345678") and "12345" in index.terms("12345热线")


def test_a_clause_giving_the_residents_number_is_no_part_of_the_question():
    """"我手机号139…" tells how to reach the resident: it would lower the coverage of the entry that answers."""
    index = demo_index()
    assert index.read("狗证在哪办？我电话13912345678")[0] == index.read("狗证在哪办")[0]
    assert "身份证" in index.read("身份证号340104199001011234过期了怎么换")[0]  # the number inside what is asked
    assert index.read("13912345678")[0] == index.read("13912345678")[1][0]  # all there is: read as it is
    found = analyzer().inquire("电瓶车充电怎么收费？我手机号13912345678", taught_demo_index())
    assert found.faq_id == "F022", found


def test_an_entry_whose_answer_names_no_price_does_not_answer_what_something_costs():
    words = load_kb_words()
    entries = [FaqEntry("D", "狗证在哪里办？", ("狗证", "养犬登记"), "带身份证和免疫证明到派出所办理养犬登记。"),
               FaqEntry("C", "电瓶车充电怎么收费？", answer="1元充4小时，2元充8小时。")]
    index = FaqIndex(entries, analyzer().tokenizer.cut, replace(words, threshold=0.1, decision=None))
    assert index.answer("狗证在哪里办")[0] == "D"
    found, _, candidates = index.answer("办狗证要交多少钱")
    assert found is None and candidates[0][0] == "D"  # offered to pick from, not given
    assert index.answer("电瓶车充电要多少钱")[0] == "C"


def test_an_entry_must_speak_of_what_the_question_asks_not_only_of_its_topic():
    """A near-miss shares the topic's words with an entry and asks what its answer does not say: its asking
    clause ("能借给我老公用吗") is what the entry must cover; the situation told before it is not."""
    entries = [FaqEntry("A", "电动车充电怎么付钱？要办卡吗？", answer="扫码付款，也可以在物业办充电月卡。"),
               FaqEntry("B", "狗证在哪里办", answer="派出所。")]
    words = KbWords({}, frozenset(), threshold=0.4)
    reading = FaqIndex(entries, analyzer().tokenizer.cut, words, asks=analyzer().forms.asks)
    whole = FaqIndex(entries, analyzer().tokenizer.cut, words)
    told_then_asked = "我办了个电动车充电月卡，月卡怎么付钱"
    near_miss = "我办了个电动车充电月卡，能借给我老公用吗"
    assert reading.read(near_miss)[1] == [reading.terms("能借给我老公用吗")]
    assert reading.answer(told_then_asked)[0] == "A"
    assert reading.answer(told_then_asked)[1] > whole.answer(told_then_asked)[1]  # what is asked, it says
    assert whole.answer(near_miss)[0] == "A"
    found, confidence, candidates = reading.answer(near_miss)
    assert found is None and candidates[0][0] == "A" and confidence < 0.7 * whole.answer(near_miss)[1]
    assert reading.read("电动车充电月卡")[1] == [reading.terms("电动车充电月卡")]  # asks nothing: all of it


def test_a_slip_of_the_same_sound_is_read_as_the_street_word_and_nothing_else_is():
    """Speech recognition and pinyin input write a word as another of the same sound: a span that is no word
    and differs from one street word in one character read the same becomes that word, when it reads much
    likelier so; a word of the language, and a span that reads no better mended, stay as written."""
    from nlp.sounds import SoundAlike
    tokens = analyzer().tokenizer
    sounds = SoundAlike(["居住证", "医保", "罚款", "以下", "水管", "垃圾房"], tokens.is_word, tokens.log_probability)
    assert sounds.mend("想办个居住正要带啥") == "想办个居住证要带啥"
    assert sounds.mend("医宝怎么交,会不会被发款") == "医保怎么交,会不会被罚款"
    assert sounds.mend("问一下这个谁管") == "问一下这个谁管"  # 一下 is a word; 水管 reads no likelier
    assert SoundAlike(["医保"]).mend("医宝 医宝") == "医保 医保"


def test_a_voice_slip_on_the_topic_word_still_finds_its_entry():
    index, reader = demo_index(), analyzer()
    as_written = FaqIndex(index.entries, reader.tokenizer.cut, reader.kb_words, asks=reader.forms.asks)
    for text, faq_id in [("医宝怎么交", "F070"), ("小区没有充电装能申请吗", "F027"), ("电瓶车被头了怎么办", "F028")]:
        assert reader.inquire(text, index).faq_id == faq_id
        assert reader.inquire(text, as_written).faq_id is None
    assert index.search("残急证去哪办", 1)[0][0] == "F073" != as_written.search("残急证去哪办", 1)[0][0]


def test_a_word_no_entry_says_meets_the_entry_that_says_a_word_of_its_sound():
    """Speech recognition writes a word as another word of the same sound (实业 for 失业): a question's word that
    no entry's question says is looked up by its sound too, and covers an entry that says a word of that sound."""
    from nlp.sounds import word_sound
    assert word_sound("实业") == word_sound("失业") == "shiye" and word_sound("业") is None
    index, reader = demo_index(), analyzer()
    deaf = FaqIndex(index.entries, reader.tokenizer.cut, reader.kb_words, asks=reader.forms.asks)
    deaf.SOUND_WEIGHT = deaf.SOUND_SHARE = 0.0
    assert index.search("实业登记在哪办", 1)[0][0] == "F074" != deaf.search("实业登记在哪办", 1)[0][0]
    words = index.terms("实业登记")
    assert index.coverage(words, "F074") > deaf.coverage(words, "F074")


def test_the_forms_patterns_are_read_as_written_not_lower_cased(tmp_path):
    """Words are folded like the text they are compared with; a regular expression must not be: \\S would
    become \\s and a named group would not compile."""
    from nlp.inquiry import FormReader

    words = tmp_path / "kb.toml"
    words.write_text('[forms]\ndemand_patterns = ["(?P<act>修)不(?P=act)", "\\\\S+管管"]\nask = ["吗"]\n', encoding="utf-8")
    forms = load_kb_words(words).forms
    assert forms["demand_patterns"] == ("(?P<act>修)不(?P=act)", "\\S+管管")
    reader = FormReader(forms, lambda text: False)
    assert reader.read("到底修不修").kind == "report" and reader.read("快来管管").kind == "report"


def test_asked_how_much_an_entry_must_name_an_amount_not_only_that_it_costs():
    """"多少钱" asks an amount: an answer that only says a fee is charged ("按物价标准收费") tells whether, not how
    much, so it answers "收费吗" and is offered, not given, for "多少钱"; a price or "free" answers both."""
    entries = [FaqEntry("P", "街道游泳馆在哪？", answer="在文体中心二楼，按市物价部门核定的标准收费。"),
               FaqEntry("L", "社区图书室怎么借书？", answer="带身份证到图书室免费办借书证，每次可借两本。"),
               FaqEntry("C", "电瓶车充电怎么收费？", answer="一元充四小时，两元充八小时。")]
    index = FaqIndex(entries, analyzer().tokenizer.cut, replace(load_kb_words(), threshold=0.1, decision=None))
    assert index.answer("游泳馆收费吗")[0] == "P"
    found, _, candidates = index.answer("游泳馆游一次要多少钱")
    assert found is None and candidates[0][0] == "P"
    assert index.answer("图书室办借书证要交多少")[0] == "L"
    assert index.answer("电瓶车充一次电几块钱")[0] == "C"


@pytest.mark.parametrize("text", ["楼道里有人给电瓶车充电，太危险了", "楼道里能不能给电瓶车充电", "厨房里闻到煤气味",
                                  "万一着火了谁负责", "大件垃圾怎么预约", "你好", ""])
def test_the_analysis_says_whether_a_problem_is_named_as_the_form_reader_would(text):
    """The front door reads the form with the analysis's `names_problem` instead of reading the keywords and the
    emergency rules a second time: both must say the same."""
    a = analyzer()
    assert a.analyze(text).names_problem == a._names_a_problem(text)
