"""Signing and receiving requests: round trips, tampering, the clock window, the public URL."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from email.utils import formatdate
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from multidict import CIMultiDict

from fedcommons.errors import BadInput, VerificationError
from fedcommons.sig.httpsig import cavage, parse_request, rfc9421, sign_request
from fedcommons.sig.httpsig.digest import (
    DIGEST_MISMATCH,
    check_content_digest,
    check_digest,
    content_digest_header,
    digest_header,
)

NOW = 1_700_000_000.0
BASE = "https://node.example"
INBOX = f"{BASE}/pools/garden/inbox"
BODY = json.dumps({"type": "Create", "actor": "https://peer.example/u/alice"}).encode()
KEY_ID = "https://peer.example/u/alice#main-key"


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ed_key():
    return ed25519.Ed25519PrivateKey.generate()


@pytest.fixture(params=["rsa", "ed25519"])
def key(request, rsa_key, ed_key):
    return rsa_key if request.param == "rsa" else ed_key


SCHEMES = ["rfc9421", "cavage"]


def send(scheme, key, method="POST", url=INBOX, body=BODY, headers=None, now=NOW):
    """Headers of a signed request, as the receiving server sees them."""
    headers = dict(headers or {"Content-Type": "application/activity+json"})
    headers.update(sign_request(method, url, headers, body, key_id=KEY_ID, private_key=key, scheme=scheme, now=now))
    return headers


def receive(headers, method="POST", target="/pools/garden/inbox", body=BODY, now=NOW, base_url=BASE, **kw):
    return parse_request(method, target, headers, body, now=now, base_url=base_url, **kw)


# --- round trips -------------------------------------------------------------


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("method", ["POST", "GET"])
def test_round_trip(scheme, method, key):
    body = BODY if method == "POST" else None
    headers = send(scheme, key, method, body=body)
    signed = receive(headers, method, body=body)
    assert signed.verify(key.public_key()).ok
    assert signed.verify(key.public_key()).key_id == KEY_ID
    assert signed.scheme == scheme and signed.key_id == KEY_ID
    is_rsa = isinstance(key, rsa.RSAPrivateKey)
    expected = {("cavage", True): "rsa-sha256", ("cavage", False): "hs2019",
                ("rfc9421", True): "rsa-v1_5-sha256", ("rfc9421", False): "ed25519"}
    assert signed.algorithm == expected[scheme, is_rsa]


def test_rfc9421_headers_are_what_mastodon_and_fedify_read(rsa_key):
    added = sign_request("POST", INBOX, {}, BODY, key_id=KEY_ID, private_key=rsa_key, now=NOW)
    assert set(added) == {"Date", "Host", "Content-Digest", "Signature-Input", "Signature"}
    assert added["Host"] == "node.example" and added["Date"] == formatdate(NOW, usegmt=True)
    assert added["Content-Digest"] == "sha-256=:" + base64.b64encode(hashlib.sha256(BODY).digest()).decode() + ":"
    assert added["Signature-Input"] == (
        f'sig1=("@method" "@target-uri" "content-digest");created={int(NOW)};keyid="{KEY_ID}";alg="rsa-v1_5-sha256"'
    )
    assert added["Signature"].startswith("sig1=:") and added["Signature"].endswith(":")
    get = sign_request("GET", INBOX, {"Date": "x", "Host": "y"}, None, key_id=KEY_ID, private_key=rsa_key, now=NOW)
    assert set(get) == {"Signature-Input", "Signature"}
    assert '("@method" "@target-uri")' in get["Signature-Input"]


def test_cavage_headers_are_what_mastodon_reads(rsa_key, ed_key):
    post = sign_request("POST", INBOX, {}, BODY, key_id=KEY_ID, private_key=rsa_key, scheme="cavage", now=NOW)
    assert post["Digest"] == "SHA-256=" + base64.b64encode(hashlib.sha256(BODY).digest()).decode()
    sig = cavage.parse_signature_header(post["Signature"])
    assert (sig.algorithm, sig.headers) == ("rsa-sha256", ("(request-target)", "host", "date", "digest"))
    get = sign_request("GET", INBOX, {}, None, key_id=KEY_ID, private_key=ed_key, scheme="cavage", now=NOW)
    sig = cavage.parse_signature_header(get["Signature"])
    assert (sig.algorithm, sig.headers) == ("hs2019", ("(request-target)", "host", "date")) and "Digest" not in get


def test_loopback_node_with_a_port(rsa_key):
    url = "http://127.0.0.1:8080/inbox?page=2"
    for scheme in SCHEMES:
        headers = send(scheme, rsa_key, "GET", url=url, body=None)
        assert headers["Host"] == "127.0.0.1:8080"
        signed = receive(headers, "GET", "/inbox?page=2", body=None, base_url="http://127.0.0.1:8080")
        assert signed.verify(rsa_key.public_key()).ok
        other_port = receive(headers, "GET", "/inbox?page=2", body=None, base_url="http://127.0.0.1:8081")
        assert not other_port.verify(rsa_key.public_key()).ok


@pytest.mark.parametrize("scheme", SCHEMES)
def test_behind_a_proxy_the_public_url_decides(scheme, rsa_key):
    headers = send(scheme, rsa_key)
    headers["Host"] = "127.0.0.1:8000"  # what the TLS-terminating proxy forwarded
    assert receive(headers).verify(rsa_key.public_key()).ok
    # Trusting the forwarded Host instead would break the signature.
    assert not receive(headers, base_url=None).verify(rsa_key.public_key()).ok


def test_default_port_is_left_out_of_host_and_authority(rsa_key):
    headers = send("cavage", rsa_key, url="https://node.example:443/pools/garden/inbox")
    assert headers["Host"] == "node.example"
    assert receive(headers, base_url="https://node.example:443").verify(rsa_key.public_key()).ok


def test_case_insensitive_multidict_headers(rsa_key):
    headers = CIMultiDict((name.upper(), value) for name, value in send("rfc9421", rsa_key).items())
    assert receive(headers).verify(rsa_key.public_key()).ok


# --- tampering ---------------------------------------------------------------


@pytest.mark.parametrize("scheme", SCHEMES)
def test_changed_body_is_a_digest_mismatch(scheme, key):
    with pytest.raises(VerificationError, match=DIGEST_MISMATCH):
        receive(send(scheme, key), body=BODY.replace(b"alice", b"mallory"))


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize(
    "change",
    [
        {"target": "/pools/other/inbox"},
        {"method": "PUT"},
        {"base_url": "https://evil.example"},
    ],
    ids=["path", "method", "host"],
)
def test_changed_request_fails_verification(scheme, change, key):
    signed = receive(send(scheme, key), **change)
    result = signed.verify(key.public_key())
    assert not result.ok and result.reason == "signature does not match" and result.key_id == KEY_ID


@pytest.mark.parametrize("scheme", SCHEMES)
def test_flipped_signature_bytes_fail(scheme, key):
    signed = receive(send(scheme, key))
    flipped = dataclasses.replace(signed, signature=bytes([signed.signature[0] ^ 1]) + signed.signature[1:])
    assert signed.verify(key.public_key()).ok
    assert not flipped.verify(key.public_key()).ok


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_different_key_fails(scheme, rsa_key, ed_key):
    for signer, other in ((rsa_key, rsa.generate_private_key(65537, 1024)), (ed_key, ed25519.Ed25519PrivateKey.generate())):
        assert not receive(send(scheme, signer)).verify(other.public_key()).ok


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_key_of_the_wrong_type_is_a_reason(scheme, rsa_key, ed_key):
    result = receive(send(scheme, rsa_key)).verify(ed_key.public_key())
    assert not result.ok and "RSA" in result.reason
    result = receive(send(scheme, ed_key)).verify(ec.generate_private_key(ec.SECP256R1()).public_key())
    assert not result.ok


@pytest.mark.parametrize(("scheme", "dropped"), [("cavage", "Digest"), ("cavage", "Date"), ("rfc9421", "Content-Digest")])
def test_dropped_covered_header_is_refused(scheme, dropped, rsa_key):
    headers = send(scheme, rsa_key)
    del headers[dropped]
    with pytest.raises(VerificationError, match="missing"):
        receive(headers)


# --- the clock ---------------------------------------------------------------


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("offset", [-3599, 3599])
def test_within_the_window_is_accepted(scheme, offset, key):
    assert receive(send(scheme, key, now=NOW + offset)).verify(key.public_key()).ok


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("offset", [-3601, 3601])
def test_outside_the_window_is_refused(scheme, offset, key):
    headers = send(scheme, key, now=NOW + offset)
    with pytest.raises(VerificationError, match="window"):
        receive(headers)
    # The window is a parameter, and None switches it off for fixed vectors.
    assert receive(headers, max_skew=7200).verify(key.public_key()).ok
    assert receive(headers, max_skew=None).verify(key.public_key()).ok


def test_date_changed_beyond_the_window_is_refused_and_breaks_the_signature(rsa_key):
    headers = send("cavage", rsa_key)
    headers["Date"] = formatdate(NOW + 7200, usegmt=True)
    with pytest.raises(VerificationError, match="window"):
        receive(headers)
    assert not receive(headers, max_skew=None).verify(rsa_key.public_key()).ok


def rfc9421_headers(key, params, components=("@method", "@target-uri", "content-digest"), url=INBOX, body=BODY):
    """A hand-built RFC 9421 request, for parameters sign_request never sets."""
    headers = {"Content-Digest": content_digest_header(body)}
    sig_input = rfc9421.SignatureInput.create(components, params)
    message = rfc9421.HttpMessage.for_request("POST", url, headers)
    signature = rfc9421.sign_bytes("ed25519", key, rfc9421.signature_base(message, sig_input))
    return {**headers, **rfc9421.signature_fields("sig2", sig_input, signature)}


def test_rfc9421_expires_in_the_past_is_refused(ed_key):
    fresh = rfc9421_headers(ed_key, [("created", int(NOW) - 10), ("keyid", KEY_ID), ("expires", int(NOW) + 10)])
    assert receive(fresh).verify(ed_key.public_key()).ok
    stale = rfc9421_headers(ed_key, [("created", int(NOW) - 10), ("keyid", KEY_ID), ("expires", int(NOW) - 1)])
    with pytest.raises(VerificationError, match="expired"):
        receive(stale)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ([("keyid", KEY_ID)], "created"),
        ([("created", int(NOW))], "keyid"),
        ([("created", int(NOW)), ("keyid", KEY_ID), ("alg", "rsa-sha1")], "unsupported signature algorithm"),
        ([("created", int(NOW)), ("keyid", KEY_ID), ("expires", "soon")], "expires"),
    ],
)
def test_rfc9421_required_parameters(ed_key, params, message):
    with pytest.raises(VerificationError, match=message):
        receive(rfc9421_headers(ed_key, params))


@pytest.mark.parametrize(
    "components",
    [("@target-uri", "content-digest"), ("@method", "@authority", "content-digest"), ("@method", "@target-uri")],
    ids=["no-method", "no-path", "no-digest"],
)
def test_rfc9421_required_components(ed_key, components):
    with pytest.raises(VerificationError, match="must cover"):
        receive(rfc9421_headers(ed_key, [("created", int(NOW)), ("keyid", KEY_ID)], components))


def test_rfc9421_authority_and_path_may_stand_for_target_uri(ed_key):
    headers = rfc9421_headers(ed_key, [("created", int(NOW)), ("keyid", KEY_ID)],
                              ("@method", "@authority", "@path", "content-digest"))
    signed = receive(headers)
    assert signed.label == "sig2" and signed.verify(ed_key.public_key()).ok


def cavage_headers(key, algorithm, covered, extra, target="/pools/garden/inbox", body=BODY, params=""):
    """A hand-built draft-cavage request, for choices sign_request never makes."""
    headers = {"Host": "node.example", "Date": formatdate(NOW, usegmt=True), "Digest": digest_header(body), **extra}
    sig = cavage.parse_signature_header(f'keyId="{KEY_ID}",algorithm="{algorithm}",{params}signature="AA=="')
    signing = cavage.signing_string("POST", target, rfc9421.Fields(headers), covered, algorithm=algorithm,
                                    created=sig.created, expires=sig.expires)
    encoded = base64.b64encode(cavage.sign(algorithm, key, signing)).decode()
    headers["Signature"] = f'keyId="{KEY_ID}",algorithm="{algorithm}",{params}headers="{" ".join(covered)}",signature="{encoded}"'
    return headers


def test_cavage_created_and_expires(ed_key):
    covered = ["(request-target)", "(created)", "(expires)", "host", "digest"]
    good = cavage_headers(ed_key, "hs2019", covered, {}, params=f"created={int(NOW)},expires={int(NOW) + 300},")
    assert receive(good).verify(ed_key.public_key()).ok
    old = cavage_headers(ed_key, "hs2019", covered, {}, params=f"created={int(NOW) - 4000},expires={int(NOW) + 300},")
    with pytest.raises(VerificationError, match=r"\(created\).*window"):
        receive(old)
    expired = cavage_headers(ed_key, "hs2019", covered, {}, params=f"created={int(NOW) - 60},expires={int(NOW) - 1},")
    with pytest.raises(VerificationError, match="expired"):
        receive(expired)


@pytest.mark.parametrize(
    ("covered", "missing"),
    [
        (["host", "date", "digest"], r"\(request-target\)"),
        (["(request-target)", "date", "digest"], "host"),
        (["(request-target)", "host", "digest"], "date"),
        (["(request-target)", "host", "date"], "digest"),
    ],
)
def test_cavage_required_headers(rsa_key, covered, missing):
    with pytest.raises(VerificationError, match=f"must cover {missing}"):
        receive(cavage_headers(rsa_key, "rsa-sha256", covered, {}))


def test_cavage_ed25519_algorithm_name_is_accepted(ed_key):
    headers = cavage_headers(ed_key, "ed25519", ["(request-target)", "host", "date", "digest"], {})
    assert receive(headers).verify(ed_key.public_key()).ok


def test_cavage_query_less_request_target_is_accepted_only_as_a_fallback(rsa_key):
    # Fedify and older Mastodon leave the query out of (request-target).
    covered = ["(request-target)", "host", "date"]
    headers = cavage_headers(rsa_key, "rsa-sha256", covered, {}, target="/u/alice/outbox", body=b"")
    signed = receive(headers, "POST", "/u/alice/outbox?page=2", body=None)
    assert signed.signature_base.startswith(b"(request-target): post /u/alice/outbox?page=2\n")
    assert signed.verify(rsa_key.public_key()).ok
    assert not receive(headers, "POST", "/u/bob/outbox?page=2", body=None).verify(rsa_key.public_key()).ok


# --- detection and malformed input --------------------------------------------


def test_unsigned_request_is_refused():
    with pytest.raises(VerificationError, match="not signed"):
        receive({"Host": "node.example", "Authorization": "Bearer abc"})


def test_signature_input_without_signature_is_refused(rsa_key):
    headers = send("rfc9421", rsa_key)
    del headers["Signature"]
    with pytest.raises(VerificationError, match="without a Signature"):
        receive(headers)


def test_rfc9421_is_preferred_over_cavage(rsa_key):
    headers = send("cavage", rsa_key)
    headers["Authorization"] = "Signature " + headers.pop("Signature")
    assert receive(headers).scheme == "cavage"
    headers.update(sign_request("POST", INBOX, headers, BODY, key_id=KEY_ID, private_key=rsa_key, now=NOW))
    assert receive(headers).scheme == "rfc9421"


def test_signature_label_without_a_value_is_refused(rsa_key):
    headers = send("rfc9421", rsa_key)
    headers["Signature"] = headers["Signature"].replace("sig1=", "other=")
    with pytest.raises(VerificationError, match="matching Signature member"):
        receive(headers)


def test_unsupported_cavage_algorithm(rsa_key):
    headers = send("cavage", rsa_key)
    headers["Signature"] = headers["Signature"].replace("rsa-sha256", "rsa-sha1")
    with pytest.raises(VerificationError, match="unsupported signature algorithm 'rsa-sha1'"):
        receive(headers)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"Date": "yesterday"}, "malformed Date"),
        ({"Digest": "SHA-256=***"}, "not base64"),
        ({"Digest": "MD5=AAAA"}, "no supported algorithm"),
    ],
)
def test_malformed_cavage_headers(rsa_key, change, message):
    headers = {**send("cavage", rsa_key), **change}
    with pytest.raises(VerificationError, match=message):
        receive(headers)


def test_malformed_targets_and_hosts(rsa_key):
    headers = send("cavage", rsa_key)
    with pytest.raises(VerificationError, match="request target"):
        receive(headers, target="pools/garden/inbox")
    with pytest.raises(VerificationError, match="no Host header"):
        receive({k: v for k, v in headers.items() if k != "Host"}, base_url=None)
    # An absolute-form target is reduced to its path and query.
    assert receive(headers, target=INBOX).verify(rsa_key.public_key()).ok


def test_sign_request_refuses_bad_input(rsa_key):
    with pytest.raises(BadInput, match="scheme"):
        sign_request("GET", INBOX, {}, None, key_id=KEY_ID, private_key=rsa_key, scheme="jws")
    with pytest.raises(BadInput, match="absolute"):
        sign_request("GET", "/relative", {}, None, key_id=KEY_ID, private_key=rsa_key)
    with pytest.raises(BadInput, match="RSA or Ed25519"):
        sign_request("GET", INBOX, {}, None, key_id=KEY_ID, private_key=b"secret", scheme="cavage")
    with pytest.raises(BadInput):
        sign_request("GET", INBOX, {}, None, key_id=KEY_ID, private_key=object())


# --- digests -------------------------------------------------------------------


def test_digest_known_answers_from_the_vectors(vectors: Path):
    cavage_request = json.loads((vectors / "http-signatures" / "cavage" / "cases.json").read_text())["request"]
    body = cavage_request["body"].encode()
    given = dict(cavage_request["headers"])["Digest"]
    assert digest_header(body) == given and check_digest(given, body) == "sha-256"
    suite = json.loads((vectors / "http-signatures" / "rfc9421" / "cases.json").read_text())
    request = suite["messages"]["test-request"]
    given = dict(request["headers"])["Content-Digest"]
    assert content_digest_header(request["body"].encode(), "sha-512") == given
    assert check_content_digest(given, request["body"].encode()) == "sha-512"


def test_digest_checks_every_supported_algorithm():
    both = f"{digest_header(BODY)},SHA-512={base64.b64encode(hashlib.sha512(BODY).digest()).decode()}"
    assert check_digest(both, BODY) == "sha-256"
    wrong_second = f"{digest_header(BODY)},SHA-512={base64.b64encode(hashlib.sha512(b'x').digest()).decode()}"
    with pytest.raises(VerificationError, match=DIGEST_MISMATCH):
        check_digest(wrong_second, BODY)
    # An unknown algorithm next to a good one is ignored, as RFC 3230 allows.
    assert check_digest(f"UNIXsum=30637,{digest_header(BODY)}", BODY) == "sha-256"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("sha-256=:AAAA:", DIGEST_MISMATCH),
        ("md5=:AAAA:", "no supported algorithm"),
        ('sha-256="AAAA"', "not a byte sequence"),
        ("sha-256=:AAAA", "not a structured dictionary"),
    ],
)
def test_content_digest_errors(value, message):
    with pytest.raises(VerificationError, match=message):
        check_content_digest(value, BODY)
    with pytest.raises(ValueError):
        content_digest_header(BODY, "md5")
