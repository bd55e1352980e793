"""draft-cavage-http-signatures-12 against its Appendix C (vectors/http-signatures/cavage)."""

from __future__ import annotations

import base64
import json
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

from fedcommons.errors import BadInput, VerificationError
from fedcommons.sig.httpsig import cavage, parse_request
from fedcommons.sig.httpsig.rfc9421 import Fields


@pytest.fixture(scope="module")
def suite(vectors: Path) -> dict:
    return json.loads((vectors / "http-signatures" / "cavage" / "cases.json").read_text())


@pytest.fixture(scope="module")
def keys(vectors: Path):
    folder = vectors / "http-signatures" / "cavage"
    private = load_pem_private_key((folder / "test-key.private.pem").read_bytes(), password=None)
    public = load_pem_public_key((folder / "test-key.public.pem").read_bytes())
    return private, public


def request_parts(suite: dict):
    request = suite["request"]
    return request["method"], request["path"], Fields(request["headers"])


def build(suite: dict, header: str) -> str:
    method, path, fields = request_parts(suite)
    sig = cavage.parse_signature_header(header)
    return cavage.signing_string(method, path, fields, sig.headers, algorithm=sig.effective_algorithm,
                                 created=sig.created, expires=sig.expires)


def test_signing_strings_of_appendix_c(suite):
    for case in suite["cases"]:
        assert build(suite, case["signature_header"]) == case["signing_string"], case["id"]
        # The Authorization form carries the same parameters.
        from_auth = cavage.parse_authorization(case["authorization_header"])
        assert from_auth == cavage.parse_signature_header(case["signature_header"]), case["id"]


def test_missing_headers_parameter_means_date_for_rsa(suite):
    c1 = next(c for c in suite["cases"] if c["headers_param"] is None)
    assert cavage.parse_signature_header(c1["signature_header"]).headers == ("date",)
    assert cavage.parse_signature_header('keyId="k",signature="AA=="').headers == ("(created)",)


def test_section_2_3_signing_string_example(suite):
    for example in suite["signing_string_examples"]:
        built = cavage.signing_string(example["method"], example["path"], Fields(example["headers"]),
                                      example["headers_param"].split(), algorithm="hs2019",
                                      created=str(example["created"]))
        assert built == example["signing_string"]


def test_appendix_c_signatures_are_reproduced_byte_for_byte(suite, keys):
    private, _ = keys
    for case in suite["cases"]:
        signature = cavage.sign(case["algorithm"], private, case["signing_string"])
        assert base64.b64encode(signature).decode() == case["signature"], case["id"]


def test_appendix_c_signatures_verify_and_tampering_fails(suite, keys):
    _, public = keys
    for case in suite["cases"]:
        sig = cavage.parse_signature_header(case["signature_header"])
        signing = case["signing_string"].encode()
        assert cavage.check(sig.effective_algorithm, public, signing, sig.signature) is None, case["id"]
        assert cavage.check(sig.effective_algorithm, public, signing.replace(b"2014", b"2015"), sig.signature)
        flipped = bytes([sig.signature[0] ^ 0x80]) + sig.signature[1:]
        assert cavage.check(sig.effective_algorithm, public, signing, flipped), case["id"]


def test_c3_through_parse_request_within_and_outside_the_window(suite, keys):
    _, public = keys
    c3 = next(c for c in suite["cases"] if c["id"] == "C.3")
    request = suite["request"]
    sent = parsedate_to_datetime(dict(request["headers"])["Date"]).timestamp()
    for header in ("Signature", "Authorization"):
        value = c3["signature_header"] if header == "Signature" else c3["authorization_header"]
        headers = [*request["headers"], (header, value)]
        signed = parse_request(request["method"], request["path"], headers, request["body"].encode(), now=sent + 60)
        assert (signed.scheme, signed.key_id, signed.algorithm) == ("cavage", "Test", "rsa-sha256")
        assert signed.signature_base == c3["signing_string"].encode()
        assert signed.verify(public).ok
    headers = [*request["headers"], ("Signature", c3["signature_header"])]
    with pytest.raises(VerificationError, match="window"):
        parse_request(request["method"], request["path"], headers, request["body"].encode(), now=sent + 3601)


def test_c1_and_c2_fail_node_policy(suite):
    request = suite["request"]
    for case in suite["cases"]:
        if case["id"] == "C.3":
            continue
        headers = [*request["headers"], ("Signature", case["signature_header"])]
        with pytest.raises(VerificationError, match="must cover"):
            parse_request(request["method"], request["path"], headers, request["body"].encode(), max_skew=None)


