"""The ``mailwarden`` command line: one module per command group."""
