"""eddsa-jcs-2022 Data Integrity proofs: W3C vector, round trip, and tampering."""

import copy
import hashlib
import json

import pytest

from fedcommons.errors import BadInput
from fedcommons.ld.canonical import canonicalize
from fedcommons.sig.keys import (
    base58btc_decode,
    ed25519_private_from_multibase,
    ed25519_public_from_multibase,
    ed25519_public_multibase,
    generate_ed25519,
)
from fedcommons.sig.multibase import multibase_encode
from fedcommons.sig.proof import (
    build_proof_config,
    create_proof,
    hash_data,
    proof_verification_method,
    rdfc_hash_data,
    verify_proof,
)
from fedcommons.sig.result import Verification

CREATED = "2024-05-01T12:34:56Z"
KEY_URL = "https://node.example/users/alice#ed25519-key"


@pytest.fixture(scope="module")
def jcs(vectors):
    root = vectors / "data-integrity"
    suite = root / "eddsa-jcs-2022"
    pair = json.loads((root / "keyPair.json").read_text())
    return {
        "unsigned": json.loads((root / "unsigned.json").read_text()),
        "config": json.loads((suite / "proofConfigJCS.json").read_text()),
        "signed_text": (suite / "signedJCS.json").read_text(),
        "private": ed25519_private_from_multibase(pair["privateKeyMultibase"]),
        "public": ed25519_public_from_multibase(pair["publicKeyMultibase"]),
        "file": lambda name: (suite / name).read_text().strip(),
        "bytes": lambda name: (suite / name).read_bytes(),
    }


def test_w3c_vector_every_intermediate(jcs):
    unsigned, given = jcs["unsigned"], jcs["config"]
    config = build_proof_config(
        unsigned, given["verificationMethod"], created=given["created"]
    )
    assert config == given
    canon_doc = canonicalize(unsigned)
    canon_proof = canonicalize(config)
    assert canon_doc == jcs["bytes"]("canonDocJCS.txt")
    assert canon_proof == jcs["bytes"]("proofCanonJCS.txt")
    assert hashlib.sha256(canon_doc).hexdigest() == jcs["file"]("docHashJCS.txt")
    assert hashlib.sha256(canon_proof).hexdigest() == jcs["file"]("proofHashJCS.txt")
    assert hash_data(unsigned, config).hex() == jcs["file"]("combinedHashJCS.txt")

    signed = create_proof(
        unsigned, jcs["private"], given["verificationMethod"], created=given["created"]
    )
    value = signed["proof"]["proofValue"]
    assert value == jcs["file"]("sigBTC58JCS.txt")
    assert base58btc_decode(value[1:]).hex() == jcs["file"]("sigHexJCS.txt")
    # The whole signed document, key order included, pretty-prints to the published file.
    assert json.dumps(signed, indent=2) == jcs["signed_text"]


def test_w3c_signed_document_verifies(jcs):
    signed = json.loads(jcs["signed_text"])
    result = verify_proof(signed, jcs["public"])
    assert result == Verification(True, "verified", signed["proof"]["verificationMethod"])
    assert proof_verification_method(signed) == signed["proof"]["verificationMethod"]


def test_create_proof_does_not_modify_its_input(jcs):
    before = copy.deepcopy(jcs["unsigned"])
    signed = create_proof(jcs["unsigned"], jcs["private"], KEY_URL, created=CREATED)
    assert jcs["unsigned"] == before
    assert "proof" in signed and "proof" not in jcs["unsigned"]


def activity():
    return {
        "@context": [
            "https://www.w3.org/ns/activitystreams",
            "https://w3id.org/security/data-integrity/v2",
            {"fc": "https://w3id.org/fedcommons#", "Contribution": "fc:Contribution"},
        ],
        "id": "https://node.example/activities/1",
        "type": "Create",
        "actor": "https://node.example/users/alice",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {
            "id": "https://node.example/contributions/1",
            "type": ["Note", "Contribution"],
            "content": "Alice put 3 h of code into Garden: fixed the parser \u2728",
            "fc:hours": 3.5,
            "tag": [{"type": "Mention", "href": "https://node.example/pools/garden"}],
        },
    }


