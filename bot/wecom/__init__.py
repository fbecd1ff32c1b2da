"""The WeCom (企业微信) adapter for staff: callback webhook, API client, push delivery, a simulator."""
