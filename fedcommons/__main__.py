"""`python -m fedcommons` runs the command line."""

from .cli import main

main()
