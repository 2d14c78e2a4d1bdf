"""The ActivityPub protocol: pure functions over data, plus the one HTTP client (client.py).

Nothing here performs I/O except :mod:`fediverse_skills.federation.client`. Signing and
verifying take ``(method, url, headers, body)`` and a key-lookup callable and return a
result; they never send or fetch anything themselves.
"""
