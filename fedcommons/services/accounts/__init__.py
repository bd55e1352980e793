"""Accounts: passwords, sign-in sessions for the pages, and the OAuth server and its
clients for the ActivityPub API."""
