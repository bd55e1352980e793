"""Sources of peer production, one module per source: read-only.

A source reads (a git repository, a MediaWiki dump or API, a CITATION.cff, Crossref
records) and yields :class:`~fedcommons.importers.items.Item`s, each with the cursor that
resumes after it. It decides nothing: identity, effort, kind, signing and appending belong
to the one pipeline in ``services/importing``.

Sources so far: ``cff.CffSource(path)`` (a CITATION.cff) and ``crossref.CrossrefSource(path)``
(Crossref work records); docs/citations.md says what they yield.
"""
