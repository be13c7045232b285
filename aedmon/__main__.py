"""`python -m aedmon` is the `aedmon` command."""

from aedmon.cli import main

main()
