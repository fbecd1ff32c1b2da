"""Long-lived objects the handlers use, built once at start: the taxonomy and the nlp analyzer
(jieba loaded here, never on the first message), given the street's places from the database, and
the street's configured policies."""
from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from backend.places import all_places
from backend.surveys import SurveyPolicy
from backend.takeover import TakeoverPolicy
from backend.workflow import Policy, SlaPlan
from bot.background.standing import retention_policy
from bot.config import Settings
from handlers.knowledge import KnowledgeBase
from handlers.services import Services
from storage.db import Database
from web.charging import charging_policy

log = logging.getLogger(__name__)


async def nlp_places(db: Database) -> list:
    from nlp import Place

    async with db.sessions() as session:
        compounds = await all_places(session)
    return [Place(id=c.id, name=c.name, aliases=c.aliases, buildings=c.buildings, lat=c.lat, lng=c.lng,
                  community=c.community, kind=c.kind, roads=c.roads, address=c.address)
            for c in compounds]


async def build_services(settings: Settings, db: Database) -> Services:
    from nlp import Analyzer, load_taxonomy

    started = time.perf_counter()
    taxonomy = load_taxonomy()
    analyzer = Analyzer(taxonomy, await nlp_places(db), model_dir=settings.nlp_model_dir,
                        cache_dir=settings.data_dir)
    knowledge = KnowledgeBase()
    async with db.sessions() as session:  # the entries' index is ready with the server, not on the first question
        await knowledge.index(session, analyzer, datetime.now(timezone.utc))
    log.info("nlp and knowledge base ready in %.2fs", time.perf_counter() - started)
    return Services(taxonomy=taxonomy, nlp=analyzer, knowledge=knowledge, **policies(settings))


def policies(settings: Settings) -> dict[str, Any]:
    """The street's configured rules that handlers hand to the backend, and where its pages are, by Services
    field."""
    return {
        "public_url": settings.public_url,
        "workflow_policy": Policy(sla=SlaPlan(settings.sla_accept_s, settings.sla_depart_s, settings.sla_arrive_s),
                                  revisit_after_s=settings.revisit_after_s,
                                  survey=SurveyPolicy(delay_s=settings.survey_delay_s)),
        "charging_policy": charging_policy(settings),
        "dialog_ttl": timedelta(seconds=settings.draft_ttl_s),
        "retention_policy": retention_policy(settings),
        "takeover_policy": TakeoverPolicy(pickup_s=settings.takeover_pickup_s, idle_s=settings.takeover_idle_s),
    }
