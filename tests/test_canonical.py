"""RFC 8785 canonical JSON: published vectors, error cases, and fast path == reference."""

import copy
import json
import math
import struct

import pytest
import rfc8785
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fedcommons.errors import BadInput, UnknownContext
from fedcommons.ld.canonical import canonicalize, canonicalize_rdf

JCS_CASES = ["arrays", "french", "structures", "unicode", "values", "weird"]


@pytest.mark.parametrize("name", JCS_CASES)
def test_jcs_vectors_byte_exact(vectors, name):
    source = (vectors / "jcs" / "input" / f"{name}.json").read_text(encoding="utf-8")
    expected = (vectors / "jcs" / "output" / f"{name}.json").read_bytes()
    assert canonicalize(json.loads(source)) == expected


@pytest.mark.parametrize("name", JCS_CASES)
def test_jcs_vectors_agree_with_outhex(vectors, name):
    hex_text = (vectors / "jcs" / "outhex" / f"{name}.txt").read_text(encoding="ascii")
    expected = bytes.fromhex("".join(hex_text.split()))
    assert canonicalize(json.loads((vectors / "jcs" / "input" / f"{name}.json").read_bytes())) == expected


def test_number_samples(vectors):
    lines = (vectors / "jcs" / "numbers-sample.txt").read_text(encoding="ascii").split()
    assert len(lines) == 7
    for line in lines:
        hex_bits, expected = line.split(",")
        (number,) = struct.unpack(">d", bytes.fromhex(hex_bits.rjust(16, "0")))
        assert canonicalize(number) == expected.encode(), line
        # Same number inside a structure takes the same path through the serializer.
        assert canonicalize({"n": [number]}) == b'{"n":[' + expected.encode() + b"]}", line


def test_rfc8785_appendix_b_numbers():
    # A few rows of RFC 8785 Appendix B (IEEE 754 value -> ECMAScript form).
    cases = {
        "0000000000000000": "0",
        "8000000000000000": "0",
        "0000000000000001": "5e-324",
        "7fefffffffffffff": "1.7976931348623157e+308",
        "4340000000000000": "9007199254740992",
        "44b52d02c7e14af6": "1e+23",
        "3eb0c6f7a0b5ed8d": "0.000001",
        "41b3de4355555553": "333333333.3333332",
    }
    for hex_bits, expected in cases.items():
        (number,) = struct.unpack(">d", bytes.fromhex(hex_bits))
        assert canonicalize(number) == expected.encode(), hex_bits


def test_keys_sort_by_utf16_code_units():
    # U+1F600 is a surrogate pair (D83D DE00) in UTF-16, so it sorts before U+FB01
    # even though its code point is larger; code-point order would swap them.
    value = {"\ufb01": 1, "\U0001f600": 2, "a": 3}
    assert canonicalize(value) == '{"a":3,"\U0001f600":2,"\ufb01":1}'.encode()


def test_escapes_and_unicode():
    value = {"s": '\u20ac$\u000f\nA\'B"\\\\"/\u007f\u2028'}
    assert canonicalize(value) == '{"s":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/\u007f\u2028"}'.encode()


@pytest.mark.parametrize(
    "bad",
    [
        math.nan,
        math.inf,
        -math.inf,
        {"x": [1, math.nan]},
        {1: "non-string key"},
        {("a",): 1},
        2**53 + 1,
        -(2**53 + 1),
        {"big": 10**30},
        10**400,
        "lone \ud800 surrogate",
        {"\udc00": 1},
        {"set": {1, 2}},
        b"bytes",
        object(),
    ],
)
def test_non_json_values_raise_bad_input(bad):
    with pytest.raises(BadInput, match="cannot canonicalize"):
        canonicalize(bad)


def test_cyclic_value_raises_bad_input():
    cyclic: list = []
    cyclic.append(cyclic)
    with pytest.raises(BadInput, match="cyclic or nested"):
        canonicalize(cyclic)


def test_largest_safe_integers_are_accepted():
    assert canonicalize([2**53 - 1, -(2**53 - 1)]) == b"[9007199254740991,-9007199254740991]"