@pytest.fixture(scope="module")
def key():
    return generate_ed25519()


@pytest.fixture
def signed(key):
    return create_proof(activity(), key, KEY_URL, created=CREATED)


def test_round_trip(key, signed):
    assert verify_proof(signed, key.public_key()) == Verification.good(KEY_URL)
    assert signed["proof"]["@context"] == signed["@context"]
    assert proof_verification_method(signed) == KEY_URL
    # Through JSON and back, as a peer receives it.
    assert verify_proof(json.loads(json.dumps(signed)), key.public_key()).ok


def test_document_without_context_round_trips(key):
    doc = {"id": "urn:x", "value": [1, 2, 3]}
    signed = create_proof(doc, key, KEY_URL, created=CREATED, proof_purpose="authentication")
    assert "@context" not in signed["proof"]
    assert verify_proof(signed, key.public_key(), proof_purpose="authentication").ok
    assert not verify_proof(signed, key.public_key()).ok  # default expects assertionMethod


def test_wrong_key_fails(signed):
    result = verify_proof(signed, generate_ed25519().public_key())
    assert (result.ok, result.reason, result.key_id) == (False, "signature does not match", KEY_URL)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d.__setitem__("actor", "https://node.example/users/mallory"),
        lambda d: d["object"].__setitem__("fc:hours", 35),
        lambda d: d["object"]["tag"].append({"type": "Hashtag", "name": "#x"}),
        lambda d: d["object"].__setitem__("content", d["object"]["content"] + " "),
        lambda d: d.__setitem__("cc", []),
        lambda d: d.pop("to"),
        lambda d: d["proof"].__setitem__("created", "2024-05-01T12:34:57Z"),
        lambda d: d["proof"].__setitem__("verificationMethod", KEY_URL + "2"),
        lambda d: d["proof"].__setitem__("nonce", "abc"),
    ],
)
def test_tampered_document_or_proof_fails(key, signed, tamper):
    tamper(signed)
    result = verify_proof(signed, key.public_key())
    assert not result.ok
    assert result.reason == "signature does not match"


def test_changed_purpose_fails_even_when_accepted(key, signed):
    signed["proof"]["proofPurpose"] = "authentication"
    assert verify_proof(signed, key.public_key()).reason == (
        "proof purpose is 'authentication', expected 'assertionMethod'"
    )
    result = verify_proof(signed, key.public_key(), proof_purpose=None)
    assert (result.ok, result.reason) == (False, "signature does not match")


