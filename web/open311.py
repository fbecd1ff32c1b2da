"""Open311 GeoReport v2: other channels (the 12345 hotline, digital city management, …) file and
follow cases in the same store as the WeChat chat. Every method answers in JSON or XML by the URL's
format extension, as the spec does.

GET  /open311/v2/discovery.{fmt}                 service discovery
GET  /open311/v2/services.{fmt}                  the taxonomy's categories as services (group = major class)
GET  /open311/v2/services/{code}.{fmt}           a service's attributes (the category's slots: building, time)
POST /open311/v2/requests.{fmt}                  a new report (form-encoded, api_key): becomes a case, or a
                                                 repeat report of an open case in the same compound and category
GET  /open311/v2/requests.{fmt}                  service_request_id | service_code, start_date, end_date, status;
                                                 90 days by default, at most 1,000, newest first
GET  /open311/v2/requests/{id}.{fmt}             one case (id = the case number, e.g. 20261127-0012)
GET  /open311/v2/tokens/{token}.{fmt}            the case a POST's token belongs to
GET  /open311/v2/servicerequestupdates.{fmt}     mySociety's extension: status changes between start_date
                                                 and end_date (default the last 24 h), oldest first
POST /open311/v2/servicerequestupdates.{fmt}     mySociety's extension (api_key): a channel's comment on a case
                                                 it reported, as FixMyStreet posts them; see post_update
GET  /open311/v2/openapi.json                    an OpenAPI 3 description of all of the above

POST needs a channel's `api_key` (`python main.py channel add --name NAME`). Reads need none, as the spec
and its clients (FixMyStreet, georeport, civicbot) expect: they return the public view of backend/open311.py
(masked text, the compound's place, no media URLs or contact fields); a read with a channel's key (the
parameter or X-Api-Key) shows that channel's own cases in full. A key that is sent but wrong is a 403 on
reads too. Several `media_url` values on a POST are all kept. Errors are the spec's
`[{"code", "description"}]` (XML: <errors><error>…) with status 400 (a parameter missing or wrong), 403
(api_key) or 404 (an unknown service code, request id or token).

A report is understood as a WeChat one is: the nlp classifies the description when service_code is
missing or `other`, names in address_string are read as compounds, lat/long go to the nearest compound;
then backend.open311.submit applies the same duplicate check, routing, 1315 clock and trace.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Awaitable, Callable
from xml.etree import ElementTree as ET

from aiohttp import web
from multidict import MultiDict

from backend import channels, open311, phones, places
from backend.categories import priority_of, rules_of
from backend.cases import NewCase
from backend.clock import LOCAL_TZ
from bot import texts as T
from bot.config import Settings
from storage.db import Database

log = logging.getLogger(__name__)

PREFIX = "/open311/v2"
FMT = "{fmt}"  # json | xml; any other is answered with a 404 in the spec's error shape
FORMATS = ("json", "xml")
DESCRIPTION_LIMIT = 4000
MAX_IDS = 100
FIRST_YEAR, LAST_YEAR = 2000, 2099  # start_date/end_date outside these years are a mistake
MAX_MEDIA = 10
ATTRIBUTE = re.compile(r"^attribute\[(.+)\]$")
ATTRIBUTE_SLOTS = ("building", "time")  # the taxonomy's slots a channel fills as attributes (compound = location)
CONTACT_FIELDS = ("first_name", "last_name", "email", "device_id", "account_id")
# XML element names of list items, by the name of the list
XML_ITEMS = {"services": "service", "service_requests": "request", "errors": "error", "attributes": "attribute",
             "values": "value", "service_requests_updates": "request_update", "endpoints": "endpoint",
             "formats": "format", "service_request_updates": "request_update"}
# mySociety's update statuses (FixMyStreet sends them upper-case; `reopen` with extended statuses)
UPDATE_STATUSES = ("open", "closed", "fixed", "in_progress", "action_scheduled", "planned", "investigating",
                   "duplicate", "not_councils_responsibility", "no_further_action", "internal_referral", "reopen",
                   "for_triage")
TRUE_WORDS = ("true", "1", "yes")


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = description


def bad(description: str) -> Open311Error:
    return Open311Error(400, description)


# --- rendering --------------------------------------------------------------------------------------

def render(request: web.Request, root: str, data: Any, status: int = 200) -> web.Response:
    if request.match_info.get("fmt") == "xml":
        return web.Response(body=to_xml(root, data), status=status, content_type="application/xml",
                            charset="utf-8")
    return web.json_response(data, status=status, dumps=partial(json.dumps, ensure_ascii=False))


def to_xml(root: str, data: Any) -> bytes:
    element = ET.Element(root)
    _fill(element, root, data)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8")


def _fill(element: ET.Element, name: str, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), key, item)
    elif isinstance(value, list):
        for item in value:
            _fill(ET.SubElement(element, XML_ITEMS.get(name, "item")), XML_ITEMS.get(name, "item"), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


def errors(request: web.Request, status: int, description: str) -> web.Response:
    return render(request, "errors", [{"code": status, "description": description}], status=status)


Handler = Callable[[web.Request], Awaitable[web.Response]]


def spec_errors(handler: Handler) -> Handler:
    """Open311Error -> the spec's error list; anything unexpected -> a 500 in the same shape, logged."""
    async def wrapped(request: web.Request) -> web.Response:
        try:
            if request.match_info.get("fmt") not in FORMATS:
                raise Open311Error(404, "format must be json or xml")
            refuse_nul([*request.query.values(), *request.match_info.values()])
            return await handler(request)
        except Open311Error as exc:
            return errors(request, exc.status, exc.description)
        except web.HTTPException:
            raise
        except Exception:
            log.exception("open311: unhandled error on %s %s", request.method, request.path)
            return errors(request, 500, "internal error")
    return wrapped


