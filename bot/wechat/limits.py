"""WeChat's size limits on what we send."""

ELLIPSIS = "…"


def fit_utf8(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` UTF-8 bytes at a character boundary, ending in an ellipsis if cut."""
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    room = limit - len(ELLIPSIS.encode("utf-8"))
    return encoded[:room].decode("utf-8", errors="ignore") + ELLIPSIS
