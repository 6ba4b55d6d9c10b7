"""Every `pledge` subcommand, as Sloth keeps its commands in cmd/: the only package that uses click.

`pledge.commands.main` is the group and the light commands; heavy ones (the operator, the API, the
forecaster, the importers) are modules of their own, loaded only when they run."""
