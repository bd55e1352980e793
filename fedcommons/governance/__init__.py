"""Governing the commons: proposals, votes, liquid delegation and the tally, as pure
functions of log activities (see docs/methods.md, "Governance: the tally").

The modules are imported by name (``fedcommons.governance.tally``...): this package file
imports nothing, so the standing core can read governance settings without a cycle.
"""