def test_every_single_bit_flip_of_the_signature_fails(key, signed):
    signature = base58btc_decode(signed["proof"]["proofValue"][1:])
    for bit in range(len(signature) * 8):
        flipped = bytearray(signature)
        flipped[bit // 8] ^= 1 << (bit % 8)
        signed["proof"]["proofValue"] = multibase_encode(bytes(flipped))
        assert not verify_proof(signed, key.public_key()).ok, bit


def test_context_rules(key, signed):
    # The document may extend the proof's contexts at the end (spec: "starts with")...
    extended = copy.deepcopy(signed)
    extended["@context"] = extended["@context"] + ["https://example.org/extra"]
    assert verify_proof(extended, key.public_key()).ok
    # ...but any change to the shared prefix breaks it.
    for ctx in (signed["@context"][:2], signed["@context"][::-1], "https://www.w3.org/ns/activitystreams"):
        changed = copy.deepcopy(signed)
        changed["@context"] = ctx
        assert verify_proof(changed, key.public_key()).reason == (
            "proof @context differs from document @context"
        )
    # The proof's own @context is signed too.
    altered = copy.deepcopy(signed)
    altered["proof"]["@context"] = altered["@context"] = altered["@context"][:2]
    assert verify_proof(altered, key.public_key()).reason == "signature does not match"


def test_proof_without_context_uses_the_document_context(key, signed):
    # A signer may leave @context out of the embedded proof; the config it signed still
    # carried the document's @context, so verification must put it back.
    stripped = copy.deepcopy(signed)
    del stripped["proof"]["@context"]
    assert verify_proof(stripped, key.public_key()).ok


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: d.pop("proof"), "no proof"),
        (lambda d: d.__setitem__("proof", []), "no proof"),
        (lambda d: d.__setitem__("proof", "zabc"), "proof is not a JSON object"),
        (lambda d: d["proof"].__setitem__("cryptosuite", "eddsa-2022"), "unsupported cryptosuite 'eddsa-2022'"),
        (lambda d: d["proof"].__setitem__("type", "Ed25519Signature2020"), "unsupported proof type 'Ed25519Signature2020'"),
        (lambda d: d["proof"].pop("verificationMethod"), "proof has no verificationMethod"),
        (lambda d: d["proof"].pop("proofValue"), "proof has no proofValue"),
        (lambda d: d["proof"].__setitem__("proofValue", "u" + d["proof"]["proofValue"][1:]), "malformed proofValue"),
        (lambda d: d["proof"].__setitem__("proofValue", d["proof"]["proofValue"] + "0"), "malformed proofValue"),
        (lambda d: d["proof"].__setitem__("proofValue", d["proof"]["proofValue"][:-3]), "malformed proofValue"),
        (lambda d: d["proof"].__setitem__("created", "yesterday"), "is not a dateTimeStamp"),
        (lambda d: d["proof"].__setitem__("previousProof", "urn:p"), "previousProof"),
        (lambda d: d.__setitem__("extra", float("nan")), "cannot canonicalize"),
    ],
)
def test_failure_reasons_never_raise(key, signed, change, reason):
    change(signed)
    result = verify_proof(signed, key.public_key())
    assert not result.ok
    assert reason in result.reason


def test_non_ed25519_key_is_a_failure_not_a_crash(signed):
    from cryptography.hazmat.primitives.asymmetric import rsa

    rsa_public = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    result = verify_proof(signed, rsa_public)
    assert (result.ok, result.key_id) == (False, KEY_URL)
    assert "Ed25519" in result.reason


def test_non_dict_document():
    result = verify_proof(["not", "a", "document"], generate_ed25519().public_key())
    assert (result.ok, result.reason) == (False, "document is not a JSON object")
    assert proof_verification_method("nope") is None
    assert proof_verification_method({"proof": {"verificationMethod": 5}}) is None


def test_proof_set_verifies_when_one_proof_matches(key):
    other = generate_ed25519()
    a = create_proof(activity(), key, KEY_URL, created=CREATED)
    b = create_proof(activity(), other, KEY_URL + "-other", created=CREATED)
    both = {**a, "proof": [b["proof"], a["proof"]]}
    assert verify_proof(both, key.public_key()) == Verification.good(KEY_URL)
    assert verify_proof(both, other.public_key()) == Verification.good(KEY_URL + "-other")
    result = verify_proof(both, generate_ed25519().public_key())
    assert not result.ok and result.reason.startswith("no proof in the set verifies")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"created": "2024-05-01 12:34:56"}, "dateTimeStamp"),
        ({"created": "2024-05-01T12:34:56"}, "dateTimeStamp"),  # no time zone
        ({"created": "2024-13-01T12:34:56Z"}, "dateTimeStamp"),
        ({"created": CREATED, "proof_purpose": ""}, "proof_purpose"),
    ],
)
def test_create_proof_rejects_bad_arguments(key, kwargs, match):
    with pytest.raises(BadInput, match=match):
        create_proof(activity(), key, KEY_URL, **kwargs)


