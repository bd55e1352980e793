"""Contributions: claiming, validating and endorsing work, whatever door a claim comes in
by (commands and forms, bulk import, a fediverse Note, the ActivityPub API), and the
inbox and outbox a person reads through that API."""
