"""Keeping a long-running node's working tables small."""
