"""Exports of what a node holds, for analysis elsewhere."""
