"""The pymilter adapter: gathers the envelope and the spooled message, calls the
pipeline, and turns the Decision into milter replies, headers and holds.

Every callback goes through one guard (:func:`_guarded`): an unexpected exception is
logged with its traceback and the message gets ``policy.on_error`` at end of message,
never a silent accept.
"""

from __future__ import annotations

import functools
import itertools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, replace
from typing import Any, ClassVar, TypeVar

import Milter

from mailwarden.config import Config
from mailwarden.errors import InspectionTimeout, QuarantineError
from mailwarden.message import Buffer
from mailwarden.model import (
    Action,
    ActionKind,
    Decision,
    Envelope,
    Inspection,
    Verdict,
)
from mailwarden.pipeline import Pipeline
from mailwarden.policy import failure_decision
from mailwarden.quarantine import QuarantineStore
from mailwarden.report import inspection_dict, summary_line
from mailwarden.spool import Spool
from mailwarden.tagging import OUR_HEADERS, VERDICT_HEADER, header_changes, sanitise

logger = logging.getLogger("mailwarden.milter")
_connection_ids = itertools.count(1)
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Service:
    """What every connection shares: built once at start.

    Inspections run on ``workers``, threads that Python created, not on libmilter's
    connection threads: yara-python re-enters Python from its scan callbacks through
    ``PyGILState_Ensure``, which is not safe on a thread whose Python state pymilter
    created by hand, and the process crashed after a few YARA matches.
    """

    config: Config
    pipeline: Pipeline
    store: QuarantineStore
    workers: ThreadPoolExecutor

    @classmethod
    def start(
        cls, config: Config, pipeline: Pipeline, store: QuarantineStore
    ) -> Service:
        workers = ThreadPoolExecutor(config.milter.workers, "inspect")
        return cls(config, pipeline, store, workers)

    def inspect(
        self,
        raw: Buffer,
        envelope: Envelope,
        log: logging.LoggerAdapter[logging.Logger],
    ) -> Inspection:
        # TODO(#2): this hand-off costs about 0.3 ms of a 1 KB message's 1.2 ms of
        # milter CPU (bench/README.md); inspecting on the connection thread is
        # only safe once YARA matches no longer re-enter Python there.
        future = self.workers.submit(self.pipeline.inspect, raw, envelope, log)
        try:
            return future.result(timeout=self.config.milter.inspect_timeout)
        except FutureTimeout:
            raise InspectionTimeout(
                f"inspection took longer than {self.config.milter.inspect_timeout} s"
            ) from None


def _guarded(callback: F) -> F:
    """The one boundary where unexpected exceptions are caught.

    Before end of message the failure is remembered and CONTINUE returned (several
    callbacks are no-reply); ``eom`` then applies the failure decision.
    """

    @functools.wraps(callback)
    def guard(self: MailwardenMilter, *args: Any) -> Any:
        try:
            return callback(self, *args)
        except Exception:
            self.log.exception("unexpected error in %s", callback.__name__)
            self.failure = f"internal error in {callback.__name__}"
            if callback.__name__ == "eom":
                return self.fail()
            return Milter.CONTINUE

    return guard  # type: ignore[return-value]


