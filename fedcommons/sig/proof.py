"""W3C Data Integrity proofs with the eddsa-jcs-2022 cryptosuite (FEP-8b32).

The signature covers SHA-256(JCS(proof config)) || SHA-256(JCS(document without
proof)), where the proof config is the proof minus ``proofValue`` and carries the
document's ``@context``. JCS rather than RDF canonicalization keeps signing and
verifying cheap and byte-exact (see DESIGN §4). Proofs made by other servers with
eddsa-rdfc-2022 (the same construction over RDFC-1.0 N-Quads) are verified too, with
contexts from the offline loader only.

:func:`verify_proof` never raises for a bad or foreign proof: it returns a
:class:`~fedcommons.sig.result.Verification` whose ``reason`` says what was wrong, so
an inbox can answer 401 or retry with a refreshed key without catching exceptions.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from fedcommons.errors import BadInput, FedcommonsError
from fedcommons.ld.canonical import canonicalize, canonicalize_rdf
from fedcommons.sig import ed25519
from fedcommons.sig.eddsa_jcs import proof_value, signing_input
from fedcommons.sig.multibase import multibase_decode
from fedcommons.sig.result import Verification

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"
RDFC_CRYPTOSUITE = "eddsa-rdfc-2022"

# XML Schema dateTimeStamp, which the Data Integrity spec requires for "created":
# a date, a time and a mandatory time zone.
_DATETIME_STAMP = re.compile(
    r"-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
    r"T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?"
    r"(Z|[+-](0\d|1[0-4]):[0-5]\d)"
)


def build_proof_config(
    document: dict[str, Any],
    verification_method: str,
    *,
    created: str,
    proof_purpose: str = "assertionMethod",
) -> dict[str, Any]:
    """The proof options to be signed for ``document`` (a proof without ``proofValue``).

    The document's ``@context``, when it has one, is copied in, as the cryptosuite
    requires. Raises :class:`BadInput` on a malformed ``created`` or empty method.
    """
    if not isinstance(verification_method, str) or not verification_method:
        raise BadInput("verification_method must be a non-empty string (the key's URL)")
    if not isinstance(proof_purpose, str) or not proof_purpose:
        raise BadInput("proof_purpose must be a non-empty string such as 'assertionMethod'")
    if not isinstance(created, str) or not _DATETIME_STAMP.fullmatch(created):
        raise BadInput(
            f"created must be an XML Schema dateTimeStamp such as 2024-05-01T12:00:00Z, "
            f"got {created!r}"
        )
    # Key order matches the published test vectors, so a signed document pretty-prints
    # the same way; the signature itself does not depend on it.
    config: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    if "@context" in document:
        config["@context"] = document["@context"]
    return config


def hash_data(unsecured_document: dict[str, Any], proof_config: dict[str, Any], *, plain: bool = False) -> bytes:
    """The 64 bytes Ed25519 signs: SHA-256(JCS(proof config)) || SHA-256(JCS(document)).

    ``plain``: both are known to take canonicalize's fast path (see parse_plain)."""
    return signing_input(canonicalize(proof_config, plain=plain), canonicalize(unsecured_document, plain=plain))


def rdfc_hash_data(
    unsecured_document: dict[str, Any],
    proof_config: dict[str, Any],
    *,
    document_loader: Any = None,
) -> bytes:
    """The bytes eddsa-rdfc-2022 signs: SHA-256(RDFC(proof config)) || SHA-256(RDFC(document)).

    Raises :class:`BadInput` or :class:`~fedcommons.errors.UnknownContext` when either
    cannot be canonicalized offline in JSON-LD safe mode.
    """
    proof_hash = hashlib.sha256(
        canonicalize_rdf(proof_config, document_loader=document_loader).encode("utf-8")
    ).digest()
    document_hash = hashlib.sha256(
        canonicalize_rdf(unsecured_document, document_loader=document_loader).encode("utf-8")
    ).digest()
    return proof_hash + document_hash


def create_proof(
    document: dict[str, Any],
    private_key: Ed25519PrivateKey,
    verification_method: str,
    *,
    created: str,
    proof_purpose: str = "assertionMethod",
) -> dict[str, Any]:
    """Return a new dict: ``document`` plus an eddsa-jcs-2022 ``proof``.

    ``document`` is not modified. Raises :class:`BadInput` if it already carries a
    proof or cannot be canonicalized.
    """
    signed, _ = create_proof_canonical(
        document, private_key, verification_method, created=created, proof_purpose=proof_purpose
    )
    return signed


