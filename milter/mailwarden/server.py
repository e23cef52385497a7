"""Running the milter as a service: socket, privileges, and libmilter's main loop.

Started as root, the daemon prepares what needs root (the socket's directory, the
quarantine), opens the socket, hands it to the service user with the configured mode,
and then drops to that user before it accepts a single connection.
"""

from __future__ import annotations

import faulthandler
import grp
import logging
import os
import pwd
import socket
from dataclasses import dataclass
from pathlib import Path

import Milter

from mailwarden import __version__
from mailwarden.config import Config
from mailwarden.errors import ConfigError
from mailwarden.milter import MailwardenMilter, Service
from mailwarden.pipeline import Pipeline
from mailwarden.quarantine import QuarantineStore

logger = logging.getLogger("mailwarden.server")
#: pymilter's C extension, reached through Milter: a top-level ``import milter``
#: is ambiguous next to this project's ``milter/`` source root for type checkers.
libmilter = Milter.milter


@dataclass(frozen=True)
class ServiceUser:
    name: str
    uid: int
    gid: int


def serve(config: Config) -> None:
    """Load everything, open the socket, drop privileges and serve until stopped."""
    faulthandler.enable()  # a crash in a C extension still leaves a traceback
    pipeline = Pipeline.from_config(config)
    loaded = pipeline.describe()
    logger.info(
        "mailwarden %s: %d YARA rules, clamd %s",
        __version__,
        loaded.yara_rules,
        ", ".join(loaded.clamd_servers) or "off",
    )
    store = QuarantineStore(config.quarantine.directory)
    user = service_user(config.milter.user) if os.geteuid() == 0 else None

    store.ensure()
    socket_path = _unix_path(config.milter.socket)
    if user is not None:
        _give(config.quarantine.directory, user)
        if config.milter.spool_dir is not None:
            config.milter.spool_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            _give(config.milter.spool_dir, user)
    if socket_path is not None:
        socket_path.parent.mkdir(mode=0o750, parents=True, exist_ok=True)
        if user is not None:
            _give(socket_path.parent, user)

    MailwardenMilter.service = Service.start(config, pipeline, store)
    _register(config)
    old_umask = os.umask(0o777 ^ int(config.milter.socket_mode, 8))
    libmilter.opensocket(True)
    os.umask(old_umask)
    if socket_path is not None:
        os.chmod(socket_path, int(config.milter.socket_mode, 8))
        if user is not None:
            os.chown(socket_path, user.uid, user.gid)
    else:
        _set_nodelay(config.milter.socket)
    if user is not None:
        _drop_privileges(user)

    logger.info("listening on %s", config.milter.socket)
    libmilter.main()
    logger.info("stopped")


def _register(config: Config) -> None:
    Milter.factory = MailwardenMilter
    libmilter.set_flags(libmilter.ADDHDRS | libmilter.CHGHDRS | libmilter.QUARANTINE)
    libmilter.set_connect_callback(Milter.connect_callback)
    libmilter.set_helo_callback(lambda ctx, host: ctx.getpriv().hello(host))
    libmilter.set_envfrom_callback(lambda ctx, *b: ctx.getpriv().envfrom_bytes(*b))
    libmilter.set_envrcpt_callback(lambda ctx, *b: ctx.getpriv().envrcpt_bytes(*b))
    libmilter.set_header_callback(lambda ctx, f, v: ctx.getpriv().header_bytes(f, v))
    libmilter.set_eoh_callback(lambda ctx: ctx.getpriv().eoh())
    libmilter.set_body_callback(lambda ctx, chunk: ctx.getpriv().body(chunk))
    libmilter.set_eom_callback(lambda ctx: ctx.getpriv().eom())
    libmilter.set_abort_callback(lambda ctx: ctx.getpriv().abort())
    libmilter.set_close_callback(Milter.close_callback)
    libmilter.setconn(config.milter.socket)
    libmilter.settimeout(config.milter.timeout)
    libmilter.register(
        config.milter.name,
        data=lambda ctx: ctx.getpriv().data(),
        unknown=lambda ctx, cmd: ctx.getpriv().unknown(cmd),
        negotiate=Milter.negotiate_callback,
    )


def _unix_path(spec: str) -> Path | None:
    for prefix in ("unix:", "local:"):
        if spec.startswith(prefix):
            return Path(spec.removeprefix(prefix))
    return None


def service_user(name: str) -> ServiceUser:
    """The account the daemon runs as when started as root (``milter.user``)."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise ConfigError(
            f"milter.user: no such user {name!r} (create it, e.g. "
            f"'useradd --system {name}')"
        ) from None
    if entry.pw_uid == 0:
        raise ConfigError("milter.user: refusing to run as root")
    return ServiceUser(name, entry.pw_uid, entry.pw_gid)


def _give(path: Path, user: ServiceUser) -> None:
    os.chown(path, user.uid, user.gid)


def _drop_privileges(user: ServiceUser) -> None:
    groups = [g.gr_gid for g in grp.getgrall() if user.name in g.gr_mem]
    os.setgroups(sorted({user.gid, *groups}))
    os.setgid(user.gid)
    os.setuid(user.uid)
    logger.info("running as %s (uid %d)", user.name, user.uid)


def _set_nodelay(spec: str) -> None:
    """TCP_NODELAY on libmilter's listening socket (accepted sockets inherit it).

    Without it, replies written in two pieces wait for a delayed ACK: 40 ms a
    message on an inet socket.
    """
    port = int(spec.split(":", 1)[1].split("@", 1)[0])
    for name in os.listdir("/proc/self/fd"):
        try:
            sock = socket.socket(fileno=int(name))
        except OSError:
            continue
        try:
            if (
                sock.type == socket.SOCK_STREAM
                and sock.family in (socket.AF_INET, socket.AF_INET6)
                and sock.getsockname()[1] == port
            ):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        finally:
            sock.detach()
