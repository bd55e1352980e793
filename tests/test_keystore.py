"""Actors' keys: fresh ones in production, the fixed test keys (support_keys) in tests."""

from fedcommons.home import init_node
from fedcommons.node import NODE_NAME
from fedcommons.services.actors.actors import create_actor
from fedcommons.sig.keys import public_pem
from support_keys import FIXED_KEYS

URL = "http://127.0.0.1:8080"


def actor_keys(tmp_path, *names):
    """The public RSA and Ed25519 keys of the node actor and of people `names` on a new node."""
    node = init_node(tmp_path / "home", URL)
    try:
        for name in names:
            create_actor(node, "person", name)
        return [(public_pem(node.keys.rsa(kind, name)), public_pem(node.keys.ed25519(kind, name)))
                for kind, name in (("node", NODE_NAME), *(("person", name) for name in names))]
    finally:
        node.close()


def fixed_public_keys() -> set[str]:
    return {public_pem(key) for pair in FIXED_KEYS.pairs for key in pair}


def test_production_generates_fresh_keys_for_every_actor(tmp_path, production_keys):
    made = actor_keys(tmp_path, "alice", "bob")
    assert len({rsa for rsa, _ in made}) == len({ed for _, ed in made}) == len(made) == 3
    assert not fixed_public_keys() & {key for pair in made for key in pair}


def test_tests_hand_out_fixed_keys_in_turn(tmp_path):
    made = actor_keys(tmp_path, "alice", "bob")
    assert len({rsa for rsa, _ in made}) == len({ed for _, ed in made}) == len(made) == 3
    assert {key for pair in made for key in pair} <= fixed_public_keys()