# --- parameters -------------------------------------------------------------------------------------

def refuse_nul(values) -> None:
    """A NUL character is in no name, number or text of ours (and PostgreSQL cannot store one)."""
    if any(isinstance(v, str) and "\x00" in v for v in values):
        raise bad("parameters must not contain NUL characters")


def one(params: MultiDict, name: str) -> str | None:
    value = params.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


def listed(params: MultiDict, name: str) -> tuple[str, ...]:
    """A comma-delimited parameter (it may also be repeated)."""
    return tuple(dict.fromkeys(v.strip() for raw in params.getall(name, []) if isinstance(raw, str)
                               for v in raw.split(",") if v.strip()))


def date_param(params: MultiDict, name: str) -> datetime | None:
    text = one(params, name)
    if text is None:
        return None
    try:
        at = datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text else text)
    except ValueError:
        raise bad(f"{name} must be a W3C date-time, e.g. 2026-11-27T10:00:00+08:00") from None
    if not FIRST_YEAR <= at.year <= LAST_YEAR:  # beyond, windows and time zones overflow: no case is there
        raise bad(f"{name} must be a date between {FIRST_YEAR} and {LAST_YEAR}")
    return at.replace(tzinfo=LOCAL_TZ) if at.tzinfo is None else at


def number_param(params: MultiDict, name: str, low: float, high: float) -> float | None:
    text = one(params, name)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise bad(f"{name} must be a number") from None
    if not low <= value <= high:
        raise bad(f"{name} must be between {low:g} and {high:g}")
    return value


async def form(request: web.Request) -> MultiDict:
    """Query string and form body together (the body wins): clients differ in where they put parameters."""
    merged = MultiDict(request.query)
    if request.method == "POST" and request.can_read_body:
        try:
            body = await request.post()
        except web.HTTPException:
            raise
        except Exception as exc:  # whatever aiohttp's form parser trips on (encoding, headers, charset) is the body's fault
            raise bad(f"the request body is not a readable form: {type(exc).__name__}") from None
        for key in set(body.keys()):
            merged.popall(key, None)
            for value in body.getall(key):
                merged.add(key, value if isinstance(value, str) else "")
    refuse_nul([*merged.keys(), *merged.values()])
    return merged


# --- the API --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Location:
    compound_id: str | None
    building: str | None
    lat: float | None
    lng: float | None
    address: str | None


