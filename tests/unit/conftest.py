"""Shared helpers for unit tests: a configuration without network scanners."""

from __future__ import annotations

import pytest

from mailwarden.config import ClamavConfig, Config


@pytest.fixture
def offline_config() -> Config:
    """The default configuration with clamd switched off (unit tests run no daemon)."""
    return Config(clamav=ClamavConfig(enabled=False))
