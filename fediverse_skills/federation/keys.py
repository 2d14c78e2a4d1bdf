"""Key pairs for actors: RSA-2048 for HTTP signatures, Ed25519 for object proofs."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

RSA_BITS = 2048


@dataclass(frozen=True)
class ActorKeys:
    rsa_private_pem: str = ""
    rsa_public_pem: str = ""
    ed25519_private_hex: str = ""  # 32-byte seed, hex
    ed25519_public_hex: str = ""  # 32-byte raw public key, hex

    def __repr__(self) -> str:  # never print private material
        return "ActorKeys(<redacted>)"


def generate_actor_keys() -> ActorKeys:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    ed_key = ed25519.Ed25519PrivateKey.generate()
    return ActorKeys(
        rsa_private_pem=rsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii"),
        rsa_public_pem=rsa_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii"),
        ed25519_private_hex=ed_key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        ).hex(),
        ed25519_public_hex=ed_key.public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        .hex(),
    )
