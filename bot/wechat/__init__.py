"""The WeChat official-account adapter: webhook, XML codec, crypto, and a client that plays WeChat."""