def create_proof_canonical(
    document: dict[str, Any],
    private_key: Ed25519PrivateKey,
    verification_method: str,
    *,
    created: str,
    proof_purpose: str = "assertionMethod",
    plain: bool = False,
) -> tuple[dict[str, Any], bytes]:
    """Like :func:`create_proof`, and also return the JCS bytes of the signed document
    (what the log stores).

    ``plain=True`` when the caller built the document from strings, small integers and
    fixed ASCII keys (see canonical.canonicalize): it saves walking it.
    """
    config, config_bytes, document_bytes = proof_input(
        document, verification_method, created=created, proof_purpose=proof_purpose, plain=plain
    )
    value = proof_value(ed25519.secret_key(private_key), config_bytes, document_bytes)
    return attach_proof(document, config, value, plain=plain)


def proof_input(
    document: dict[str, Any],
    verification_method: str,
    *,
    created: str,
    proof_purpose: str = "assertionMethod",
    plain: bool = False,
) -> tuple[dict[str, Any], bytes, bytes]:
    """The proof config for ``document`` and the JCS bytes of both: what a signer needs
    (see :func:`~fedcommons.sig.eddsa_jcs.proof_value`), here or in a worker process.

    Raises :class:`BadInput` as :func:`create_proof` does.
    """
    if not isinstance(document, dict):
        raise BadInput("only a JSON object can carry a Data Integrity proof")
    if "proof" in document:
        raise BadInput("document already has a proof; sign the document without it")
    config = build_proof_config(
        document, verification_method, created=created, proof_purpose=proof_purpose
    )
    return config, canonicalize(config, plain=plain), canonicalize(document, plain=plain)


def attach_proof(
    document: dict[str, Any], config: dict[str, Any], value: str, *, plain: bool = False
) -> tuple[dict[str, Any], bytes]:
    """A new dict, ``document`` with its proof (``config`` and the ``proofValue`` made for
    them), and the signed document's JCS bytes."""
    signed = dict(document)
    signed["proof"] = {**config, "proofValue": value}
    return signed, canonicalize(signed, plain=plain)


def proof_verification_method(document: Any) -> str | None:
    """The ``verificationMethod`` of the document's proof (the first, for a proof set).

    Lets a caller fetch the right key before calling :func:`verify_proof`.
    """
    if not isinstance(document, dict):
        return None
    for proof in _as_list(document.get("proof")):
        if isinstance(proof, dict) and isinstance(proof.get("verificationMethod"), str):
            return proof["verificationMethod"]
    return None


def verify_proof(
    document: Any,
    public_key: Ed25519PublicKey,
    *,
    proof_purpose: str | None = "assertionMethod",
    document_loader: Any = None,
    plain: bool = False,
    canonical: bytes | None = None,
) -> Verification:
    """Check the document's eddsa-jcs-2022 (or eddsa-rdfc-2022) proof; never raises.

    ``proof_purpose`` is the purpose the caller expects (None accepts any). For a proof
    set (a list), the document verifies if any of its proofs does. ``document_loader``
    serves JSON-LD contexts for RDFC proofs (default: the offline pinned loader).
    ``plain=True`` when the document came from ``canonical.parse_plain`` saying so: it
    saves walking it before canonicalizing (the log's verification reads every entry).
    ``canonical``: the JCS bytes of the whole document, when the caller has them (a log
    entry): the document's bytes without its proof are then cut from them.
    """
    if not isinstance(document, dict):
        return Verification.bad("document is not a JSON object")
    if not isinstance(public_key, Ed25519PublicKey):
        return Verification.bad(
            f"eddsa proofs need an Ed25519 key, not {type(public_key).__name__}",
            proof_verification_method(document),
        )
    proofs = _as_list(document.get("proof"))
    if not proofs:
        return Verification.bad("no proof")
    # A shallow copy is enough: nothing below mutates the document's values.
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    unsecured_bytes = None
    if canonical is not None and isinstance(document.get("proof"), dict):
        unsecured_bytes = _without_member(canonical, b'"proof":' + canonicalize(document["proof"], plain=plain))
    failures = []
    for proof in proofs:
        result = _verify_one(unsecured, proof, public_key, proof_purpose, document_loader, plain,
                             unsecured_bytes)
        if result.ok:
            return result
        failures.append(result)
    if len(failures) == 1:
        return failures[0]
    return Verification.bad(
        "no proof in the set verifies: " + "; ".join(r.reason for r in failures)
    )


