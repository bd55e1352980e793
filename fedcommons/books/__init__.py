"""Open books of a cooperative, as pure functions of the log.

A cooperative's income and expenses are ``fc:BookEntry`` objects (ValueFlows ``transfer``
events) it signs into the log; its distributions are the ``fc:Distribution`` documents
the payout code publishes. :mod:`.entries` builds and reads entries, :mod:`.ledger` folds
the log into movements and balances, :mod:`.statement` makes a period's statement and
:mod:`.exports` the bookkeeper's CSV and plain-text journal. Amounts are ``int`` minor
units of a :class:`~fedcommons.payout.money.Currency` throughout: nothing is rounded.
"""

from .entries import BOOK_ENTRY_TYPE, KINDS, entry_document, read_entry
from .ledger import Movement, balances, movements
from .periods import statement_period
from .statement import statement_document

__all__ = [
    "BOOK_ENTRY_TYPE", "KINDS", "Movement", "balances", "entry_document", "movements", "read_entry",
    "statement_document", "statement_period",
]
