"""Sandbox mode: a local fake of WeChat and the credentials it shares with the chat client."""
