"""Fixtures for tests that drive the real daemons: clamd, the milter, Postfix, Sendmail.

The stack starts once per test session (about 1-2 s) in its own state directory,
``/tmp/mailwarden-stack-pytest``, and is stopped at the end.  Every test in this
folder is marked ``daemons``.  A daemon that does not start makes the tests
*error* with its log tail; nothing here ever skips.

On a machine shared with another running stack, set MAILWARDEN_DEVSTACK_PORTS to
an offset (e.g. 100): every port moves by it and the state directory gets it
as a suffix.  CI leaves it unset: 10025, 10026, 13310.

Fixtures:

``stack``
    the running :class:`devstack.Stack`, checked healthy before each test.
``mta``
    parametrised over ``stack.postfix`` (127.0.0.1:10025) and ``stack.sendmail``
    (127.0.0.1:10026): a test using it runs once per MTA.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack import Postfix, Sendmail, Stack, StackConfig

HERE = Path(__file__).parent
STATEDIR = Path("/tmp/mailwarden-stack-pytest")
PORT_OFFSET = int(os.environ.get("MAILWARDEN_DEVSTACK_PORTS", "0"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/integration with ``daemons``."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.daemons)


@pytest.fixture(scope="session")
def _running_stack() -> Iterator[Stack]:
    config = StackConfig(statedir=STATEDIR)
    if PORT_OFFSET:
        statedir = STATEDIR.with_name(f"{STATEDIR.name}-{PORT_OFFSET}")
        config = StackConfig(statedir=statedir).shifted(PORT_OFFSET)
    stack = Stack(config)
    stack.up()
    try:
        yield stack
    finally:
        stack.down()


@pytest.fixture
def stack(_running_stack: Stack) -> Stack:
    """The session's stack, after checking that every daemon still runs."""
    _running_stack.check()
    return _running_stack


@pytest.fixture(params=["postfix", "sendmail"])
def mta(stack: Stack, request: pytest.FixtureRequest) -> Postfix | Sendmail:
    """Each MTA of the stack in turn."""
    name: str = request.param
    return stack.mta(name)
