"""The one entry point of nlp/: Analyzer.analyze(text) -> Understanding."""
from __future__ import annotations

import logging
from functools import partial
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Iterable

from .answers import DetailReader, Details
from .emergencies import Emergency, EmergencyRules
from .faq import FaqEntry, FaqIndex, KbWords, load_kb_words
from .extract import CueFinder, TimeFinder, find_building, find_case_number, find_phone, mask_phone
from .inquiry import ASIDES, CHAT_MAX, FormReader, Inquiry, answerable, decide
from .sounds import SoundAlike
from .intent import IntentRecogniser
from .keywords import KeywordClassifier, names_a_problem
from .lexicon import Lexicon, load_lexicon
from .linear import LinearModel
from .normalize import normalize
from .places import Place, PlaceIndex
from .taxonomy import FALLBACK, Taxonomy
from .tokenizer import DEFAULT_DICTIONARY_SIZE, Tokenizer
from .turns import Turn, TurnReader

log = logging.getLogger(__name__)
TOP_CANDIDATES = 3
EMERGENCY_CONFIDENCE = 0.9  # an emergency found by the rules is not offered as a menu
PRIORITY_ORDER = ("urgent", "high", "normal", "low")


@dataclass(frozen=True)
class Understanding:
    text: str  # normalised
    category: str
    confidence: float  # calibrated probability of `category`
    candidates: list[tuple[str, float]]  # top 3 (code, probability), best first
    ask_category: bool  # confidence is low: let the resident pick from the candidates
    compound: str | None  # place id, None when absent or ambiguous
    compound_candidates: list[str]
    place_detail: str | None  # where at the place, said after its name: "88号", "门口", "对面"
    building: str | None  # "3栋", "3栋2单元", "3栋2单元502室"
    building_no: str | None
    unit: int | None
    room: str | None
    floor: int | None
    time: str | None  # the time phrase as written, e.g. "每天晚上十点以后"
    time_of_day: str | None  # late_night | early_morning | morning | noon | afternoon | evening | daytime | weekend
    hour: int | None
    urgent: bool  # an emergency happening now: call `hotlines` before anything else
    urgent_kinds: list[str]  # kinds happening now (emergencies.toml): fire | gas | electric | trapped | injury | ...
    hotlines: list[str]  # numbers to call at once, the first one first, e.g. ["119", "96333"]
    repeat: bool
    hearsay: bool
    phone: str | None  # raw, for masking: never show it
    case_number: str | None
    intent: str
    charging_kind: str | None  # ebike | car | None
    rating: str | None  # a survey answer's level: satisfied | basic | unsatisfied
    resolved: bool | None
    missing_slots: list[str]  # the category's slots not filled from this message (nlp fills compound, building, time)
    matched: list[str] = field(default_factory=list)  # keyword evidence, for staff and debugging
    emergency: Emergency | None = None  # the emergency or hazard read (kind, number, advice, evidence)
    hazard: bool = False  # a danger feared or over ("万一着火"): a priority, no call advice
    priority: str = "normal"  # urgent | high | normal | low: the category's, raised by an emergency or hazard
    names_problem: bool = False  # some category's keywords or an emergency rule speak (keywords.names_a_problem)
    place_text: str | None = None  # the compound's name as written, which the turn reader must not read as what happens

    @property
    def details(self) -> Details | None:
        """Spot, building, scope, time slot and what happens: read on first use only, so a message that
        never needs them (a status query, a survey answer) does not pay for them."""
        if "_details" not in self.__dict__:
            read = self.__dict__.get("_read_details")
            object.__setattr__(self, "_details", read() if read is not None else None)
        return self.__dict__["_details"]

    @property
    def spot(self) -> str | None:
        """Where exactly: "南门小广场", "6楼阳台", "3栋2单元楼道" (see `details`)."""
        return self.details.spot if self.details is not None else None

    def as_json(self) -> dict:
        """The keys of `nlp classify --json`, then the rest."""
        d = {**asdict(self), "spot": self.spot}
        d["candidates"] = [[c, round(p, 4)] for c, p in self.candidates]
        d["confidence"] = round(self.confidence, 4)
        if self.phone:  # never print a resident's number, not even inside the text or the details
            d = _replaced(d, self.phone, mask_phone(self.phone))
        head = ("category", "confidence", "candidates", "compound", "compound_candidates", "building", "time",
                "urgent", "repeat", "intent")
        return {**{k: d[k] for k in head}, **{k: v for k, v in d.items() if k not in head}}


def _replaced(value, old: str, new: str):
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, dict):
        return {k: _replaced(v, old, new) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_replaced(v, old, new) for v in value)
    return value


