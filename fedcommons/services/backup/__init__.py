"""Backing a node up into one file, restoring it, and catching a restored log up with its peers."""