def test_create_proof_rejects_signed_document_and_empty_method(key, signed):
    with pytest.raises(BadInput, match="already has a proof"):
        create_proof(signed, key, KEY_URL, created=CREATED)
    with pytest.raises(BadInput, match="verification_method"):
        create_proof(activity(), key, "", created=CREATED)


def test_created_with_offset_and_fraction_is_accepted(key):
    signed = create_proof(activity(), key, KEY_URL, created="2024-05-01T12:34:56.123+02:00")
    assert verify_proof(signed, key.public_key()).ok


def test_multikey_from_actor_document_verifies(key, signed):
    # The path a receiver takes: read publicKeyMultibase from the actor, then verify.
    multikey = ed25519_public_multibase(key.public_key())
    assert verify_proof(signed, ed25519_public_from_multibase(multikey)).ok


# --- eddsa-rdfc-2022 (verify only: other servers' proofs) -------------------------


@pytest.fixture(scope="module")
def rdfc(vectors):
    root = vectors / "data-integrity"
    suite = root / "eddsa-rdfc-2022"
    pair = json.loads((root / "keyPair.json").read_text())
    return {
        "unsigned": json.loads((root / "unsigned.json").read_text()),
        "config": json.loads((suite / "proofConfigDataInt.json").read_text()),
        "signed": json.loads((suite / "signedDataInt.json").read_text()),
        "private": ed25519_private_from_multibase(pair["privateKeyMultibase"]),
        "public": ed25519_public_from_multibase(pair["publicKeyMultibase"]),
        "file": lambda name: (suite / name).read_text().strip(),
    }


def test_rdfc_vector_intermediates_and_signature(rdfc):
    data = rdfc_hash_data(rdfc["unsigned"], rdfc["config"])
    assert data[32:].hex() == rdfc["file"]("docHashDataInt.txt")
    assert data[:32].hex() == rdfc["file"]("proofHashDataInt.txt")
    assert data.hex() == rdfc["file"]("combinedHashDataInt.txt")
    signature = rdfc["private"].sign(data)
    assert signature.hex() == rdfc["file"]("sigHexDataInt.txt")
    assert multibase_encode(signature) == rdfc["file"]("sigBTC58DataInt.txt")
    assert rdfc["signed"]["proof"]["proofValue"] == multibase_encode(signature)


def test_rdfc_vector_verifies_and_tampering_fails(rdfc):
    signed = copy.deepcopy(rdfc["signed"])
    method = signed["proof"]["verificationMethod"]
    assert verify_proof(signed, rdfc["public"]) == Verification.good(method)
    for tamper in (
        lambda d: d.__setitem__("name", "Alumni Credentia1"),
        lambda d: d["credentialSubject"].__setitem__("alumniOf", "Elsewhere"),
        # credentials/v2 has an @vocab, so even an undefined term is signed data.
        lambda d: d.__setitem__("undefinedThing", "x"),
        lambda d: d["proof"].__setitem__("created", "2023-02-24T23:36:39Z"),
    ):
        changed = copy.deepcopy(rdfc["signed"])
        tamper(changed)
        assert verify_proof(changed, rdfc["public"]) == Verification.bad("signature does not match", method)


def _sign_rdfc(document, key):
    """Sign like another server would, to exercise the verifier on ActivityStreams."""
    config = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": CREATED,
        "verificationMethod": KEY_URL,
        "proofPurpose": "assertionMethod",
        "@context": document["@context"],
    }
    signature = key.sign(rdfc_hash_data(document, config))
    proof = {k: v for k, v in config.items() if k != "@context"}
    return {**document, "proof": {**proof, "proofValue": multibase_encode(signature)}}


def rdfc_note():
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/data-integrity/v2"],
        "id": "https://peer.example/notes/1",
        "type": "Note",
        "attributedTo": "https://peer.example/users/bob",
        "content": "3 h watering",
    }


