"""FEP-8b32 / Data Integrity proofs: known answers from the published vectors and
adversarial cases."""

from __future__ import annotations

import copy
import hashlib
import json
import socket
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from fediverse_skills.federation import jcs, proofs
from fediverse_skills.federation.multibase import b58decode, b58encode, decode_ed25519_multikey
from fediverse_skills.federation.proofs import ProofError, origin_matches, sign_jcs, verify

from .proof_vectors import EDDSA_JCS_2022, EDDSA_RDFC_2022, FEP_8B32_NEWER, FEP_8B32_V1

SHARED_VECTORS = Path(__file__).resolve().parents[2].parent / "shared" / "vectors"
CREATED = datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC)


def _secret_key(multibase: str) -> Ed25519PrivateKey:
    data = b58decode(multibase[1:])
    assert data[:2] == bytes.fromhex("8026")
    return Ed25519PrivateKey.from_private_bytes(data[2:])


def _public_key(multibase: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(decode_ed25519_multikey(multibase))


VC_KEY = _secret_key(EDDSA_JCS_2022["key_pair"]["privateKeyMultibase"])
VC_PUB = _public_key(EDDSA_JCS_2022["key_pair"]["publicKeyMultibase"])
VC_METHOD = EDDSA_JCS_2022["proof_options"]["verificationMethod"]


def _lookup(method: str, key: Ed25519PublicKey = VC_PUB) -> Any:
    return lambda vm: key if vm == method else None


def _fep_lookup(vector: dict[str, Any]) -> Any:
    methods = {
        m["id"]: _public_key(m["publicKeyMultibase"]) for m in vector["actor"]["assertionMethod"]
    }
    return methods.get


# --- known answers ------------------------------------------------------------------


def test_key_pair_matches_derived_hex() -> None:
    derived = EDDSA_JCS_2022["key_pair_derived"]
    assert VC_KEY.private_bytes_raw().hex() == derived["secret_key_seed_hex"]
    assert VC_PUB.public_bytes_raw().hex() == derived["public_key_hex"]
    assert VC_KEY.public_key().public_bytes_raw() == VC_PUB.public_bytes_raw()


def test_vc_di_eddsa_jcs_2022_sign_byte_for_byte() -> None:
    v = EDDSA_JCS_2022
    doc_canon = jcs.canonicalize(v["unsigned_document"])
    config_canon = jcs.canonicalize(v["proof_options"])
    assert doc_canon.decode() == v["canonical_document"]
    assert config_canon.decode() == v["canonical_proof_options"]
    assert hashlib.sha256(doc_canon).hexdigest() == v["document_hash_hex"]
    assert hashlib.sha256(config_canon).hexdigest() == v["proof_options_hash_hex"]
    combined = hashlib.sha256(config_canon).digest() + hashlib.sha256(doc_canon).digest()
    assert combined.hex() == v["combined_hash_hex"]
    assert VC_KEY.sign(combined).hex() == v["signature_hex"]
    assert "z" + b58encode(bytes.fromhex(v["signature_hex"])) == v["proof_value"]

    signed = sign_jcs(
        v["unsigned_document"], private_key=VC_KEY, verification_method=VC_METHOD, created=CREATED
    )
    assert signed == v["signed_document"]
    assert jcs.canonicalize(signed) == jcs.canonicalize(v["signed_document"])
    assert "proof" not in v["unsigned_document"]  # input left alone


def test_vc_di_eddsa_jcs_2022_verify() -> None:
    result = verify(EDDSA_JCS_2022["signed_document"], lookup_key=_lookup(VC_METHOD))
    (proof,) = result.proofs
    assert proof == proofs.VerifiedProof(
        VC_METHOD, "eddsa-jcs-2022", "assertionMethod", "2023-02-24T23:36:38Z"
    )
    assert result.verification_methods == (VC_METHOD,)


def test_vc_di_eddsa_rdfc_2022_vectors() -> None:
    v = EDDSA_RDFC_2022
    from fediverse_skills.federation import jsonld

    doc_canon = jsonld.canonize(v["unsigned_document"]).encode()
    config_canon = jsonld.canonize(v["proof_options"]).encode()
    assert doc_canon.decode() == v["canonical_document"]
    assert config_canon.decode() == v["canonical_proof_options"]
    assert hashlib.sha256(doc_canon).hexdigest() == v["document_hash_hex"]
    assert hashlib.sha256(config_canon).hexdigest() == v["proof_options_hash_hex"]
    combined = hashlib.sha256(config_canon).digest() + hashlib.sha256(doc_canon).digest()
    assert combined.hex() == v["combined_hash_hex"]
    assert VC_KEY.sign(combined).hex() == v["signature_hex"]
    assert "z" + b58encode(VC_KEY.sign(combined)) == v["proof_value"]
    assert v["signed_document"]["proof"]["proofValue"] == v["proof_value"]
    assert "@context" not in v["signed_document"]["proof"]

    (proof,) = verify(v["signed_document"], lookup_key=_lookup(VC_METHOD)).proofs
    assert proof.cryptosuite == "eddsa-rdfc-2022"


@pytest.mark.parametrize(
    ("vector", "proof_value"),
    [
        (
            FEP_8B32_V1,
            "zLaewdp4H9kqtwyrLatK4cjY5oRHwVcw4gibPSUDYDMhi4M49v8pcYk3ZB6D69dNpAPbUmY8ocuJ3m9KhKJEEg7z",
        ),
        (
            FEP_8B32_NEWER,
            "z42ffGu6AUKPCFcFPiabmUvnGLPJzC7e4DGWC52NUasSSH37UMa9c58tdgVszUcZfytxa4fQ5TYHaJENCxUDe9SdL",
        ),
    ],
    ids=["fep-8b32.feature", "fep-8b32.newer.feature"],
)
def test_fep_8b32_sign_and_verify(vector: dict[str, Any], proof_value: str) -> None:
    created = datetime.fromisoformat(vector["current_time"])
    signed = sign_jcs(
        vector["document"],
        private_key=_secret_key(vector["ed25519_secret_key_multibase"]),
        verification_method=vector["verification_method"],
        created=created,
    )
    assert signed["proof"]["proofValue"] == proof_value
    assert signed == vector["expected_signed_document"]
    # same key order as the published document, so even the plain dump is identical
    assert json.dumps(signed) == json.dumps(vector["expected_signed_document"])

    result = verify(vector["expected_signed_document"], lookup_key=_fep_lookup(vector))
    assert result.verification_methods == (vector["verification_method"],)
    assert origin_matches(vector["expected_signed_document"], vector["verification_method"])


def test_fep_8b32_newer_intermediate_values() -> None:
    v = FEP_8B32_NEWER
    config = {k: val for k, val in v["expected_signed_document"]["proof"].items()}
    del config["proofValue"]
    assert jcs.canonical_text(config) == v["expected_canonicalized_proof_configuration"]
    assert jcs.canonical_text(v["document"]) == v["expected_canonicalized_document"]
    combined = (
        hashlib.sha256(jcs.canonicalize(config)).digest()
        + hashlib.sha256(jcs.canonicalize(v["document"])).digest()
    )
    assert combined.hex() == v["expected_combined_hash_hex"]


def test_embedded_vectors_match_shared() -> None:
    if not SHARED_VECTORS.is_dir():
        pytest.skip("../shared is not present (a fresh clone)")
    for name, embedded in [
        ("vc-di-eddsa/eddsa-jcs-2022.json", EDDSA_JCS_2022),
        ("vc-di-eddsa/eddsa-rdfc-2022.json", EDDSA_RDFC_2022),
    ]:
        source = json.loads((SHARED_VECTORS / name).read_text())
        for key, value in embedded.items():
            assert source[key] == value, (name, key)
    revisions = json.loads((SHARED_VECTORS / "fep-8b32/fep-8b32-vectors.json").read_text())
    for rev, embedded in [
        ("fep-8b32.feature", FEP_8B32_V1),
        ("fep-8b32.newer.feature", FEP_8B32_NEWER),
    ]:
        src = revisions["revisions"][rev]
        assert {**src["signing"], "actor": src["verifying"]["actor"]} == embedded
        assert src["verifying"]["signed_document"] == embedded["expected_signed_document"]


# --- forms and options ---------------------------------------------------------------


def _bovine_style(doc: dict[str, Any], key: Ed25519PrivateKey, method: str) -> dict[str, Any]:
    """Proof config hashed without @context, published without it."""
    config = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "verificationMethod": method,
        "proofPurpose": "assertionMethod",
        "created": "2024-01-01T00:00:00Z",
    }
    digest = (
        hashlib.sha256(jcs.canonicalize(config)).digest()
        + hashlib.sha256(jcs.canonicalize(doc)).digest()
    )
    return {**doc, "proof": {**config, "proofValue": "z" + b58encode(key.sign(digest))}}


