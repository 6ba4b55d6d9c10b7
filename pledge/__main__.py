"""`python -m pledge` runs the `pledge` command."""

from pledge.commands.main import main

main()
