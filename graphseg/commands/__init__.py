"""The ``graphseg`` verbs, one module each: ``add_parser(subparsers, name)`` and
``run(args) -> int``. They parse arguments, call the library (engine, experiments, viz) and print;
what they share is in :mod:`graphseg.commands._common`. Heavy imports stay inside ``run`` so that
``graphseg --help`` is fast."""
