"""Where in its interval Prometheus evaluates a rule group, so a backfill can record tiles at the very
moments a server's own rules record them.

Prometheus (and promtool's rule backfill, which shares the code) evaluates a group every
``interval`` at an offset of ``hash(labels{file=<path>, name=<group>}) % interval`` nanoseconds,
the hash being xxhash64 of the label set's bytes. Those bytes depend on how Prometheus was built:
``name \\xff value \\xff`` per label (Prometheus 2) or length-prefixed (the ``stringlabels`` build,
the default of Prometheus 3). A tile is the events between two evaluations: backfilled tiles in
another phase than the live ones would overlap them or leave a gap at the junction.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import count

import xxhash

Encoding = Callable[[tuple[tuple[str, str], ...]], bytes]
_SEPARATOR = b"\xff"
_NS = 1_000_000_000
_MS = 1_000_000
# A sample's millisecond is the offset rounded (promtool) or truncated (the server): stay clear of
# the rounding boundary so both readings name the same millisecond.
_SAFE_FRACTION = (50_000, 450_000)


def _slice_labels(pairs: tuple[tuple[str, str], ...]) -> bytes:
    return b"".join(name.encode() + _SEPARATOR + value.encode() + _SEPARATOR for name, value in pairs)


def uvarint(number: int) -> bytes:
    """Protobuf's unsigned varint (also what the remote-write test speaks)."""
    out = bytearray()
    while number >= 0x80:
        out.append(number & 0x7F | 0x80)
        number >>= 7
    out.append(number)
    return bytes(out)


def _string_labels(pairs: tuple[tuple[str, str], ...]) -> bytes:
    return b"".join(uvarint(len(text.encode())) + text.encode() for pair in pairs for text in pair)


ENCODINGS: dict[str, Encoding] = {"labels": _slice_labels, "stringlabels": _string_labels}


def group_offset_ns(file: str, group: str, interval: int, encoding: str) -> int:
    """Nanoseconds into each ``interval`` (seconds) at which the group evaluates."""
    pairs = (("file", file), ("name", group))  # sorted by label name, as labels.New sorts them
    return xxhash.xxh64_intdigest(ENCODINGS[encoding](pairs)) % (interval * _NS)


def group_phase_ms(file: str, group: str, interval: int, encoding: str) -> int | None:
    """The millisecond into each interval at which the group's samples land; None where rounding and
    truncation could disagree about it."""
    milliseconds, fraction = divmod(group_offset_ns(file, group, interval, encoding), _MS)
    low, high = _SAFE_FRACTION
    return milliseconds if low <= fraction < high else None


def group_name_at(file: str, prefix: str, interval: int, phase_ms: int, encoding: str) -> str:
    """A group name that, in ``file``, evaluates ``phase_ms`` into each interval (a few hundred
    thousand hashes: about half a second)."""
    for number in count():
        name = f"{prefix}-{number}"
        if group_phase_ms(file, name, interval, encoding) == phase_ms:
            return name
    raise AssertionError("unreachable")
