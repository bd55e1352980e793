"""Actors: local people, pools and cooperatives, their keys and signatures, who follows
them, and acting as one of them on other servers."""