def test_c3_as_printed_must_fail(suite, keys):
    _, public = keys
    c3 = next(c for c in suite["cases"] if c["id"] == "C.3")
    request = suite["request"]
    headers = [*request["headers"], ("Signature", c3["printed_signature_header"])]
    with pytest.raises(VerificationError, match=r"\(created\) cannot be signed with algorithm rsa-sha256"):
        parse_request(request["method"], request["path"], headers, request["body"].encode(), max_skew=None)
    # Even read as hs2019, the 8-line string it implies does not match the signature.
    printed = cavage.parse_signature_header(c3["printed_signature_header"])
    implied = c3["printed_signing_string_with_created_expires_would_be"]
    method, path, fields = request_parts(suite)
    assert cavage.signing_string(method, path, fields, printed.headers, algorithm="hs2019",
                                 created=printed.created, expires=printed.expires) == implied
    assert cavage.check("hs2019", public, implied.encode(), printed.signature) == "signature does not match"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ('algorithm="rsa-sha256",signature="AA=="', "no keyId"),
        ('keyId="k",algorithm="rsa-sha256"', "no signature"),
        ('keyId="k",keyId="j",signature="AA=="', "given twice"),
        ('keyId="k",signature="not base64!"', "not base64"),
        ('keyId="k" signature="AA=="', "malformed"),
        ('keyId=k,signature="AA=="', "malformed"),
        ('keyId="k",headers="",signature="AA=="', "headers parameter is empty"),
    ],
)
def test_malformed_signature_headers(header, message):
    with pytest.raises(VerificationError, match=message):
        cavage.parse_signature_header(header)


def test_parameter_parsing_details():
    sig = cavage.parse_signature_header(
        ' keyId="https://a.example/u#main-key" , algorithm="HS2019",created=1402170695,'
        'headers="(Request-Target) Host",signature="AAE="'
    )
    assert sig.key_id == "https://a.example/u#main-key" and sig.effective_algorithm == "hs2019"
    assert sig.headers == ("(request-target)", "host") and sig.created == "1402170695"
    assert sig.signature == b"\x00\x01"
    assert cavage.parse_authorization('Bearer abc') is None


def test_signing_string_errors():
    fields = Fields({"Host": "example.org"})
    with pytest.raises(VerificationError, match="missing from the request"):
        cavage.signing_string("GET", "/", fields, ["date"])
    with pytest.raises(VerificationError, match="created parameter is missing"):
        cavage.signing_string("GET", "/", fields, ["(created)"], algorithm="hs2019")
    with pytest.raises(VerificationError, match="cannot be signed"):
        cavage.signing_string("GET", "/", fields, ["(expires)"], algorithm="rsa-sha256", expires="1")
    # `host` comes from the node's public authority when one is given.
    assert cavage.signing_string("GET", "/x", fields, ["(request-target)", "host"], host="node.example") == (
        "(request-target): get /x\nhost: node.example"
    )


def test_hs2019_follows_the_key_and_refuses_others(keys):
    _, rsa_public = keys
    ed_private = ed25519.Ed25519PrivateKey.generate()
    signature = cavage.sign("hs2019", ed_private, "date: x")
    assert cavage.check("hs2019", ed_private.public_key(), b"date: x", signature) is None
    assert cavage.check("ed25519", ed_private.public_key(), b"date: x", signature) is None
    assert "RSA" in cavage.check("rsa-sha256", ed_private.public_key(), b"date: x", signature)
    assert cavage.check("hs2019", rsa_public, b"date: x", signature) == "signature does not match"
    assert "cannot be verified" in cavage.check("hs2019", b"secret", b"date: x", signature)
    with pytest.raises(BadInput):
        cavage.sign("hs2019", b"secret", "date: x")


def test_format_signature_header_round_trips():
    header = cavage.format_signature_header("https://a/k", "rsa-sha256", ["(request-target)", "host"], b"\x01\x02")
    sig = cavage.parse_signature_header(header)
    assert (sig.key_id, sig.algorithm, sig.headers, sig.signature) == ("https://a/k", "rsa-sha256",
                                                                         ("(request-target)", "host"), b"\x01\x02")
    with pytest.raises(BadInput):
        cavage.format_signature_header('bad"id', "rsa-sha256", ["host"], b"")
