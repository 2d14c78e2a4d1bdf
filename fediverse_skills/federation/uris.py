"""The URIs of this instance's actors, objects and endpoints."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

_ACTOR_PATH = re.compile(r"/users/([a-z0-9_]{1,30})")
_NOTE_PATH = re.compile(r"/users/([a-z0-9_]{1,30})/notes/([A-Za-z0-9_-]{1,40})")


@dataclass(frozen=True)
class LocalUris:
    base_url: str  # an origin, e.g. https://skills.example.org

    @property
    def host(self) -> str:
        """The host as handles show it (with the port, if any)."""
        return urlsplit(self.base_url).netloc

    def actor(self, username: str) -> str:
        return f"{self.base_url}/users/{username}"

    def main_key(self, username: str) -> str:
        return f"{self.actor(username)}#main-key"

    def ed25519_key(self, username: str) -> str:
        return f"{self.actor(username)}#ed25519-key"

    def inbox(self, username: str) -> str:
        return f"{self.actor(username)}/inbox"

    def outbox(self, username: str) -> str:
        return f"{self.actor(username)}/outbox"

    def followers(self, username: str) -> str:
        return f"{self.actor(username)}/followers"

    def following(self, username: str) -> str:
        return f"{self.actor(username)}/following"

    def opportunity(self, username: str, public_id: str) -> str:
        """A posting's id (the Note)."""
        return f"{self.actor(username)}/opportunities/{public_id}"

    def opportunity_page(self, public_id: str) -> str:
        """A posting's page: details, interest and referrals."""
        return f"{self.base_url}/opportunities/{public_id}"

    def media(self, name: str) -> str:
        return f"{self.base_url}/media/{name}"

    def profile(self, username: str) -> str:
        return f"{self.base_url}/@{username}"

    def note(self, username: str, public_id: str) -> str:
        return f"{self.actor(username)}/notes/{public_id}"

    def skills(self, username: str) -> str:
        return f"{self.actor(username)}/skills"

    def featured_tags(self, username: str) -> str:
        return f"{self.actor(username)}/featured_tags"

    def endorsement(self, username: str, public_id: str) -> str:
        return f"{self.actor(username)}/endorsements/{public_id}"

    def suggestion(self, username: str, public_id: str) -> str:
        return f"{self.actor(username)}/suggestions/{public_id}"

    def tag(self, name: str) -> str:
        return f"{self.base_url}/tags/{name}"

    def activity(self, username: str | None, public_id: str) -> str:
        owner = self.actor(username) if username else self.instance_actor
        return f"{owner}/activities/{public_id}"

    @property
    def shared_inbox(self) -> str:
        return f"{self.base_url}/inbox"

    @property
    def instance_actor(self) -> str:
        return f"{self.base_url}/actor"

    @property
    def instance_key(self) -> str:
        return f"{self.instance_actor}#main-key"

    def is_local(self, uri: str) -> bool:
        return uri == self.base_url or uri.startswith(self.base_url + "/")

    def username_of(self, actor_uri: str) -> str | None:
        """The local username an actor URI names, or None."""
        if not self.is_local(actor_uri):
            return None
        match = _ACTOR_PATH.fullmatch(actor_uri[len(self.base_url) :])
        return match.group(1) if match else None

    def note_of(self, uri: str) -> tuple[str, str] | None:
        """(username, public id) of one of our notes' URIs, or None."""
        if not self.is_local(uri):
            return None
        match = _NOTE_PATH.fullmatch(uri[len(self.base_url) :])
        return (match.group(1), match.group(2)) if match else None