def test_accepts_proof_config_without_context_bovine() -> None:
    doc = FEP_8B32_NEWER["document"]
    method = FEP_8B32_NEWER["verification_method"]
    signed = _bovine_style(doc, VC_KEY, method)
    assert verify(signed, lookup_key=_lookup(method)).verification_methods == (method,)


def test_accepts_context_hashed_but_not_published() -> None:
    signed = sign_jcs(
        FEP_8B32_NEWER["document"],
        private_key=VC_KEY,
        verification_method="https://server.example/users/alice#ed25519-key",
        created=CREATED,
    )
    del signed["proof"]["@context"]
    assert verify(signed, lookup_key=_lookup("https://server.example/users/alice#ed25519-key"))


def test_document_without_context_and_ld_signature_ignored() -> None:
    doc = {"id": "https://a.example/1", "actor": "https://a.example/u", "n": 1.5}
    signed = sign_jcs(doc, private_key=VC_KEY, verification_method="k", created=CREATED)
    assert "@context" not in signed["proof"]
    signed["signature"] = {"type": "RsaSignature2017", "signatureValue": "abc"}
    assert verify(signed, lookup_key=_lookup("k"))


def test_created_is_normalised_to_utc_seconds() -> None:
    created = datetime(2023, 2, 25, 1, 36, 38, 999, tzinfo=timezone(timedelta(hours=2)))
    assert proofs.format_created(created) == "2023-02-24T23:36:38Z"
    with pytest.raises(ValueError, match="timezone"):
        proofs.format_created(datetime(2023, 1, 1))


