"""Importing: bringing contributions recorded elsewhere into the log in bulk, each row
checked as a contribution made here would be."""