def test_rdfc_activity_round_trip_and_safe_mode(key):
    signed = _sign_rdfc(rdfc_note(), key)
    assert verify_proof(signed, key.public_key()).ok
    # An undefined property leaves the N-Quads unchanged, so without safe mode the old
    # signature would still verify over a document that now says something else.
    smuggled = {**signed, "payoutTo": "https://evil.example/wallet"}
    from pyld import jsonld
    from fedcommons.ld.loader import document_loader

    def plain_nquads(doc):
        body = {k: v for k, v in doc.items() if k != "proof"}
        return jsonld.normalize(body, {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": document_loader})

    assert plain_nquads(smuggled) == plain_nquads(signed)
    result = verify_proof(smuggled, key.public_key())
    assert not result.ok and "safe mode" in result.reason and "payoutTo" in result.reason


def test_rdfc_unpinned_context_fails_without_fetching(key):
    signed = _sign_rdfc(rdfc_note(), key)
    signed["@context"] = signed["@context"] + ["https://unpinned.example/ctx"]
    signed["proof"]["@context"] = signed["@context"]
    result = verify_proof(signed, key.public_key())
    assert not result.ok and "not pinned" in result.reason


def test_rdfc_hostile_jsonld_never_raises(key):
    signed = _sign_rdfc(rdfc_note(), key)
    for context in ({"@version": 2.0}, {"content": {"@id": 5}}, [{"@context": {"@context": None}}]):
        bad = {**signed, "@context": context}
        bad["proof"] = {**signed["proof"]}
        result = verify_proof(bad, key.public_key())
        assert not result.ok and result.reason


def test_create_proof_canonical_returns_the_signed_bytes_and_verifies():
    from fedcommons.ld.canonical import canonicalize
    from fedcommons.sig.keys import generate_ed25519
    from fedcommons.sig.proof import create_proof, create_proof_canonical, verify_proof

    key = generate_ed25519()
    doc = {"@context": ["https://www.w3.org/ns/activitystreams"], "type": "Create",
           "id": "https://a.example/1", "object": {"type": "Note", "content": "héllo", "n": 0.25}}
    signed, body = create_proof_canonical(doc, key, "https://a.example/u#k", created="2026-01-01T00:00:00Z")
    assert body == canonicalize(signed)
    assert verify_proof(signed, key.public_key()).ok
    # Ed25519 is deterministic: the same proof as the plain path.
    assert signed == create_proof(doc, key, "https://a.example/u#k", created="2026-01-01T00:00:00Z")
    tampered = {**signed, "id": "https://a.example/2"}
    assert not verify_proof(tampered, key.public_key()).ok


def test_verifying_with_the_documents_bytes_agrees_with_canonicalizing_it():
    from fedcommons.ld.canonical import canonicalize
    from fedcommons.sig.keys import generate_ed25519
    from fedcommons.sig.proof import create_proof_canonical, verify_proof

    key = generate_ed25519()
    doc = {"@context": ["https://www.w3.org/ns/activitystreams"], "type": "Create", "id": "https://a.example/1",
           "object": {"type": "Note", "content": "x", "note": {"proof": "not the proof"}}}
    signed, body = create_proof_canonical(doc, key, "https://a.example/u#k", created="2026-01-01T00:00:00Z")
    assert verify_proof(signed, key.public_key(), canonical=body).ok
    # Bytes that are not the document's own canonical form cannot pass for it.
    other = dict(signed, id="https://a.example/2")
    assert not verify_proof(other, key.public_key(), canonical=canonicalize(other)).ok
    assert not verify_proof(signed, key.public_key(), canonical=body.replace(b'"x"', b'"y"')).ok
    # The proof member spelled twice (here, nested too): the cut is refused, and the
    # document is canonicalized instead, with the same verdict as without bytes.
    twice = dict(signed, object={**signed["object"], "proof": signed["proof"]})
    assert verify_proof(twice, key.public_key(), canonical=canonicalize(twice)).ok == \
        verify_proof(twice, key.public_key()).ok
