"""Governance: proposals, votes, delegations and their tallies (see fedcommons.governance)."""
