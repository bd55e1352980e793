"""A pool's standing as a signed document, computed from a log with the pure core in
`fedcommons.standing`."""
