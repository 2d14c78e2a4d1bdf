"""NodeInfo 2.1: what this instance is, and how much it is used."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import __version__
from .uris import LocalUris
from .vocabulary import IMPLEMENTS

SCHEMA_21 = "http://nodeinfo.diaspora.software/ns/schema/2.1"
PROFILE_21 = f'application/json; profile="{SCHEMA_21}#"'


@dataclass(frozen=True)
class Usage:
    users_total: int
    users_active_month: int
    users_active_halfyear: int
    local_posts: int


def well_known(uris: LocalUris) -> dict[str, Any]:
    return {"links": [{"rel": SCHEMA_21, "href": f"{uris.base_url}/nodeinfo/2.1"}]}


def document(usage: Usage, *, open_registrations: bool = False) -> dict[str, Any]:
    return {
        "version": "2.1",
        "software": {
            "name": "fediverse-skills",
            "version": __version__,
        },
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": open_registrations,
        "usage": {
            "users": {
                "total": usage.users_total,
                "activeMonth": usage.users_active_month,
                "activeHalfyear": usage.users_active_halfyear,
            },
            "localPosts": usage.local_posts,
        },
        "metadata": {
            "nodeName": "fediverse-skills",
            "capabilities": {
                "httpSignatures": ["draft-cavage-http-signatures-12", "rfc9421"],
                "objectProofs": ["eddsa-jcs-2022", "eddsa-rdfc-2022"],
            },
            "implements": IMPLEMENTS,
            "federation": {"enabled": True},
        },
    }
