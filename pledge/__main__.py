"""`python -m pledge` runs the `pledge` command."""

from pledge.cli import main

main()
