"""Open books: a cooperative's income, expenses and balance from the log, statements, the bookkeeper's exports and the private payee table. The arithmetic is in `fedcommons.books`."""