def test_large_integers_written_as_their_double_are_accepted():
    # JCS prints the double 2**60 as 1152921504606847000; Python's json reads that back
    # as an int beyond 2**53, which must canonicalize to the same bytes again.
    assert canonicalize(2.0**60) == b"1152921504606847000"
    assert canonicalize(json.loads(b'{"n":[1152921504606847000,-9007199254740992]}')) == (
        b'{"n":[1152921504606847000,-9007199254740992]}'
    )
    # The exact integer 2**60 is a different decimal: refused rather than re-written.
    with pytest.raises(BadInput, match="must be written exactly"):
        canonicalize(2**60)


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53 - 1), max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([0.1, 3.5, 1e-4, 9.999e-5, 1e16, 1e21, 123456789.125, -0.0, 2.0**60])
    | st.text()
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=6), children, max_size=5),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_matches_reference_implementation(value):
    # The fast path must never diverge from the rfc8785 package.
    try:
        expected = rfc8785.dumps(value)
    except rfc8785.CanonicalizationError:
        with pytest.raises(BadInput):
            canonicalize(value)
    else:
        assert canonicalize(value) == expected


def _numbers_as_floats(value):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dict):
        return {k: _numbers_as_floats(v) for k, v in value.items()}
    return [_numbers_as_floats(v) for v in value]


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_output_parses_back_to_the_same_value_and_is_stable(value):
    try:
        canonical = canonicalize(value)
    except BadInput:
        assume(False)  # values canonical JSON refuses have tests of their own
    parsed = json.loads(canonical)
    # JSON numbers are doubles: compare them as doubles, whichever Python type parsed.
    assert _numbers_as_floats(parsed) == _numbers_as_floats(json.loads(json.dumps(value)))
    assert canonicalize(parsed) == canonical


# --- RDFC-1.0 (for eddsa-rdfc-2022 proofs from other servers) ---------------------


AS = "https://www.w3.org/ns/activitystreams"


def note(**extra):
    return {
        "@context": AS,
        "id": "https://a.example/notes/1",
        "type": "Note",
        "content": "watering",
        "attributedTo": "https://a.example/users/alice",
        **extra,
    }


def test_rdfc_vector_document_and_proof_config(vectors):
    root = vectors / "data-integrity"
    suite = root / "eddsa-rdfc-2022"
    document = json.loads((root / "unsigned.json").read_text())
    before = copy.deepcopy(document)
    assert canonicalize_rdf(document).encode() == (suite / "canonDocDataInt.txt").read_bytes()
    assert document == before  # pyld must not have rewritten the caller's dict
    config = json.loads((suite / "proofConfigDataInt.json").read_text())
    assert canonicalize_rdf(config).encode() == (suite / "proofCanonDataInt.txt").read_bytes()


def test_rdfc_activity_and_identical_blank_nodes():
    mention = {"type": "Mention", "href": "https://a.example/users/bob"}
    out = canonicalize_rdf(note(tag=[mention, dict(mention)]))
    assert out.endswith(" .\n")
    assert '<https://a.example/notes/1> <https://www.w3.org/ns/activitystreams#content> "watering" .\n' in out
    # Two indistinguishable tags still get two canonical blank nodes.
    assert "_:c14n0" in out and "_:c14n1" in out


@pytest.mark.parametrize(
    ("document", "match"),
    [
        (note(undefinedThing="x"), "property 'undefinedThing' is not defined"),
        (note(type=["Note", "Bogus"]), "type 'Bogus' is not defined"),
        (note(attributedTo="users/alice"), "not an absolute IRI"),
        (note(id="notes/1"), "not an absolute IRI"),
        (note(**{"@unknown": 1}), "is not defined by the @context"),
    ],
)
def test_rdfc_safe_mode_refuses_what_rdf_would_drop(document, match):
    with pytest.raises(BadInput, match=match):
        canonicalize_rdf(document)


def test_rdfc_unknown_context_is_never_fetched():
    with pytest.raises(UnknownContext, match="https://unpinned.example/ctx"):
        canonicalize_rdf({**note(), "@context": [AS, "https://unpinned.example/ctx"]})


