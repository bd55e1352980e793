"""RFC 9421 mechanics against the RFC's own examples (vectors/http-signatures/rfc9421)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

from fedcommons.errors import BadInput, VerificationError
from fedcommons.sig.httpsig import parse_request, rfc9421
from fedcommons.sig.httpsig.rfc9421 import Component, Fields, HttpMessage, SignatureInput


@pytest.fixture(scope="module")
def suite(vectors: Path) -> dict:
    return json.loads((vectors / "http-signatures" / "rfc9421" / "cases.json").read_text())


@pytest.fixture(scope="module")
def keydir(vectors: Path) -> Path:
    return vectors / "http-signatures" / "rfc9421" / "keys"


def public_key(keydir: Path, name: str):
    if name == "test-shared-secret":
        return base64.b64decode((keydir / "test-shared-secret.b64.txt").read_text())
    return load_pem_public_key((keydir / f"{name}.public.pem").read_bytes())


def private_key(keydir: Path, name: str):
    if name == "test-shared-secret":
        return base64.b64decode((keydir / "test-shared-secret.b64.txt").read_text())
    return load_pem_private_key((keydir / f"{name}.private.pem").read_bytes(), password=None)


def build_message(suite: dict, message: dict, related: str | None = None) -> HttpMessage:
    if message["type"] == "request":
        return HttpMessage.for_request(message["method"], message["target_uri"], message["headers"])
    request = build_message(suite, suite["messages"][related]) if related else None
    return HttpMessage.for_response(message["status"], message["headers"], request)


def case_parts(suite: dict, case: dict) -> tuple[HttpMessage, SignatureInput, bytes]:
    message = build_message(suite, suite["messages"][case["message"]], case.get("related_request"))
    sig_input = rfc9421.parse_signature_input(case["signature_input"])[case["label"]]
    signature = rfc9421.parse_signature(case["signature"])[case["label"]]
    return message, sig_input, signature


# --- the published cases ----------------------------------------------------


def test_every_signature_base_is_byte_exact(suite):
    seen_types = set()
    for case in suite["cases"]:
        message, sig_input, _ = case_parts(suite, case)
        assert rfc9421.signature_base(message, sig_input) == case["signature_base"].encode(), case["id"]
        seen_types.add(suite["messages"][case["message"]]["type"])
    # Responses are built too (B.2.4 and the section 2.4 ;req cases), not skipped.
    assert seen_types == {"request", "response"}


def test_covered_components_and_params_parse_as_listed(suite):
    for case in suite["cases"]:
        _, sig_input, _ = case_parts(suite, case)
        assert [c.identifier for c in sig_input.components] == case["covered_components"], case["id"]
        assert [list(p) for p in sig_input.params] == case["signature_params"], case["id"]
        assert sig_input.serialize() == case["signature_params_value"], case["id"]


def test_signature_fields_reserialise_to_the_published_members(suite):
    for case in suite["cases"]:
        _, sig_input, signature = case_parts(suite, case)
        fields = rfc9421.signature_fields(case["label"], sig_input, signature)
        assert fields == {"Signature-Input": case["signature_input"], "Signature": case["signature"]}, case["id"]
        assert signature == base64.b64decode(case["signature_b64"])


def test_deterministic_cases_sign_byte_for_byte(suite, keydir):
    algorithms = set()
    for case in suite["cases"]:
        if not case["deterministic"]:
            continue
        message, sig_input, signature = case_parts(suite, case)
        base = rfc9421.signature_base(message, sig_input)
        assert rfc9421.sign_bytes(case["alg"], private_key(keydir, case["key"]), base) == signature, case["id"]
        algorithms.add(case["alg"])
    assert algorithms == {"hmac-sha256", "ed25519", "rsa-v1_5-sha256"}


def test_every_case_verifies_with_its_key(suite, keydir):
    for case in suite["cases"]:
        message, sig_input, signature = case_parts(suite, case)
        base = rfc9421.signature_base(message, sig_input)
        assert rfc9421.check_signature(case["alg"], public_key(keydir, case["key"]), base, signature) is None, case["id"]


def test_randomised_algorithms_round_trip_with_the_rfc_keys(suite, keydir):
    # RSA-PSS and ECDSA cannot be re-made byte for byte; a fresh signature must verify.
    for name, alg in [("test-key-ecc-p256", "ecdsa-p256-sha256"), ("test-key-rsa-pss", "rsa-pss-sha512")]:
        try:
            key = private_key(keydir, name)
        except (ValueError, TypeError):
            key = load_pem_private_key((keydir / f"{name}.private.rsaEncryption-pkcs8.pem").read_bytes(), None)
        base = b'"@method": POST\n"@signature-params": ("@method");created=1'
        signature = rfc9421.sign_bytes(alg, key, base)
        assert rfc9421.check_signature(alg, public_key(keydir, name), base, signature) is None
        assert rfc9421.check_signature(alg, public_key(keydir, name), base + b"x", signature) == "signature does not match"


def test_flipped_signature_bit_fails_every_case(suite, keydir):
    for case in suite["cases"]:
        message, sig_input, signature = case_parts(suite, case)
        base = rfc9421.signature_base(message, sig_input)
        flipped = bytes([signature[0] ^ 0x01]) + signature[1:]
        assert rfc9421.check_signature(case["alg"], public_key(keydir, case["key"]), base, flipped), case["id"]


def test_b4_transformed_messages_verify_exactly_as_expected(suite, keydir):
    case = next(c for c in suite["cases"] if c.get("transformed_messages"))
    key = public_key(keydir, case["key"])
    outcomes = []
    for altered in case["transformed_messages"]:
        message = build_message(suite, altered["message"])
        sig_input = rfc9421.parse_signature_input(message.fields.get("signature-input"))[case["label"]]
        signature = rfc9421.parse_signature(message.fields.get("signature"))[case["label"]]
        base = rfc9421.signature_base(message, sig_input)
        assert base == altered["signature_base"].encode(), altered["desc"]
        valid = rfc9421.check_signature(case["alg"], key, base, signature) is None
        assert valid == altered["expected_valid"], altered["desc"]
        outcomes.append(valid)
    assert True in outcomes and False in outcomes


def test_client_signature_fails_once_the_proxy_changed_the_message(suite, keydir):
    case = next(c for c in suite["cases"] if c.get("negative"))
    message = build_message(suite, suite["messages"][case["negative"]["message"]])
    sig_input = rfc9421.parse_signature_input(case["signature_input"])[case["label"]]
    signature = rfc9421.parse_signature(case["signature"])[case["label"]]
    base = rfc9421.signature_base(message, sig_input)
    assert rfc9421.check_signature(case["alg"], public_key(keydir, case["key"]), base, signature) is not None
    assert case["negative"]["expected_valid"] is False


def test_parse_request_accepts_the_vectors_that_meet_node_policy(suite, keydir):
    # Each request case, carrying only its own signature: those covering @method, the
    # target and content-digest pass parse_request and verify, even without `alg`
    # (RSA-PSS is found from the key). The others must fail the coverage policy.
    accepted = {"B.2.3", "3.2", "4.3-client", "4.3", "2.4-request", "B.4"}
    checked = set()
    for case in suite["cases"]:
        message = suite["messages"][case["message"]]
        if message["type"] != "request":
            continue
        headers = [(n, v) for n, v in message["headers"] if n.lower() not in ("signature", "signature-input")]
        headers += [("Signature-Input", case["signature_input"]), ("Signature", case["signature"])]
        args = (message["method"], message["request_target"], headers, message["body"].encode())
        options = {"now": dict(case["signature_params"])["created"], "base_url": message["target_uri"][:-len(message["request_target"])]}
        checked.add(case["id"])
        if case["id"] not in accepted:
            with pytest.raises(VerificationError, match="must cover"):
                parse_request(*args, **options)
            continue
        signed = parse_request(*args, **options)
        assert signed.signature_base == case["signature_base"].encode()
        assert signed.key_id == case["keyid"] and signed.label == case["label"]
        assert signed.verify(public_key(keydir, case["key"])).ok, case["id"]
    assert accepted <= checked and checked - accepted


def test_parse_request_checks_the_first_of_several_signatures(suite, keydir):
    message = suite["messages"]["4.3-signed-request"]
    signed = parse_request(message["method"], message["request_target"], message["headers"],
                           message["body"].encode(), max_skew=None, base_url="https://origin.host.internal.example")
    assert signed.label == "sig1"
    # That is the client's signature, which the proxy's Host change has broken.
    assert not signed.verify(public_key(keydir, "test-key-ecc-p256")).ok


def test_wrong_key_type_is_a_reason_not_an_exception(suite, keydir):
    case = next(c for c in suite["cases"] if c["alg"] == "ed25519")
    message, sig_input, signature = case_parts(suite, case)
    base = rfc9421.signature_base(message, sig_input)
    reason = rfc9421.check_signature("ed25519", public_key(keydir, "test-key-rsa"), base, signature)
    assert reason and "Ed25519" in reason
    reason = rfc9421.check_signature("rsa-v1_5-sha256", public_key(keydir, "test-key-ecc-p256"), base, signature)
    assert reason and "RSA" in reason
    # A P-256 signature of the wrong length is refused before any maths.
    assert "64" in rfc9421.check_signature("ecdsa-p256-sha256", public_key(keydir, "test-key-ecc-p256"), base, b"x")


# --- component rules, with known answers from the RFC text -----------------


def value(headers, component: Component, method="GET", uri="https://www.example.com/path?param=value") -> str:
    return rfc9421.component_value(HttpMessage.for_request(method, uri, headers), component)


def test_field_canonicalisation_section_2_1():
    headers = [
        ("Host", "www.example.com"),
        ("X-OWS-Header", "   Leading and trailing whitespace.   "),
        ("X-Obs-Fold-Header", "Obsolete\n    line folding."),
        ("X-Empty-Header", ""),
        ("Cache-Control", "max-age=60"),
        ("Cache-Control", "   must-revalidate"),
    ]
    assert value(headers, Component("x-ows-header")) == "Leading and trailing whitespace."
    assert value(headers, Component("x-obs-fold-header")) == "Obsolete line folding."
    assert value(headers, Component("x-empty-header")) == ""
    assert value(headers, Component("cache-control")) == "max-age=60, must-revalidate"


def test_dictionary_member_and_binary_wrapping_sections_2_1_2_and_2_1_3():
    headers = [("Example-Dict", " a=1,    b=2;x=1;y=2,   c=(a   b   c), d")]
    assert value(headers, Component("example-dict", (("key", "a"),))) == "1"
    assert value(headers, Component("example-dict", (("key", "d"),))) == "?1"
    assert value(headers, Component("example-dict", (("key", "b"),))) == "2;x=1;y=2"
    assert value(headers, Component("example-dict", (("key", "c"),))) == "(a b c)"
    with pytest.raises(VerificationError, match="no such member"):
        value(headers, Component("example-dict", (("key", "zz"),)))
    lines = [("Example-Header", "value, with, lots"), ("Example-Header", "of, commas")]
    assert value(lines, Component("example-header")) == "value, with, lots, of, commas"
    assert value(lines, Component("example-header", (("bs", True),))) == ":dmFsdWUsIHdpdGgsIGxvdHM=:, :b2YsIGNvbW1hcw==:"


def test_sf_reserialises_known_structured_fields_only():
    digest = [("Content-Digest", "sha-256=:AAAA:,    sha-512=:BBBB:")]
    assert value(digest, Component("content-digest", (("sf", True),))) == "sha-256=:AAAA:, sha-512=:BBBB:"
    with pytest.raises(VerificationError, match="not a known structured field"):
        value([("X-Thing", "a=1")], Component("x-thing", (("sf", True),)))


def test_derived_components_section_2_2():
    uri = "https://WWW.Example.com:443/path?param=value&foo=bar&baz=bat%2Dman"
    assert value([], Component("@method"), "POST", uri) == "POST"
    assert value([], Component("@target-uri"), "POST", uri) == "https://www.example.com/path?param=value&foo=bar&baz=bat%2Dman"
    assert value([], Component("@authority"), "POST", uri) == "www.example.com"
    assert value([], Component("@scheme"), "POST", uri) == "https"
    assert value([], Component("@request-target"), "POST", uri) == "/path?param=value&foo=bar&baz=bat%2Dman"
    assert value([], Component("@path"), "POST", uri) == "/path"
    assert value([], Component("@query"), "POST", uri) == "?param=value&foo=bar&baz=bat%2Dman"
    assert value([], Component("@query"), "GET", "https://www.example.com/path") == "?"
    assert value([], Component("@authority"), "GET", "http://Example.com:8080/") == "example.com:8080"


def test_query_param_encoding_section_2_2_8():
    uri = ("https://www.example.com/parameters?var=this%20is%20a%20big%0Amultiline%20value"
           "&bar=with+plus+whitespace&fa%C3%A7ade%22%3A%20=something")
    def param(name):
        return value([], Component("@query-param", (("name", name),)), "GET", uri)
    assert param("var") == "this%20is%20a%20big%0Amultiline%20value"
    assert param("bar") == "with%20plus%20whitespace"
    assert param("fa%C3%A7ade%22%3A%20") == "something"
    with pytest.raises(VerificationError, match="occurs 0 times"):
        param("absent")
    with pytest.raises(VerificationError, match="occurs 2 times"):
        value([], Component("@query-param", (("name", "a"),)), "GET", "https://h/p?a=1&a=2")


@pytest.mark.parametrize(
    ("components", "message"),
    [
        (["@method", "@method"], "covered twice"),
        (["@signature-params"], "cannot be a covered"),
        (["@status"], "only defined for responses"),
        (["x-missing"], "missing from the message"),
        (["@unknown"], "unsupported derived component"),
        (["Content-Type"], "must be lower case"),
        ([Component("date", (("tr", True),))], "trailer"),
        ([Component("date", (("zz", 1),))], "unknown parameters"),
        ([Component("@method", (("name", "x"),))], "not allowed"),
        ([Component("date", (("bs", True), ("sf", True)))], "cannot be combined"),
        (["x-latin"], "not ASCII"),
    ],
)
def test_signature_base_errors(components, message):
    request = HttpMessage.for_request("GET", "https://example.com/", [("Date", "x"), ("Content-Type", "a"), ("X-Latin", "café")])
    with pytest.raises(VerificationError, match=message):
        rfc9421.signature_base(request, SignatureInput.create(components, [("created", 1)]))


def test_request_components_in_a_response_need_req():
    response = HttpMessage.for_response(200, [("Date", "x")])
    with pytest.raises(VerificationError, match="only defined for requests"):
        rfc9421.component_value(response, Component("@method"))
    with pytest.raises(VerificationError, match="related request"):
        rfc9421.component_value(response, Component("@method", (("req", True),)))
    assert rfc9421.component_value(response, Component("@status")) == "200"


@pytest.mark.parametrize(
    "header",
    ['sig1="(\\"@method\\")"', "sig1=:AAAA:", "sig1=(@method)", "sig1=(\"@method\" 12)", "Sig1=()", "sig1=(\"a\""],
)
def test_malformed_signature_input_is_rejected(header):
    with pytest.raises(VerificationError, match="Signature-Input"):
        rfc9421.parse_signature_input(header)


@pytest.mark.parametrize("header", ['sig1="abc"', "sig1=(:AAAA:)", "sig1=:AA", "sig1=1"])
def test_malformed_signature_is_rejected(header):
    with pytest.raises(VerificationError, match="Signature"):
        rfc9421.parse_signature(header)


def test_fields_accept_repeated_lines_and_any_case():
    fields = Fields([("ACCEPT", "a"), ("accept", " b "), ("X-One", "1")])
    assert fields.get("Accept") == "a, b" and fields.lines("accept") == ["a", "b"]
    assert "x-one" in fields and fields.get("x-two") is None
    assert Fields({"Host": "h"}).replaced({"HOST": "g"}).lines("host") == ["g"]


def test_sign_bytes_refuses_a_key_of_the_wrong_type():
    with pytest.raises(BadInput, match="RSA"):
        rfc9421.sign_bytes("rsa-v1_5-sha256", ed25519.Ed25519PrivateKey.generate(), b"x")