class Open311API:
    """The routes, given the database, the clock and the pipeline's services (handlers.services.Services,
    filled in place at start-up: the taxonomy, the nlp analyzer, the workflow policy)."""

    def __init__(self, db: Database, clock: Callable[[], datetime], services: Any, settings: Settings):
        self.db = db
        self.clock = clock
        self.services = services
        self.match_m = settings.open311_match_m

    def routes(self) -> list[web.RouteDef]:
        from web.open311_openapi import openapi

        async def describe(request: web.Request) -> web.Response:
            return web.json_response(openapi(), dumps=partial(json.dumps, ensure_ascii=False))

        return [
            web.get(f"{PREFIX}/openapi.json", describe),
            web.get(f"{PREFIX}/discovery.{FMT}", spec_errors(self.discovery)),
            web.get(f"{PREFIX}/services.{FMT}", spec_errors(self.services_list)),
            web.get(f"{PREFIX}/services/{{service_code}}.{FMT}", spec_errors(self.service_definition)),
            web.post(f"{PREFIX}/requests.{FMT}", spec_errors(self.post_request)),
            web.get(f"{PREFIX}/requests.{FMT}", spec_errors(self.get_requests)),
            web.get(f"{PREFIX}/requests/{{service_request_id}}.{FMT}", spec_errors(self.get_request)),
            web.get(f"{PREFIX}/tokens/{{token}}.{FMT}", spec_errors(self.get_token)),
            web.get(f"{PREFIX}/servicerequestupdates.{FMT}", spec_errors(self.get_updates)),
            web.post(f"{PREFIX}/servicerequestupdates.{FMT}", spec_errors(self.post_update)),
        ]

    @property
    def taxonomy(self):
        return self.services.taxonomy

    def service_names(self) -> dict[str, str]:
        return {c.code: c.name for c in self.taxonomy.categories}

    async def channel(self, session, request: web.Request, params: MultiDict):
        """The channel whose api_key (parameter, or the X-Api-Key header) this is; 403 otherwise."""
        found = await channels.by_key(session, one(params, "api_key") or request.headers.get("X-Api-Key"))
        if found is None:
            raise Open311Error(403, "api_key missing or not valid")
        return found

    async def reader(self, session, request: web.Request, params: MultiDict) -> open311.Reader:
        """Anybody (no key: the public view), or the channel whose key was sent (a wrong key is a 403)."""
        if one(params, "api_key") is None and not (request.headers.get("X-Api-Key") or "").strip():
            return open311.Reader()
        return open311.Reader(await self.channel(session, request, params))

    # --- services ---

    async def discovery(self, request: web.Request) -> web.Response:
        base = f"{request.scheme}://{request.host}{PREFIX}"
        return render(request, "discovery", {
            "changeset": "2026-11-28T00:00:00+08:00", "contact": T.OPEN311_CONTACT, "key_service": T.OPEN311_KEYS,
            "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": base,
                           "changeset": "2026-11-28T00:00:00+08:00", "type": "production",
                           "formats": ["application/json", "application/xml"]}]})

    def attributes(self, category) -> list[dict]:
        slots = [s for s in ATTRIBUTE_SLOTS if s in category.slots]
        return [{"variable": True, "code": slot, "datatype": "string", "required": False,
                 "datatype_description": T.OPEN311_ATTRIBUTE_HINT[slot], "order": n,
                 "description": category.questions.get(slot) or T.OPEN311_ATTRIBUTE[slot], "values": []}
                for n, slot in enumerate(slots, 1)]

    async def services_list(self, request: web.Request) -> web.Response:
        return render(request, "services", [{
            "service_code": c.code, "service_name": c.name, "description": c.notice or None,
            "metadata": bool(self.attributes(c)), "type": "realtime",
            "keywords": ",".join(c.labels) or None, "group": c.major_class} for c in self.taxonomy.categories])

    async def service_definition(self, request: web.Request) -> web.Response:
        code = request.match_info["service_code"]
        if code not in self.taxonomy:
            raise Open311Error(404, f"service_code {code} not found")
        return render(request, "service_definition",
                      {"service_code": code, "attributes": self.attributes(self.taxonomy.category(code))})

    # --- requests ---

    async def post_request(self, request: web.Request) -> web.Response:
        params = await form(request)
        now = self.clock()
        async with self.db.transaction() as session:
            channel = await self.channel(session, request, params)
            submission, category = await self.understand(session, params)
            done = await open311.submit(session, channel, submission, rules_of(category),
                                        self.services.workflow_policy, now)
        log.info("open311: %s report %s case %s (%s)", channel.name, "merged into" if done.repeat else "created",
                 done.case.number, done.case.category)
        return render(request, "service_requests", [{
            "service_request_id": done.case.number, "service_notice": done.notice,
            "account_id": one(params, "account_id"), "token": done.report.token}])

    async def understand(self, session, params: MultiDict):
        """The channel's fields as a case: category (given, or classified), place, details, contact."""
        taxonomy, nlp = self.taxonomy, self.services.nlp
        code = one(params, "service_code")
        if code is not None and code not in taxonomy:
            raise bad(f"service_code {code} not found; GET services lists them")
        description = one(params, "description") or ""
        if len(description) > DESCRIPTION_LIMIT:
            raise bad(f"description is longer than {DESCRIPTION_LIMIT} characters")
        if (code is None or code == "other") and not description:
            raise bad("service_code required (or a description to classify)")
        u = nlp.analyze(description) if description else None
        category_code = code or "other"
        if code in (None, "other") and u is not None and u.category and not u.ask_category:
            category_code = u.category
        urgent = bool(u and u.urgent)
        if urgent and code is None and category_code == "other":
            category_code = "emergency"
        category = taxonomy.category(category_code)
        attributes = {m.group(1): ",".join(v for v in params.getall(key) if isinstance(v, str))
                      for key in dict.fromkeys(params.keys()) if (m := ATTRIBUTE.match(key))}
        where = await self.locate(session, params)
        phone = contact_phone(one(params, "phone"))
        media_urls = listed_urls(params)
        new = NewCase(
            category=category.code, description=description or category.name,
            priority=priority_of(category), channel="", dept_id=category.department,
            compound_id=where.compound_id,
            building=(attributes.get("building") or where.building or (u.building if u else None) or None),
            occurred=(attributes.get("time") or (u.time if u else None) or None),
            lat=where.lat, lng=where.lng, urgent=urgent, contact_phone=phone,
            media=[{"kind": "image", "url": url} for url in media_urls])
        if new.building:
            new.building = new.building[:32]
        if new.occurred:
            new.occurred = new.occurred[:64]
        contact = {name: value[:128] for name in CONTACT_FIELDS if (value := one(params, name))}
        return open311.Submission(new=new, service_code=code, address=where.address, attributes=attributes,
                                  contact=contact), category

    async def locate(self, session, params: MultiDict) -> Location:
        """address_id (a compound id), address_string (a compound's name, as the nlp reads it) or lat/long
        (the nearest compound within OPEN311_MATCH_M): one is needed, and it must be in the street."""
        lat = number_param(params, "lat", -90, 90)
        lng = number_param(params, "long", -180, 180)
        if (lat is None) != (lng is None):
            raise bad("lat and long go together")
        address = one(params, "address_string")
        address_id = one(params, "address_id")
        if lat is None and address is None and address_id is None:
            raise bad("a location is required: lat and long, address_string or address_id")
        compounds = await places.all_places(session)
        if address_id is not None:
            if address_id not in {p.id for p in compounds}:
                raise bad(f"address_id {address_id} is not a compound of the street")
            return Location(address_id, None, lat, lng, address)
        if address is not None:
            u = self.services.nlp.analyze(address)
            if u.compound:
                return Location(u.compound, u.building, lat, lng, address)
            if lat is None:
                names = {p.id: p.name for p in compounds}
                if len(u.compound_candidates) > 1:
                    raise bad("address_string names several compounds: "
                              + ", ".join(names.get(c, c) for c in u.compound_candidates) + "; name one, or send lat/long")
                raise bad("address_string names no compound of the street; send lat/long or address_id")
        found = places.nearest(compounds, lat, lng)
        if found is None or found[1] > self.match_m:
            raise bad(f"lat/long is not within {self.match_m} m of a compound of the street")
        return Location(found[0].id, None, lat, lng, address)

    async def get_requests(self, request: web.Request) -> web.Response:
        params = request.query
        statuses = listed(params, "status")
        if any(s not in ("open", "closed") for s in statuses):
            raise bad("status is open, closed or both (comma-delimited)")
        numbers = listed(params, "service_request_id")
        if len(numbers) > MAX_IDS:
            raise bad(f"at most {MAX_IDS} service_request_id values")
        query = open311.RequestQuery(numbers=numbers, service_codes=listed(params, "service_code"),
                                     start=date_param(params, "start_date"), end=date_param(params, "end_date"),
                                     statuses=statuses)
        async with self.db.sessions() as session:
            reader = await self.reader(session, request, params)
            found = await open311.find_requests(session, query, self.clock())
            views = await open311.request_views(session, found, self.service_names(), reader)
        return render(request, "service_requests", views)

    async def get_request(self, request: web.Request) -> web.Response:
        number = request.match_info["service_request_id"]
        async with self.db.sessions() as session:
            reader = await self.reader(session, request, request.query)
            found = await open311.find_requests(session, open311.RequestQuery(numbers=(number,)), self.clock())
            if not found:
                raise Open311Error(404, f"service_request_id {number} not found")
            views = await open311.request_views(session, found, self.service_names(), reader)
        return render(request, "service_requests", views)

    async def get_token(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        async with self.db.sessions() as session:
            await self.reader(session, request, request.query)
            found = await open311.by_token(session, token)
        if found is None:
            raise Open311Error(404, f"token {token} not found")
        return render(request, "service_requests", [{"service_request_id": found[1].number, "token": token}])

    async def get_updates(self, request: web.Request) -> web.Response:
        params = request.query
        start, end = date_param(params, "start_date"), date_param(params, "end_date")
        async with self.db.sessions() as session:
            reader = await self.reader(session, request, params)
            updates = await open311.find_updates(session, start, end, self.clock(), reader=reader)
        return render(request, "service_requests_updates", updates)

    async def post_update(self, request: web.Request) -> web.Response:
        """A keyed channel's comment on a case it reported (FixMyStreet's update): the comment joins the case's
        trace with every media_url; `public=true` also pushes it to the case's residents; status REOPEN (or
        OPEN) reopens a finished case; a resent update_id is answered with the first one's id."""
        params = await form(request)
        number = one(params, "service_request_id")
        if number is None:
            raise bad("service_request_id required")
        status = (one(params, "status") or "").lower() or None
        if status is not None and status not in UPDATE_STATUSES:
            raise bad("status must be one of " + ", ".join(UPDATE_STATUSES) + " (any case)")
        description = one(params, "description") or ""
        if len(description) > DESCRIPTION_LIMIT:
            raise bad(f"description is longer than {DESCRIPTION_LIMIT} characters")
        media_urls = tuple(listed_urls(params))
        if not description and not media_urls:
            raise bad("description or media_url required")
        update = open311.ChannelUpdate(number=number, description=description, status=status,
                                       update_id=(one(params, "update_id") or "")[:64] or None,
                                       public=(one(params, "public") or "").lower() in TRUE_WORDS,
                                       media_urls=media_urls)
        async with self.db.transaction() as session:
            channel = await self.channel(session, request, params)
            posted = await open311.post_update(session, channel, update,
                                               lambda code: rules_of(self.taxonomy.category(code)),
                                               self.services.workflow_policy, self.clock())
            if posted.code == "not_found":
                raise Open311Error(404, f"service_request_id {number} not found")
            if posted.code == "not_yours":
                raise Open311Error(403, f"service_request_id {number} was not reported by this channel")
            event_id = posted.event.id
        log.info("open311: %s %s update on %s%s", channel.name, posted.code, number,
                 " (reopened)" if posted.reopened else "")
        return render(request, "service_request_updates", [{"update_id": str(event_id), "service_request_id": number}])


def listed_urls(params: MultiDict) -> list[str]:
    """Every media_url sent (the parameter repeated, or media_url[]), each an http(s) URL, at most MAX_MEDIA."""
    urls = list(dict.fromkeys(v.strip() for name in ("media_url", "media_url[]") for v in params.getall(name, [])
                              if isinstance(v, str) and v.strip()))
    if len(urls) > MAX_MEDIA:
        raise bad(f"at most {MAX_MEDIA} media_url values")
    for url in urls:
        if len(url) > 2000 or not re.match(r"^https?://\S+$", url):
            raise bad("media_url must be an http(s) URL")
    return urls


def contact_phone(text: str | None) -> str | None:
    """A mobile number as 11 digits; another number (a landline) as its digits; garbage is refused."""
    if text is None:
        return None
    mobile = phones.normalize(text)
    if mobile:
        return mobile
    digits = re.sub(r"\D", "", text)
    if not 7 <= len(digits) <= 15 or re.search(r"[^\d\s()+\-]", text):
        raise bad("phone must be a phone number")
    return digits
