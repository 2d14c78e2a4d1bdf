"""FEP-8b32 object integrity proofs: W3C Data Integrity ``DataIntegrityProof`` with
the ``eddsa-jcs-2022`` and ``eddsa-rdfc-2022`` cryptosuites (Ed25519).

Pure: no I/O. The caller resolves keys (``lookup_key``) and applies the origin rule
(``origin_matches``) and any freshness policy.

* Signing uses ``eddsa-jcs-2022``. The proof configuration carries the document's
  ``@context`` when it has one (as the spec, Fedify and apsig do).
* Verification accepts ``eddsa-jcs-2022`` and ``eddsa-rdfc-2022``. For jcs a proof
  without ``@context`` is checked both without one (bovine) and with the document's
  (signers that hash it but leave it out of the published proof).
* A legacy LD ``signature`` member is not covered by object proofs and is ignored.
* A document whose JSON-LD reading differs from its plain JSON one (``@graph``,
  ``@included``, ``@reverse``, ``@nest``, keyword aliases; ``shapes.reshaping``) is
  rejected before any key is looked up: an RDF proof survives such reshaping.
* A proof set (a list of proofs) is accepted only if every proof verifies; the result
  lists each proof. Proof chains (``previousProof``) are not supported and rejected.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from fediverse_skills.federation import jcs, shapes
from fediverse_skills.federation.actors import same_origin
from fediverse_skills.federation.multibase import b58decode, b58encode

PROOF_TYPE = "DataIntegrityProof"
JCS_SUITE = "eddsa-jcs-2022"
RDFC_SUITE = "eddsa-rdfc-2022"
SUPPORTED_SUITES = frozenset({JCS_SUITE, RDFC_SUITE})
_REQUIRED = ("type", "cryptosuite", "verificationMethod", "proofPurpose", "proofValue")
_MAX_PROOFS = 8

KeyLookup = Callable[[str], Ed25519PublicKey | None]


class ProofError(Exception):
    """The document carries no valid proof; the message is a short reason."""


@dataclass(frozen=True)
class VerifiedProof:
    verification_method: str
    cryptosuite: str
    proof_purpose: str
    created: str | None


@dataclass(frozen=True)
class ProofResult:
    """Every proof on the document verified; ``proofs`` lists them in document order."""

    proofs: tuple[VerifiedProof, ...]

    @property
    def verification_methods(self) -> tuple[str, ...]:
        return tuple(p.verification_method for p in self.proofs)


def format_created(created: datetime) -> str:
    """XSD dateTime in UTC with whole seconds, e.g. ``2023-02-24T23:36:38Z``."""
    if created.tzinfo is None or created.utcoffset() is None:
        raise ValueError("created must be timezone-aware")
    return created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _unsecured(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k not in ("proof", "signature")}


def _jcs_hash(proof_config: dict[str, Any], unsecured: dict[str, Any]) -> bytes:
    try:
        return (
            hashlib.sha256(jcs.canonicalize(proof_config)).digest()
            + hashlib.sha256(jcs.canonicalize(unsecured)).digest()
        )
    except ValueError as exc:
        raise ProofError(f"cannot canonicalize (JCS): {exc}") from None


def _rdfc_hash(proof_config: dict[str, Any], unsecured: dict[str, Any]) -> bytes:
    from fediverse_skills.federation import jsonld  # pyld is only needed for rdfc

    try:
        config_nquads = jsonld.canonize(proof_config)
        doc_nquads = jsonld.canonize(unsecured)
    except Exception as exc:  # pyld fails in many ways on hostile input
        raise ProofError(f"cannot canonicalize (RDFC): {type(exc).__name__}") from None
    return (
        hashlib.sha256(config_nquads.encode("utf-8")).digest()
        + hashlib.sha256(doc_nquads.encode("utf-8")).digest()
    )


def sign_jcs(
    document: dict[str, Any],
    *,
    private_key: Ed25519PrivateKey,
    verification_method: str,
    created: datetime,
    proof_purpose: str = "assertionMethod",
) -> dict[str, Any]:
    """A copy of ``document`` with an ``eddsa-jcs-2022`` proof added.

    Raises ``ValueError`` if the document already has a proof or is not JCS-serializable.
    """
    if "proof" in document:
        raise ValueError("the document already has a proof")
    config: dict[str, Any] = {}
    if "@context" in document:
        config["@context"] = document["@context"]
    config.update(
        {
            "type": PROOF_TYPE,
            "cryptosuite": JCS_SUITE,
            "verificationMethod": verification_method,
            "proofPurpose": proof_purpose,
            "created": format_created(created),
        }
    )
    digest = (
        hashlib.sha256(jcs.canonicalize(config)).digest()
        + hashlib.sha256(jcs.canonicalize(_unsecured(document))).digest()
    )
    proof_value = "z" + b58encode(private_key.sign(digest))
    proof = {k: v for k, v in config.items() if k != "created"}
    proof["proofValue"] = proof_value
    proof["created"] = config["created"]
    return {**document, "proof": proof}


def _decode_proof_value(value: Any) -> bytes:
    if not isinstance(value, str) or not value.startswith("z"):
        raise ProofError("proofValue is not multibase base58btc")
    try:
        signature = b58decode(value[1:])
    except ValueError:
        raise ProofError("proofValue is not multibase base58btc") from None
    if len(signature) != 64:
        raise ProofError("proofValue is not a 64-byte Ed25519 signature")
    return signature


def _context_prefix_ok(proof_context: Any, doc_context: Any) -> bool:
    proof_list = proof_context if isinstance(proof_context, list) else [proof_context]
    doc_list = doc_context if isinstance(doc_context, list) else [doc_context]
    return doc_list[: len(proof_list)] == proof_list


def _verify_one(
    document: dict[str, Any],
    proof: Any,
    lookup_key: KeyLookup,
    proof_purpose: str | None,
) -> VerifiedProof:
    if not isinstance(proof, dict):
        raise ProofError("proof is not an object")
    for name in _REQUIRED:
        if name not in proof:
            raise ProofError(f"proof has no {name}")
    if proof["type"] != PROOF_TYPE:
        raise ProofError("proof type is not DataIntegrityProof")
    suite = proof["cryptosuite"]
    if suite not in SUPPORTED_SUITES:
        raise ProofError("unsupported cryptosuite")
    method = proof["verificationMethod"]
    purpose = proof["proofPurpose"]
    if not isinstance(method, str) or not isinstance(purpose, str):
        raise ProofError("verificationMethod and proofPurpose must be strings")
    if proof_purpose is not None and purpose != proof_purpose:
        raise ProofError("unexpected proofPurpose")
    if "previousProof" in proof:
        raise ProofError("proof chains (previousProof) are not supported")
    created = proof.get("created")
    if created is not None and not isinstance(created, str):
        raise ProofError("created must be a string")
    signature = _decode_proof_value(proof["proofValue"])

    unsecured = _unsecured(document)
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in options:
        if "@context" not in document or not _context_prefix_ok(
            options["@context"], document["@context"]
        ):
            raise ProofError("proof @context does not match the document's")
        configs = [options]
    elif suite == RDFC_SUITE:
        if "@context" not in document:
            raise ProofError("eddsa-rdfc-2022 needs a JSON-LD @context")
        configs = [{**options, "@context": document["@context"]}]
    else:
        configs = [options]  # bovine: hashed without @context
        if "@context" in document:
            configs.append({**options, "@context": document["@context"]})

    public_key = lookup_key(method)
    if public_key is None:
        raise ProofError("unknown verification method")
    hash_data = _jcs_hash if suite == JCS_SUITE else _rdfc_hash
    for config in configs:
        try:
            public_key.verify(signature, hash_data(config, unsecured))
        except InvalidSignature:
            continue
        return VerifiedProof(method, suite, purpose, created)
    raise ProofError("signature does not verify")


def verify(
    document: dict[str, Any],
    *,
    lookup_key: KeyLookup,
    proof_purpose: str | None = "assertionMethod",
) -> ProofResult:
    """Check every Data Integrity proof on ``document``; raise ``ProofError`` if any fails.

    ``lookup_key`` maps a verificationMethod to its Ed25519 key (or ``None``); it must
    not trust a key that the caller has not resolved from the key's controller.
    ``proof_purpose=None`` accepts any purpose.
    """
    proofs = document.get("proof")
    if proofs is None:
        raise ProofError("no proof")
    reshaped = shapes.reshaping(_unsecured(document))
    if reshaped is not None:
        # A proof over RDF survives rearranging the nodes; we read the JSON tree.
        raise ProofError(f"the document's JSON-LD is reshaped: {reshaped}")
    if isinstance(proofs, list):
        if not proofs:
            raise ProofError("empty proof set")
        if len(proofs) > _MAX_PROOFS:
            raise ProofError("too many proofs")
    else:
        proofs = [proofs]
    return ProofResult(tuple(_verify_one(document, p, lookup_key, proof_purpose) for p in proofs))


def _first_id(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if len(value) == 1 else None
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else None


def origin_matches(document: dict[str, Any], key_id: str) -> bool:
    """FEP-8b32 origin rule: ``key_id`` (the verificationMethod or its controller) is on
    the origin of the document's ``actor``, or of ``attributedTo`` when there is no
    ``actor``. False when neither is a single URL. Objects embedded in the document
    are not covered; check them on their own."""
    owner = _first_id(document["actor"]) if "actor" in document else None
    if owner is None and "actor" not in document:
        owner = _first_id(document.get("attributedTo"))
    return owner is not None and same_origin(key_id, owner)
