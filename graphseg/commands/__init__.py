"""One module per ``graphseg`` verb: ``add_parser(subparsers, name)`` and ``run(args) -> int``."""
