"""Small file-system helpers: templates, TOML, ownership and access checks."""

from __future__ import annotations

import grp
import json
import os
import pwd
import re
import stat
from collections.abc import Mapping
from pathlib import Path

from devstack.errors import StackError

_PLACEHOLDER = re.compile(r"@([A-Z][A-Z0-9_]*)@")


def render_template(template: Path, values: Mapping[str, str]) -> str:
    """*template* with every ``@NAME@`` replaced; an unknown name is an error."""
    text = template.read_text(encoding="utf-8")

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise StackError(f"{template}: no value for placeholder @{name}@")
        return values[name]

    return _PLACEHOLDER.sub(replace, text)


def write_file(path: Path, text: str, mode: int = 0o644) -> None:
    """Write *text* to *path* with *mode*, creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)


def make_dir(
    path: Path, mode: int, user: str = "root", group: str | None = None
) -> None:
    """Create *path* (and parents) and give it *mode* and *user*:*group*."""
    path.mkdir(parents=True, exist_ok=True)
    chown(path, user, group)
    path.chmod(mode)


def chown(path: Path, user: str, group: str | None = None) -> None:
    """Change the owner of *path* to *user* and *group* (default: user's group)."""
    try:
        entry = pwd.getpwnam(user)
        gid = grp.getgrnam(group).gr_gid if group else entry.pw_gid
    except KeyError as exc:
        raise StackError(
            f"no such user or group {exc}: run scripts/install.sh first"
        ) from exc
    os.chown(path, entry.pw_uid, gid)


def user_ids(user: str) -> tuple[int, int]:
    """uid and primary gid of *user*."""
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise StackError(f"no such user {user!r}: run scripts/install.sh") from None
    return entry.pw_uid, entry.pw_gid


def group_id(group: str) -> int:
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise StackError(f"no such group {group!r}") from None


def accessible_by(user: str, path: Path, want: int) -> bool:
    """True if *user* can reach *path* and has *want* (``os.R_OK`` …) on it.

    Decided from the mode bits of *path* and of every folder above it, without
    switching users; ACLs are ignored (nothing here sets any).
    """
    entry = pwd.getpwnam(user)
    if entry.pw_uid == 0:
        return True
    groups = {entry.pw_gid} | {g.gr_gid for g in grp.getgrall() if user in g.gr_mem}

    def allowed(target: Path, bits: int) -> bool:
        info = target.stat()
        if info.st_uid == entry.pw_uid:
            shift = 6
        elif info.st_gid in groups:
            shift = 3
        else:
            shift = 0
        granted = (info.st_mode >> shift) & 0o7
        return granted & bits == bits

    resolved = path.resolve()
    if not all(allowed(parent, 0o1) for parent in reversed(resolved.parents)):
        return False
    bits = (4 if want & os.R_OK else 0) | (2 if want & os.W_OK else 0)
    if resolved.is_dir() or want & os.X_OK:
        bits |= 1
    return allowed(resolved, bits)


def readable_tree(user: str, folder: Path) -> bool:
    """True if *user* can list *folder* and read every regular file in it."""
    if not accessible_by(user, folder, os.R_OK):
        return False
    return all(
        accessible_by(user, child, os.R_OK)
        for child in folder.iterdir()
        if stat.S_ISREG(child.stat().st_mode)
    )


def render_toml(data: Mapping[str, object]) -> str:
    """A TOML document for nested mappings of strings, numbers, booleans, lists.

    Enough for mailwarden.toml; tables come out in the order given.
    """
    lines: list[str] = []
    _render_table(lines, (), data)
    return "\n".join(lines).lstrip("\n") + "\n"


def _render_table(
    lines: list[str], path: tuple[str, ...], table: Mapping[str, object]
) -> None:
    scalars = {k: v for k, v in table.items() if not isinstance(v, Mapping)}
    tables = {k: v for k, v in table.items() if isinstance(v, Mapping)}
    if path and (scalars or not tables):
        lines.append("")
        lines.append("[" + ".".join(_key(part) for part in path) + "]")
    for key, value in scalars.items():
        lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in tables.items():
        assert isinstance(value, Mapping)
        _render_table(lines, (*path, key), value)


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str | Path):
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, set | frozenset):
        value = sorted(value, key=str)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    raise StackError(f"cannot write {value!r} ({type(value).__name__}) as TOML")


def deep_merge(
    base: Mapping[str, object], overrides: Mapping[str, object]
) -> dict[str, object]:
    """*base* with *overrides* laid over it, merging nested tables key by key."""
    merged: dict[str, object] = dict(base)
    for key, value in overrides.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = value
    return merged
