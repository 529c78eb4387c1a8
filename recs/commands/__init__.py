"""One module per `python -m recs` subcommand; each exposes `register(subparsers)`."""
