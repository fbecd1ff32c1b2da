"""Conversations: the router picks the handler for each Update."""
from handlers.app import build_router
from handlers.router import Context, Router
from handlers.types import Article, Location, Media, Reply, Update

__all__ = ["build_router", "Context", "Router", "Article", "Location", "Media", "Reply", "Update"]