def test_rdfc_custom_loader_is_used():
    calls = []

    def loader(url, options=None):
        calls.append(url)
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": {"@context": {"name": "https://schema.org/name"}},
        }

    out = canonicalize_rdf(
        {"@context": "https://ctx.example/one", "@id": "https://x.example/1", "name": "n"},
        document_loader=loader,
    )
    assert calls == ["https://ctx.example/one"]
    assert out == '<https://x.example/1> <https://schema.org/name> "n" .\n'


def test_rdfc_poison_graph_is_refused_quickly():
    # A clique of indistinguishable blank nodes makes URDNA2015 explore every
    # permutation (6 nodes: over a second unbounded, 8: minutes); the bound stops it.
    n = 8
    poison = {
        "@context": {"p": {"@id": "https://example.org/p", "@type": "@id"}},
        "@graph": [
            {"@id": f"_:b{i}", "p": [f"_:b{j}" for j in range(n) if j != i]} for i in range(n)
        ],
    }
    with pytest.raises(BadInput, match="poison graph"):
        canonicalize_rdf(poison)


# --- the fast path's edges ------------------------------------------------------------

from hypothesis import given, settings
from hypothesis import strategies as st

from fedcommons.ld.canonical import freeze_plain

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


def test_nesting_beyond_the_fast_encoders_limit_takes_the_reference_path():
    # orjson stops at 255 levels; the value is still plain JSON and must canonicalize.
    deep: list = []
    for _ in range(300):
        deep = [deep]
    assert canonicalize(deep) == b"[" * 301 + b"]" * 301
    assert canonicalize(deep, plain=True) == b"[" * 301 + b"]" * 301


def test_frozen_constant_is_still_encoded_exactly():
    constant = freeze_plain({"b": [1, "x"], "a": {"c": 0.5}})
    assert canonicalize({"z": constant, "y": 1}) == b'{"y":1,"z":{"a":{"c":0.5},"b":[1,"x"]}}'
    with pytest.raises(BadInput):
        freeze_plain({"a": 1.0})  # integral floats take the reference path; not a constant


# --- parse_plain: the parser vouches for the fast path --------------------------------

from fedcommons.ld.canonical import parse_plain


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        (b'{"a":[1,"x",true,null],"b":{"c":"d"}}', True),
        (b'{"a":1.5}', True),  # a float both Python and ECMAScript print the same way
        (b'{"a":1e20}', False),  # Python prints 1e+20, ECMAScript 100000000000000000000
        (b'{"a":2.0}', False),  # Python keeps the ".0"
        (b'{"a":1152921504606847000}', False),  # beyond 2**53 - 1 (a double JCS can print)
        ('{"\ue000":1}'.encode(), False),  # a key where UTF-16 and code-point order may differ
        (b'{"a":"\\u00e9"}', False),  # any escape is left to the careful path
    ],
)
def test_parse_plain_flags_what_needs_the_careful_path(text, plain):
    value, flagged = parse_plain(text)
    assert flagged is plain
    assert canonicalize(value, plain=flagged) == canonicalize(value)


@settings(max_examples=200, deadline=None)
@given(_json_values)
def test_parse_plain_never_changes_the_canonical_bytes(value):
    import json as _json

    text = _json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
    try:
        parsed, plain = parse_plain(text)
    except (UnicodeDecodeError, ValueError):
        assume(False)  # lone surrogates are not valid UTF-8 text
    try:
        expected = canonicalize(parsed)
    except BadInput:
        assume(False)
    assert canonicalize(parsed, plain=plain) == expected


def test_canonicalize_checked_reports_the_path_it_took():
    from fedcommons.ld.canonical import canonicalize_checked

    assert canonicalize_checked({"b": [1, "x"], "a": 0.5}) == (b'{"a":0.5,"b":[1,"x"]}', True)
    body, plain = canonicalize_checked({"a": 1e20})
    assert body == b'{"a":100000000000000000000}' and plain is False