def _verify_one(
    unsecured: dict[str, Any],
    proof: Any,
    public_key: Ed25519PublicKey,
    expected_purpose: str | None,
    document_loader: Any,
    plain: bool = False,
    unsecured_bytes: bytes | None = None,
) -> Verification:
    """Verify one proof object over the document without its proof (whose JCS bytes
    may be given)."""
    if not isinstance(proof, dict):
        return Verification.bad("proof is not a JSON object")
    method = proof.get("verificationMethod")
    key_id = method if isinstance(method, str) else None
    if proof.get("type") != PROOF_TYPE:
        return Verification.bad(f"unsupported proof type {proof.get('type')!r}", key_id)
    suite = proof.get("cryptosuite")
    if suite not in (CRYPTOSUITE, RDFC_CRYPTOSUITE):
        return Verification.bad(f"unsupported cryptosuite {suite!r}", key_id)
    if key_id is None:
        return Verification.bad("proof has no verificationMethod")
    purpose = proof.get("proofPurpose")
    if expected_purpose is not None and purpose != expected_purpose:
        return Verification.bad(
            f"proof purpose is {purpose!r}, expected {expected_purpose!r}", key_id
        )
    created = proof.get("created")
    if created is not None and not (
        isinstance(created, str) and _DATETIME_STAMP.fullmatch(created)
    ):
        return Verification.bad(f"proof created {created!r} is not a dateTimeStamp", key_id)
    if "previousProof" in proof:
        return Verification.bad("proof chains (previousProof) are not supported", key_id)

    value = proof.get("proofValue")
    if not isinstance(value, str):
        return Verification.bad("proof has no proofValue", key_id)
    try:
        signature = multibase_decode(value)
    except BadInput as exc:
        return Verification.bad(f"malformed proofValue: {exc}", key_id)
    if len(signature) != 64:
        return Verification.bad(
            f"malformed proofValue: an Ed25519 signature has 64 bytes, not {len(signature)}",
            key_id,
        )

    options = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in options and unsecured.get("@context") != options["@context"]:
        # The document may extend the proof's contexts but must start with them, in
        # order; the signature was made over the document with the proof's list.
        proof_context = _as_list(options["@context"])
        document_context = _as_list(unsecured.get("@context"))
        if document_context[: len(proof_context)] != proof_context:
            return Verification.bad("proof @context differs from document @context", key_id)
        unsecured = {**unsecured, "@context": options["@context"]}
        unsecured_bytes = None  # what was signed is not what the document's bytes say
    elif "@context" in unsecured:
        # The cryptosuite signs the config with the document's @context whether or not
        # the embedded proof repeats it.
        options["@context"] = unsecured["@context"]

    if suite == CRYPTOSUITE:
        try:
            if unsecured_bytes is not None:
                data = signing_input(canonicalize(options, plain=plain), unsecured_bytes)
            else:
                data = hash_data(unsecured, options, plain=plain)
        except BadInput as exc:
            return Verification.bad(str(exc), key_id)
    else:
        try:
            data = rdfc_hash_data(unsecured, options, document_loader=document_loader)
        except FedcommonsError as exc:
            return Verification.bad(f"{suite}: {exc}", key_id)
        except Exception as exc:  # noqa: BLE001
            # pyld can fail in many ways on hostile JSON-LD; a document that cannot be
            # canonicalized is simply not verified, and the reason says why.
            return Verification.bad(
                f"{suite}: cannot canonicalize: {type(exc).__name__}: {exc}", key_id
            )
    if not ed25519.verify(public_key, signature, data):
        return Verification.bad("signature does not match", key_id)
    return Verification.good(key_id)


def _without_member(canonical: bytes, member: bytes) -> bytes | None:
    """The JCS bytes of an object without one member, cut from the object's JCS bytes.

    Sound only when ``member`` (name, colon, canonical value) occurs exactly once: a quote
    inside a JSON string is always escaped, so the member's bytes can only appear as a
    member, and an object whose top-level member it is holds it once. Otherwise None, and
    the caller canonicalizes the document without the member instead.
    """
    at = canonical.find(member)
    if at < 0 or canonical.find(member, at + 1) >= 0:
        return None
    end = at + len(member)
    if canonical[at - 1:at] == b",":
        return canonical[:at - 1] + canonical[end:]
    if canonical[end:end + 1] == b",":
        return canonical[:at] + canonical[end + 1:]
    return canonical[:at] + canonical[end:]


def _as_list(value: Any) -> list[Any]:
    """JSON-LD's "one or many": None is empty, a list is itself, anything else is one item."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]