class MailwardenMilter(Milter.Base):  # type: ignore[misc]
    service: ClassVar[Service]

    def __init__(self) -> None:
        self.connection_id = f"C{next(_connection_ids)}"
        self.log = logging.LoggerAdapter(logger, {"id": self.connection_id})
        self.client_address = self.client_name = self.helo_name = ""
        self.failure = ""
        self._spool: Spool | None = None
        self._reset()

    def _reset(self) -> None:
        """Forget the current message; the connection's facts stay."""
        if self._spool is not None:
            self._spool.close()
        self._spool = None
        self.mail_from = self.auth_user = ""
        self.rcpt_tos: list[str] = []
        self.header_counts: dict[str, int] = {}
        self.failure = ""

    @Milter.noreply
    @_guarded
    def connect(self, hostname: str, family: int, hostaddr: Any) -> int:
        self.client_name = hostname
        self.client_address = (
            str(hostaddr[0]) if isinstance(hostaddr, tuple) else str(hostaddr or "")
        )
        self.log.debug("connect from %s [%s]", hostname, self.client_address)
        return Milter.CONTINUE

    @Milter.noreply
    @_guarded
    def hello(self, hostname: str) -> int:
        self.helo_name = hostname
        return Milter.CONTINUE

    @Milter.noreply
    @_guarded
    def envfrom(self, mail_from: str, *params: str) -> int:
        self._reset()
        self.log = logging.LoggerAdapter(logger, {"id": self.connection_id})
        config = self.service.config.milter
        self._spool = Spool(config.spool_threshold, config.spool_dir)
        self.mail_from = mail_from.strip().removeprefix("<").removesuffix(">")
        self.auth_user = self.getsymval("{auth_authen}") or ""
        return Milter.CONTINUE

    @Milter.noreply
    @_guarded
    def envrcpt(self, recipient: str, *params: str) -> int:
        self.rcpt_tos.append(recipient.strip().removeprefix("<").removesuffix(">"))
        return Milter.CONTINUE

    @_guarded
    def data(self) -> int:
        # Answering DATA avoids a delayed-ACK stall on inet sockets.
        return Milter.CONTINUE

    @Milter.decode("bytes")
    @Milter.noreply
    @_guarded
    def header(self, name: str, value: bytes) -> int:
        if name.lower() in _OUR_HEADERS_LOWER:
            self.header_counts[name.lower()] = (
                self.header_counts.get(name.lower(), 0) + 1
            )
        value = value.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        self._write(name.encode("ascii", "surrogateescape") + b": " + value + b"\r\n")
        return Milter.CONTINUE

    @Milter.noreply
    @_guarded
    def eoh(self) -> int:
        self._write(b"\r\n")
        return Milter.CONTINUE

    @Milter.noreply
    @_guarded
    def body(self, chunk: bytes) -> int:
        self._write(chunk)
        return Milter.CONTINUE

    @_guarded
    def eom(self) -> int:
        queue_id = self.getsymval("i") or ""
        self.log = logging.LoggerAdapter(logger, {"id": queue_id or self.connection_id})
        if self.failure or self._spool is None:
            return self.fail()
        envelope = Envelope(
            client_address=self.client_address,
            client_name=self.client_name,
            helo=self.helo_name,
            mail_from=self.mail_from,
            rcpt_tos=tuple(self.rcpt_tos),
            queue_id=queue_id,
            auth_user=self.auth_user,
        )
        try:
            raw = self._spool.buffer()
            inspection = self.service.inspect(raw, envelope, self.log)
            return self._apply(inspection, raw)
        except InspectionTimeout as exc:
            self.failure = str(exc)
            return self.fail()
        finally:
            self._reset()

    @_guarded
    def abort(self) -> int:
        self.log.debug("aborted by the MTA")
        self._reset()
        return Milter.CONTINUE

    @_guarded
    def close(self) -> int:
        self._reset()
        return Milter.CONTINUE

    def _write(self, data: bytes) -> None:
        if self._spool is None:  # a header before MAIL FROM: start a spool anyway
            config = self.service.config.milter
            self._spool = Spool(config.spool_threshold, config.spool_dir)
        self._spool.write(data)

    def _apply(self, inspection: Inspection, raw: Any) -> int:
        decision = inspection.decision
        stored = ""
        if decision.action.kind == ActionKind.QUARANTINE:
            try:
                stored = self.service.store.put(raw, inspection_dict(inspection))
            except QuarantineError as exc:
                self.log.error("quarantine store failed, tempfailing: %s", exc)
                decision = self._retry(decision, "quarantine store failed")
        self.log.info("%s", summary_line(inspection, decision, stored))

        kind = decision.action.kind
        if kind not in (ActionKind.ACCEPT, ActionKind.TAG, ActionKind.QUARANTINE):
            return self._reply(decision)
        if kind == ActionKind.QUARANTINE and not self.service.config.milter.hold:
            # Stored in our quarantine and nowhere else: nothing is delivered
            # until a reviewer releases it.
            return Milter.DISCARD
        if kind == ActionKind.QUARANTINE:
            self.quarantine(sanitise(decision.reason, 200) or "mailwarden")
        self._strip_forged_headers()
        for change in header_changes(inspection, self.service.config.tag):
            if change.replace:
                self.chgheader(change.name, 1, change.value)
            else:
                self.addheader(change.name, change.value)
        return Milter.ACCEPT

    def _retry(self, decision: Decision, why: str) -> Decision:
        """*decision* turned into a tempfail: a message that should be quarantined
        but cannot be is retried by the sender, never delivered."""
        reply = self.service.config.policy.reply_for(None, ActionKind.TEMPFAIL)
        return replace(
            decision,
            action=Action(ActionKind.TEMPFAIL, reply),
            reason=f"{decision.reason}; {why}",
        )

    def _reply(self, decision: Decision) -> int:
        action = decision.action
        if action.kind == ActionKind.DISCARD:
            return Milter.DISCARD
        if action.kind in (ActionKind.ACCEPT, ActionKind.TAG):
            # Only reached for messages that could not be inspected (on_error =
            # accept or tag): they carry the verdict, never a silent accept.
            self.log.error(
                "accepting a message that was not scanned: %s", decision.reason
            )
            self.addheader(VERDICT_HEADER, str(Verdict.UNSCANNED))
            return Milter.ACCEPT
        reply = action.reply or self.service.config.policy.reply_for(None, action.kind)
        assert reply is not None
        self.setreply(
            str(reply.code), reply.xcode, sanitise(reply.text, 200).replace("%", "%%")
        )
        return Milter.REJECT if action.kind == ActionKind.REJECT else Milter.TEMPFAIL

    def fail(self) -> int:
        """Apply ``policy.on_error`` to the current message after an internal error."""
        decision = failure_decision(self.service.config.policy, self.failure)
        if decision.action.kind == ActionKind.QUARANTINE:
            # There is no inspection to store with it; the sender retries instead.
            decision = self._retry(decision, "nothing to quarantine")
        self.log.error(
            "message not scanned (%s): %s", decision.action.kind, self.failure
        )
        return self._reply(decision)

    def _strip_forged_headers(self) -> None:
        """Delete verdict headers that arrived with the message: only we set them."""
        if not self.service.config.milter.strip_verdict_headers:
            return
        for name, count in self.header_counts.items():
            for index in range(count, 0, -1):
                self.chgheader(name, index, "")


_OUR_HEADERS_LOWER = frozenset(name.lower() for name in OUR_HEADERS)