def test_sign_refuses_document_with_proof() -> None:
    with pytest.raises(ValueError, match="already has a proof"):
        sign_jcs(
            EDDSA_JCS_2022["signed_document"],
            private_key=VC_KEY,
            verification_method=VC_METHOD,
            created=CREATED,
        )


def test_proof_set_all_must_pass() -> None:
    other = Ed25519PrivateKey.generate()
    doc = FEP_8B32_NEWER["document"]
    a = sign_jcs(
        doc, private_key=VC_KEY, verification_method="https://server.example/a", created=CREATED
    )["proof"]
    b = sign_jcs(
        doc, private_key=other, verification_method="https://server.example/b", created=CREATED
    )["proof"]
    keys = {"https://server.example/a": VC_PUB, "https://server.example/b": other.public_key()}
    result = verify({**doc, "proof": [a, b]}, lookup_key=keys.get)
    assert result.verification_methods == ("https://server.example/a", "https://server.example/b")

    bad_b = {**b, "proofValue": a["proofValue"]}
    with pytest.raises(ProofError, match="does not verify"):
        verify({**doc, "proof": [a, bad_b]}, lookup_key=keys.get)
    with pytest.raises(ProofError, match="empty proof set"):
        verify({**doc, "proof": []}, lookup_key=keys.get)


# --- adversarial ---------------------------------------------------------------------


def _signed_fep() -> dict[str, Any]:
    return copy.deepcopy(FEP_8B32_NEWER["expected_signed_document"])


FEP_LOOKUP = _fep_lookup(FEP_8B32_NEWER)


def test_wrong_key_fails() -> None:
    other = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(ProofError, match="does not verify"):
        verify(_signed_fep(), lookup_key=lambda _vm: other)
    with pytest.raises(ProofError, match="does not verify"):
        verify(EDDSA_RDFC_2022["signed_document"], lookup_key=lambda _vm: other)


def test_unknown_key_fails() -> None:
    with pytest.raises(ProofError, match="unknown verification method"):
        verify(_signed_fep(), lookup_key=lambda _vm: None)


def test_proof_option_tamper_expires_rejected() -> None:
    doc = _signed_fep()
    doc["proof"]["expires"] = "2099-01-01T00:00:00Z"
    with pytest.raises(ProofError, match="does not verify"):
        verify(doc, lookup_key=FEP_LOOKUP)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("created", "2023-02-24T23:36:39Z"),
        ("proofPurpose", "authentication"),
        ("verificationMethod", "https://server.example/users/alice#other"),
    ],
)
def test_proof_option_change_rejected(field: str, value: str) -> None:
    doc = _signed_fep()
    doc["proof"][field] = value
    with pytest.raises(ProofError):
        verify(doc, lookup_key=lambda _vm: VC_PUB, proof_purpose=None)


def test_undefined_term_added_rejected() -> None:
    doc = _signed_fep()
    doc["object"]["undefinedTerm"] = "sneaky"
    with pytest.raises(ProofError, match="does not verify"):
        verify(doc, lookup_key=FEP_LOOKUP)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["object"].__setitem__("content", "Hello world!"),
        lambda d: d["object"]["location"].__setitem__("latitude", 25.273963),
        lambda d: d.__setitem__("@context", [*d["@context"], "https://w3id.org/security/v1"]),
        lambda d: d.__setitem__("to", ["https://www.w3.org/ns/activitystreams#Public"]),
    ],
)
def test_document_change_rejected(change: Any) -> None:
    doc = _signed_fep()
    change(doc)
    with pytest.raises(ProofError):
        verify(doc, lookup_key=FEP_LOOKUP)