class Analyzer:
    """Built once at start (loads jieba and the dictionaries); analyze() is then pure computation,
    safe to call from several threads, and never raises on any input."""

    def __init__(self, taxonomy: Taxonomy, places: Iterable[Place] = (), model_dir: str | Path | None = None,
                 cache_dir: str | Path | None = None, lexicon: Lexicon | None = None,
                 dictionary_size: int = DEFAULT_DICTIONARY_SIZE, emergencies: EmergencyRules | None = None,
                 kb_words: KbWords | None = None):
        self.taxonomy = taxonomy
        self.lexicon = lexicon or load_lexicon()
        self.places = PlaceIndex(places)
        self.keywords = KeywordClassifier(taxonomy, self.lexicon)
        self.tokenizer = Tokenizer(cache_dir, self._user_words(), dictionary_size)
        self.times = TimeFinder(self.lexicon)
        self.cues = CueFinder(self.lexicon)
        self.emergencies = emergencies or EmergencyRules()
        self.detail_reader = DetailReader(self.lexicon)
        self.turns = TurnReader(self.lexicon, self.detail_reader, self._names_a_problem)
        self.intents = IntentRecogniser(self.lexicon)
        self.kb_words = kb_words or load_kb_words()
        self.forms = FormReader(self.kb_words.forms, self._names_a_problem, self.turns.indefinites.out_of)
        self.model: LinearModel | None = None
        self._model_codes: list[str | None] = []
        if model_dir:
            self.load_model(model_dir)

    def load_model(self, model_dir: str | Path) -> None:
        model = LinearModel.load(model_dir)
        codes = [self.taxonomy.code_for_label(label) for label in model.labels]
        unknown = [label for label, code in zip(model.labels, codes) if code is None]
        if unknown:
            log.warning("model labels not in the taxonomy, ignored: %s", unknown)
        self.model, self._model_codes = model, codes

    def _user_words(self) -> list[str]:
        return [*self.lexicon.domain_words, *self.keywords.phrases, *self.places.words]

    def tokenize(self, text: str) -> list[str]:
        return self.tokenizer.cut(normalize(text))

    @staticmethod
    def mask_phone(phone: str) -> str:
        return mask_phone(phone)

    def _names_a_problem(self, text: str) -> bool:
        return names_a_problem(self.keywords.evidence(text), self.emergencies.read(text))

    def turn(self, text: object, expecting: str | None = None, understanding: Understanding | None = None) -> Turn:
        """What a message at a dialog step is (answer, confirm, cancel, correction, detail, question,
        chit-chat, staff command, empty); `expecting` is what the step asked (turns.EXPECTING). `understanding`:
        analyze() of the same text when the caller has it, whose place, details and evidence are not read again."""
        try:
            clean = normalize(text)
            if understanding is not None:
                return self.turns.read(clean, expecting, understanding.place_text,
                                       understanding.details, understanding.names_problem)
            return self.turns.read(clean, expecting, self.places.find(clean).text)
        except Exception:
            log.exception("turn reading failed; taking it as a detail")
            return Turn("detail", normalize(text))

    def faq_index(self, entries: Iterable[FaqEntry]) -> FaqIndex:
        """A knowledge-base index of these entries, cut by this analyzer's jieba with the street's synonyms."""
        return FaqIndex(entries, self.tokenizer.cut, self.kb_words, asks=self.forms.asks,
                        sound_alike=lambda words: SoundAlike(words, self.tokenizer.is_word,
                                                             self.tokenizer.log_probability))

    def inquire(self, text: object, index: FaqIndex | None, understanding: Understanding | None = None) -> Inquiry:
        """Question (and the entry answering it, if one does), complaint or other: the front door's decision.
        `understanding`: analyze() of the same text when the caller has it already (the chat has), so the
        message is not analysed twice; the knowledge base is searched only for what may be a question."""
        try:
            clean = normalize(text)
            u = understanding or self.analyze(clean)
            form = self.forms.read(clean, names=u.names_problem)
            hazard = u.emergency is not None and u.emergency.hazard and not u.emergency.past
            may_ask = index is not None and answerable(form, urgent=u.urgent, hazard=hazard)
            found = index.answer(clean) if may_ask else (None, 0.0, [])
            short = form.kind != "report" and not u.urgent and len(clean) <= CHAT_MAX
            aside = self.turn(clean, None, u).kind if short else None
            said = text.strip() if isinstance(text, str) else clean
            decided = decide(said, form, urgent=u.urgent, intent=aside if aside in ASIDES else u.intent, found=found,
                             hazard=hazard)
            if decided.intent == "consultation" and decided.faq_id is None and index is not None:
                return replace(decided, offered=index.near(decided.candidates))
            return decided
        except Exception:  # as analyze(): a resident's message must never break the conversation
            log.exception("inquiry failed; answering 'other'")
            return Inquiry(normalize(text), "other", None, 0.0, [], "error")

    def details(self, text: object) -> Details:
        """Spot, building, scope, time slot and what happens, of a first message or an answer (kept out of
        analyze(), which every message pays for)."""
        try:
            clean = normalize(text)
            return self.detail_reader.read(clean, self.places.find(clean).text)
        except Exception:  # as analyze(): a resident's message must never break the dialog
            log.exception("detail reading failed; no details")
            return Details(None, None, None, False, None, None)

    def analyze(self, text: object) -> Understanding:
        try:
            return self._analyze(normalize(text))
        except Exception:  # a resident's message must never break the dialog
            log.exception("analysis failed; answering 'other'")
            return self._analyze("")

    def _analyze(self, text: str) -> Understanding:
        evidence = self.keywords.evidence(text)
        probs = self.keywords.probabilities(evidence)
        if self.model is not None and text:
            probs = self._with_model(text, probs, evidence_found=bool(evidence.matched))
        emergency = self.emergencies.read(text)
        ranked = self._ranked(sorted(probs.items(), key=lambda kv: -kv[1]), emergency)
        category, confidence = ranked[0]
        urgent = emergency is not None and not emergency.hazard
        place = self.places.find(text)
        building = find_building(text)
        when = self.times.find(text)
        case_number = find_case_number(text)
        reading = self.intents.read(text, has_category_evidence=bool(evidence.matched), case_number=case_number)
        filled = {"compound": place.compound, "building": building.building, "time": when.text}
        slots = self.taxonomy.category(category).slots
        u = Understanding(
            text=text,
            category=category,
            confidence=confidence,
            candidates=ranked[:TOP_CANDIDATES],
            ask_category=confidence < self.taxonomy.settings.ask_below and not urgent,
            compound=place.compound,
            compound_candidates=list(place.candidates),
            place_detail=place.detail,
            building=building.building,
            building_no=building.number,
            unit=building.unit,
            room=building.room,
            floor=building.floor,
            time=when.text,
            time_of_day=when.part_of_day,
            hour=when.hour,
            urgent=urgent,
            urgent_kinds=list(emergency.kinds) if urgent else [],
            hotlines=list(emergency.numbers) if urgent else [],
            repeat=self.cues.repeat(text),
            hearsay=evidence.hearsay,
            phone=find_phone(text),
            case_number=case_number,
            intent=reading.intent,
            charging_kind=self.cues.charging_kind(text) if reading.intent == "charging_query" else None,
            rating=reading.rating,
            resolved=reading.resolved,
            missing_slots=[s for s in slots if not filled.get(s)],
            matched=list(evidence.matched),
            emergency=emergency,
            hazard=emergency is not None and emergency.hazard,
            names_problem=names_a_problem(evidence, emergency),
            place_text=place.text,
            priority=self._priority(category, emergency),
        )
        object.__setattr__(u, "_read_details", partial(self.detail_reader.read, text, place.text, when=when,
                                                       building_ref=building))
        return u

    def _ranked(self, ranked: list[tuple[str, float]], emergency: Emergency | None) -> list[tuple[str, float]]:
        """Candidates best first, after the emergency rules: an emergency happening now takes its category
        at high confidence; a hazard is not an emergency, so when the classifier's best is 'emergency' or
        'other' the next category with evidence takes it, or else the rules' hazard category."""
        if emergency is None:
            return ranked[:TOP_CANDIDATES]
        if not emergency.hazard:
            code = emergency.category
            own = dict(ranked).get(code, 0.0)
            confidence = max(EMERGENCY_CONFIDENCE, own)
            scale = (1.0 - confidence) / max(1.0 - own, 1e-9)  # the others share what is left
            return [(code, confidence), *[(c, p * scale) for c, p in ranked if c != code]][:TOP_CANDIDATES]
        if ranked[0][0] not in ("emergency", FALLBACK):
            return ranked[:TOP_CANDIDATES]
        kept = [(c, p) for c, p in ranked if c not in ("emergency", FALLBACK)]
        left = max(sum(p for _, p in kept), 1e-9)  # the rules say "a hazard, not an emergency": condition on it
        rest = [(c, p / left) for c, p in kept]
        if not kept or kept[0][1] < self.emergencies.hazard_min_probability:
            fallback = self.emergencies.hazard_category
            rest = [(fallback, max(dict(rest).get(fallback, 0.0), ranked[0][1])),
                    *[(c, p) for c, p in rest if c != fallback]]
        return rest[:TOP_CANDIDATES]

    def _priority(self, category: str, emergency: Emergency | None) -> str:
        own = self.taxonomy.category(category).priority
        if emergency is None:
            return own
        return min(own, emergency.priority, key=PRIORITY_ORDER.index)

    def _with_model(self, text: str, keyword_probs: dict[str, float], evidence_found: bool) -> dict[str, float]:
        """Mix keyword and model probabilities; with no keyword evidence the model speaks alone."""
        model_probs = self.model.probability_list(text, self.tokenizer.cut(text))
        pairs = [(code, p) for code, p in zip(self._model_codes, model_probs) if code is not None]
        mapped = sum(p for _, p in pairs)
        if mapped <= 0:
            return keyword_probs
        weight = self.taxonomy.settings.model_weight if evidence_found else 1.0
        keep, scale = 1.0 - weight, weight / mapped
        mixed = {code: keep * p for code, p in keyword_probs.items()}
        for code, p in pairs:  # several labels may map to one code: their probabilities add up
            mixed[code] += scale * p
        return mixed
