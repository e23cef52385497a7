"""mailwarden: a mail content-inspection milter.

The public entry points are :func:`mailwarden.pipeline.Pipeline.inspect` (the one
inspection path, shared by the milter and ``mailwarden scan``) and the ``mailwarden``
command line.
"""

__version__ = "0.1.0"
