"""Offline copies of the JSON-LD contexts served by ``fediverse_skills.federation.jsonld``."""
