"""How code names the KVM ioctls: the KVM selftests' library wraps each ioctl in a small
function (``vcpu_get_reg`` for KVM_GET_ONE_REG, ``vm_enable_cap`` for KVM_ENABLE_CAP,
``kvm_device_attr_set`` for KVM_SET_DEVICE_ATTR). A patch or a review that calls such a
function uses the ioctl without writing its name, so the wrappers are the ioctl's
``code_names`` in the catalogue: weak evidence for the learned linker, never a link of the
rules. Pure: file texts in, names out.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

SELFTESTS = "tools/testing/selftests/kvm/"
LIBRARY = re.compile(r"tools/testing/selftests/kvm/(?:include|lib)/(?:[a-z0-9_]+/)?[a-z0-9_]+\.[ch]")
"""The selftests' library: include/*.h, lib/*.c and their per-architecture folders."""
_DEFINITION = re.compile(
    r"^(?:static\s+)?(?:inline\s+)?[A-Za-z_][\w \t*]*?\b(?P<name>[A-Za-z_]\w*)\s*\((?P<params>[^;{}()]*(?:\([^;{}()]*\)[^;{}()]*)*)\)\s*\n\{\n",
    re.MULTILINE,
)
"""A function definition in kernel style: the signature at the start of a line, the
opening brace alone on the next one."""
_BODY_END = re.compile(r"^\}", re.MULTILINE)
_MACRO = re.compile(r"\bKVM_[A-Z0-9_]+\b")
_CALL = re.compile(r"\b(?P<name>[A-Za-z_]\w*)\s*\(")
MAX_BODY = 4_000
"""A function longer than this is no wrapper (and a missing closing brace reads no further)."""
MIN_NAME = 6


def function_bodies(text: str) -> dict[str, str]:
    """Function name -> body of every kernel-style definition in a C file."""
    bodies: dict[str, str] = {}
    for match in _DEFINITION.finditer(text):
        end = _BODY_END.search(text, match.end(), match.end() + MAX_BODY)
        if end is not None:
            bodies.setdefault(match["name"], text[match.end() : end.start()])
    return bodies


def ioctl_wrappers(files: Mapping[str, str], ioctls: Collection[str]) -> dict[str, str]:
    """Wrapper function name (leading underscores taken off) -> the one ioctl it issues.
    A function is a wrapper when its body names exactly one of ``ioctls`` or, failing
    that, calls exactly one wrapper and names no ioctl (``kvm_device_attr_set`` calls
    ``__kvm_device_attr_set``)."""
    known = set(ioctls)
    bodies: dict[str, str] = {}
    for path, text in sorted(files.items()):
        if LIBRARY.fullmatch(path):
            for name, body in function_bodies(text).items():
                bodies.setdefault(name, body)
    direct: dict[str, str] = {}
    for name, body in bodies.items():
        named = {m for m in _MACRO.findall(body) if m in known}
        if len(named) == 1:
            direct[name] = named.pop()
    wrappers = dict(direct)
    for name, body in bodies.items():
        if name in wrappers or any(m in known for m in _MACRO.findall(body)):
            continue
        called = {direct[c] for c in _CALL.findall(body) if c in direct and c != name}
        if len(called) == 1:
            wrappers[name] = called.pop()
    found: dict[str, str] = {}
    for name, ioctl in sorted(wrappers.items()):
        bare = name.lstrip("_")
        if len(bare) >= MIN_NAME and bare.upper() != ioctl and names_alike(bare, ioctl):
            found.setdefault(bare, ioctl)
    return found


_HANDLE_WORDS = frozenset({"kvm", "vm", "vcpu", "arm", "arch"})
"""Words of a name that say which handle or architecture, not what is done."""


def _words(name: str) -> set[str]:
    return {w.rstrip("s") for w in name.lower().split("_") if w} - _HANDLE_WORDS


def names_alike(function: str, ioctl: str) -> bool:
    """Whether a function is named after the ioctl it issues: at least half of the
    ioctl's words (``check``, ``extension`` of KVM_CHECK_EXTENSION) are in the function's
    name. ``vm_check_cap`` is; ``get_ucall``, which also runs the vCPU, is not."""
    wanted = _words(ioctl)
    return bool(wanted) and 2 * len(wanted & _words(function)) >= len(wanted)


__all__ = ["LIBRARY", "SELFTESTS", "function_bodies", "ioctl_wrappers", "names_alike"]
