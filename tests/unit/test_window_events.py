"""What opens WeChat's 48-hour customer-service window: declared once (storage.inbound.WINDOW_EVENTS)."""
from __future__ import annotations

import pytest

from storage.inbound import opens_window


@pytest.mark.parametrize("kind,event,opens", [
    ("text", None, True), ("image", None, True), ("voice", None, True), ("location", None, True),
    ("event", "subscribe", True), ("event", "SCAN", True), ("event", "CLICK", True),
    ("event", "scancode_push", True), ("event", "scancode_waitmsg", True),
    ("event", "LOCATION", False), ("event", "VIEW", False), ("event", "TEMPLATESENDJOBFINISH", False),
    ("event", "unsubscribe", False), ("event", "MASSSENDJOBFINISH", False), ("event", None, False),
])
def test_what_opens_the_window(kind, event, opens):
    assert opens_window(kind, event) is opens
