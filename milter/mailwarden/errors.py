"""The exception tree of mailwarden.

::

    MailwardenError
    ├── ConfigError          a configuration file is missing, unreadable or invalid
    ├── RulesError           the YARA rule set does not compile
    ├── ScannerError         a scanner could not give an answer
    │   ├── ScannerUnavailable   the scanner cannot be reached
    │   └── ScannerTimeout       the scanner did not answer in time
    ├── InspectionTimeout    one message took longer than milter.inspect_timeout
    └── QuarantineError      the quarantine store cannot be written

Errors of the libraries underneath (pyclamd, yara-python, OSError) are translated into
these at the boundary where they occur, with the original chained as ``__cause__``.
"""


class MailwardenError(Exception):
    """Root of every error mailwarden raises on purpose."""


class ConfigError(MailwardenError):
    """The configuration is invalid; the message names the key and the reason."""


class RulesError(MailwardenError):
    """A YARA rule set failed to compile."""


class ScannerError(MailwardenError):
    """A scanner could not scan a part."""


class ScannerUnavailable(ScannerError):
    """The scanner could not be reached (connection refused, reset, garbage answer)."""


class ScannerTimeout(ScannerError):
    """The scanner did not answer within its timeout."""


class InspectionTimeout(MailwardenError):
    """Inspecting one message took longer than its budget."""


class QuarantineError(MailwardenError):
    """The quarantine store could not be written."""
