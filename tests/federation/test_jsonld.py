"""The offline JSON-LD document loader and the bundled contexts."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from fediverse_skills.federation import jsonld

from .proof_vectors import EDDSA_RDFC_2022

SHARED_CONTEXTS = Path(__file__).resolve().parents[2].parent / "shared" / "contexts"


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network use")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_index_matches_known_contexts() -> None:
    index = json.loads(jsonld.context_bytes("index.json"))
    assert index == jsonld.KNOWN_CONTEXTS


def test_bundled_contexts_match_shared() -> None:
    if not SHARED_CONTEXTS.is_dir():
        pytest.skip("../shared is not present (a fresh clone)")
    for name in [*jsonld.KNOWN_CONTEXTS.values(), "index.json"]:
        assert jsonld.context_bytes(name) == (SHARED_CONTEXTS / name).read_bytes(), name


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize("url", list(jsonld.KNOWN_CONTEXTS))
def test_loader_serves_each_bundled_context(url: str) -> None:
    remote = jsonld.document_loader(url)
    assert remote["documentUrl"] == url
    assert "@context" in remote["document"]
    # every context is usable by pyld
    expanded = jsonld.expand({"@context": url, "@id": "https://example.com/x"})
    assert isinstance(expanded, list)


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x",
        "https://unknown.example/context.jsonld",
        "http://www.w3.org/ns/activitystreams",  # only the exact https URL is bundled
        "file:///etc/passwd",
    ],
)
def test_loader_refuses_other_urls(url: str) -> None:
    with pytest.raises(jsonld.JsonLdError) as info:
        jsonld.document_loader(url, {})
    assert info.value.code == "loading document failed"
    with pytest.raises(jsonld.JsonLdError):
        jsonld.canonize({"@context": url, "@id": "https://example.com/x", "a": "b"})
    with pytest.raises(jsonld.JsonLdError):
        jsonld.expand({"@context": [url], "@id": "https://example.com/x"})


def test_loader_returns_fresh_copies() -> None:
    url = "https://w3id.org/security/multikey/v1"
    first = jsonld.document_loader(url)
    first["document"]["@context"]["tampered"] = "x"
    assert "tampered" not in jsonld.document_loader(url)["document"]["@context"]


@pytest.mark.usefixtures("no_network")
def test_canonize_vc_di_eddsa_rdfc_vectors() -> None:
    v = EDDSA_RDFC_2022
    assert jsonld.canonize(v["unsigned_document"]) == v["canonical_document"]
    assert jsonld.canonize(v["proof_options"]) == v["canonical_proof_options"]


@pytest.mark.usefixtures("no_network")
def test_expand_activitystreams_note() -> None:
    doc = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://server.example/objects/1",
        "type": "Note",
        "content": "Hello",
    }
    assert jsonld.expand(doc) == [
        {
            "@id": "https://server.example/objects/1",
            "@type": ["https://www.w3.org/ns/activitystreams#Note"],
            "https://www.w3.org/ns/activitystreams#content": [{"@value": "Hello"}],
        }
    ]