def test_moved_proof_rejected() -> None:
    proof = _signed_fep()["proof"]
    other = copy.deepcopy(FEP_8B32_NEWER["document"])
    other["id"] = "https://server.example/activities/2"
    with pytest.raises(ProofError, match="does not verify"):
        verify({**other, "proof": proof}, lookup_key=FEP_LOOKUP)
    # and onto the object embedded in the signed activity
    inner = {"@context": other["@context"], **other["object"], "proof": proof}
    with pytest.raises(ProofError):
        verify(inner, lookup_key=FEP_LOOKUP)


@pytest.mark.parametrize(
    ("patch", "reason"),
    [
        ({"type": "Ed25519Signature2020"}, "type"),
        ({"cryptosuite": "eddsa-2022"}, "unsupported cryptosuite"),
        ({"cryptosuite": "ecdsa-jcs-2019"}, "unsupported cryptosuite"),
        ({"proofValue": "u" + "A" * 86}, "base58btc"),
        ({"proofValue": "z0OIl"}, "base58btc"),
        ({"proofValue": "z" + b58encode(b"\x01" * 63)}, "64-byte"),
        ({"proofValue": 5}, "base58btc"),
        ({"proofPurpose": "authentication"}, "proofPurpose"),
        ({"previousProof": "urn:x"}, "previousProof"),
        ({"created": 1}, "created"),
        ({"@context": ["https://www.w3.org/ns/activitystreams"] * 2}, "@context"),
    ],
)
def test_malformed_proofs_rejected(patch: dict[str, Any], reason: str) -> None:
    doc = _signed_fep()
    doc["proof"].update(patch)
    with pytest.raises(ProofError, match=reason):
        verify(doc, lookup_key=FEP_LOOKUP)


@pytest.mark.parametrize(
    "field", ["type", "cryptosuite", "verificationMethod", "proofPurpose", "proofValue"]
)
def test_missing_fields_rejected(field: str) -> None:
    doc = _signed_fep()
    del doc["proof"][field]
    with pytest.raises(ProofError, match=f"no {field}"):
        verify(doc, lookup_key=FEP_LOOKUP)


def test_no_proof_or_not_an_object() -> None:
    with pytest.raises(ProofError, match="no proof"):
        verify(FEP_8B32_NEWER["document"], lookup_key=FEP_LOOKUP)
    with pytest.raises(ProofError, match="not an object"):
        verify({**FEP_8B32_NEWER["document"], "proof": "x"}, lookup_key=FEP_LOOKUP)


def test_rdfc_tamper_rejected() -> None:
    doc = copy.deepcopy(EDDSA_RDFC_2022["signed_document"])
    doc["credentialSubject"]["alumniOf"] = "Another School"
    with pytest.raises(ProofError, match="does not verify"):
        verify(doc, lookup_key=_lookup(VC_METHOD))


def test_rdfc_unknown_context_fails_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network use")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    doc = copy.deepcopy(EDDSA_RDFC_2022["signed_document"])
    doc["@context"] = [*doc["@context"], "https://attacker.example/context.jsonld"]
    with pytest.raises(ProofError, match="cannot canonicalize"):
        verify(doc, lookup_key=_lookup(VC_METHOD))
    doc["@context"] = "http://127.0.0.1/x"
    with pytest.raises(ProofError, match="cannot canonicalize"):
        verify(doc, lookup_key=_lookup(VC_METHOD))


def test_rdfc_needs_context() -> None:
    doc = copy.deepcopy(EDDSA_RDFC_2022["signed_document"])
    del doc["@context"]
    with pytest.raises(ProofError, match="needs a JSON-LD @context"):
        verify(doc, lookup_key=_lookup(VC_METHOD))


# --- origin rule ---------------------------------------------------------------------


def test_origin_rule() -> None:
    activity = FEP_8B32_NEWER["document"]
    assert origin_matches(activity, "https://server.example/users/alice#ed25519-key")
    assert origin_matches(activity, "https://server.example/users/alice")
    assert not origin_matches(activity, "https://evil.example/users/alice#ed25519-key")
    assert not origin_matches(activity, "https://server.example.evil/users/alice#key")
    assert not origin_matches(activity, VC_METHOD)  # did:key has no origin
    note = activity["object"]
    assert origin_matches(note, "https://server.example/users/alice#ed25519-key")
    assert not origin_matches(note, "https://other.example/k")
    assert origin_matches({"actor": {"id": "https://a.example/u"}}, "https://a.example/k")
    assert not origin_matches({"id": "https://a.example/1"}, "https://a.example/k")
    # the actor decides when there is one, even if attributedTo is elsewhere
    both = {"actor": "https://a.example/u", "attributedTo": "https://b.example/u"}
    assert not origin_matches(both, "https://b.example/k")
