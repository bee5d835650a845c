"""Weekly timetables as 21-bit masks, their human syntax, and the France Services opening-hours parser.

Slot convention (docs/INTERFACES.md): a week has 21 slots, slot ``s = day * 3 + part`` with day 0 = Mon .. 6
= Sun and part 0 = AM (morning), 1 = PM (afternoon), 2 = EV (evening). A timetable is an ``int`` whose bit
``s`` is set when the place is open in slot ``s``.

Human syntax (:func:`parse_timetable`, :func:`format_timetable`)::

    Mon-Fri AM PM; Sat AM

- groups are separated by ``;``; a slot is open when any group opens it (groups may overlap);
- a group is one or more day items, then one or more parts (``AM``, ``PM``, ``EV``);
- day items are separated by spaces or commas: a day (``Mon`` .. ``Sun``) or a range ``Mon-Fri``;
  a range may wrap around the week end: ``Sat-Mon`` is Sat, Sun, Mon (the week is a cycle, so this is
  unambiguous); ``Mon-Mon`` is Mon alone;
- ``-`` or an empty text is a closed week; ``all`` (alone in a group) opens all 21 slots;
- everything is case-insensitive.

Any other text raises :class:`TimetableError` naming the offending token and what was expected.
:func:`format_timetable` writes the canonical form (days that share the same parts are grouped, runs of three
or more consecutive days written as a range), and ``parse_timetable(format_timetable(m)) == m`` for every
mask.

France Services hours (:func:`parse_fs_hours`), docs/ODD.md 6: one cell of the 2020 or 2024 list is one weekday as
the site wrote it, e.g. ``8:30 - 12:00 / 13:30 - 17:00``. Each interval [start, end) opens
AM when it starts before 13:00, PM when it overlaps [13:00, 18:00), EV when it ends after 18:00.
The reading rules, chosen from the 624 distinct texts of the national file, are in :func:`parse_fs_hours`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

import numpy as np

DAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PARTS: tuple[str, ...] = ("AM", "PM", "EV")
N_DAYS = 7
N_PARTS = 3
N_SLOTS = N_DAYS * N_PARTS
FULL_WEEK = (1 << N_SLOTS) - 1
FULL_DAY = (1 << N_PARTS) - 1
SLOT_LABELS: tuple[str, ...] = tuple(f"{d} {p}" for d in DAYS for p in PARTS)

_DAY_INDEX = {d.lower(): i for i, d in enumerate(DAYS)}
_PART_INDEX = {p.lower(): i for i, p in enumerate(PARTS)}


class TimetableError(ValueError):
    """A timetable text that does not follow the syntax; the message names the token and what was expected."""


# --------------------------------------------------------------------------------------------------
# Masks
# --------------------------------------------------------------------------------------------------
def slot(day: int, part: int) -> int:
    """Index of the slot of ``day`` (0 = Mon) and ``part`` (0 = AM, 1 = PM, 2 = EV)."""
    return day * N_PARTS + part


def check_mask(mask: int) -> int:
    """Return ``mask`` as an int after checking that it is a 21-bit timetable.

    Raises:
        ValueError: if it is not an integer in [0, 2**21).
    """
    if isinstance(mask, bool) or not isinstance(mask, int | np.integer) or not 0 <= int(mask) <= FULL_WEEK:
        raise ValueError(f"a timetable mask must be an integer from 0 to {FULL_WEEK}, got {mask!r}")
    return int(mask)


def day_mask(mask: int, day: int) -> int:
    """The 3-bit mask (bit 0 AM, 1 PM, 2 EV) of ``day`` in the week ``mask``."""
    return (check_mask(mask) >> (day * N_PARTS)) & FULL_DAY


def week_from_days(days: Sequence[int]) -> int:
    """Build a week mask from 3-bit day masks, Monday first (fewer than 7 days: the rest are closed)."""
    if len(days) > N_DAYS:
        raise ValueError(f"at most {N_DAYS} day masks, got {len(days)}")
    mask = 0
    for d, dm in enumerate(days):
        if not 0 <= int(dm) <= FULL_DAY:
            raise ValueError(f"a day mask must be an integer from 0 to {FULL_DAY}, got {dm!r}")
        mask |= int(dm) << (d * N_PARTS)
    return mask


def n_slots(mask: int) -> int:
    """Number of open slots of ``mask``."""
    return check_mask(mask).bit_count()


def is_subset(inner: int, outer: int) -> bool:
    """True when every slot of ``inner`` is also in ``outer``."""
    return inner & ~outer == 0


_BITS = np.int64(1) << np.arange(N_SLOTS, dtype=np.int64)


def mask_to_array(mask: int) -> np.ndarray:
    """The mask as a boolean array of the 21 slots (index = slot)."""
    return (np.int64(check_mask(mask)) & _BITS) != 0


def array_to_mask(arr: Iterable[bool] | np.ndarray) -> int:
    """Inverse of :func:`mask_to_array`: a length-21 boolean array (or 0/1 values) to a mask."""
    a = np.asarray(arr)
    if a.shape != (N_SLOTS,):
        raise ValueError(f"expected an array of {N_SLOTS} slots, got shape {a.shape}")
    return int(_BITS[a.astype(bool)].sum())


def masks_to_matrix(masks: Iterable[int] | np.ndarray) -> np.ndarray:
    """Many masks at once: a boolean matrix (n masks x 21 slots), vectorised (the model calls it per refresh).

    Raises:
        ValueError: if a mask is not an integer in [0, 2**21).
    """
    m = np.asarray(masks if isinstance(masks, np.ndarray) else list(masks))
    if m.size and (m.dtype.kind not in "iu" or m.min() < 0 or m.max() > FULL_WEEK):
        bad = m.ravel()[0] if m.dtype.kind not in "iu" else m[(m < 0) | (m > FULL_WEEK)][0]
        raise ValueError(f"a timetable mask must be an integer from 0 to {FULL_WEEK}, got {bad!r}")
    return (m.astype(np.int64).reshape(-1)[:, None] & _BITS[None, :]) != 0


# --------------------------------------------------------------------------------------------------
# Human syntax
# --------------------------------------------------------------------------------------------------
_CLOSED = {"", "-"}
_DAY_LIST = ", ".join(DAYS)
_PART_LIST = ", ".join(PARTS)


def _day_item(token: str, group: str, after_days: bool) -> list[int]:
    """Days of one day item: ``Mon`` or ``Mon-Fri`` (wrapping allowed)."""
    ends = token.split("-")
    if len(ends) > 2:
        raise TimetableError(
            f"in group '{group}': {token!r} has more than two ends; expected a range such as Mon-Fri"
        )
    bad = next((e for e in ends if e.lower() not in _DAY_INDEX), None)
    if bad is not None:
        what = f"a day ({_DAY_LIST}), a range such as Mon-Fri"
        what += f" or a part ({_PART_LIST})" if after_days and len(ends) == 1 else ""
        raise TimetableError(f"in group '{group}': unknown token {bad!r}; expected {what}")
    a = _DAY_INDEX[ends[0].lower()]
    b = _DAY_INDEX[ends[-1].lower()]
    return [(a + k) % N_DAYS for k in range((b - a) % N_DAYS + 1)]


def _parse_group(group: str) -> int:
    tokens = [t for t in re.split(r"[\s,]+", group.strip()) if t]
    if len(tokens) == 1 and tokens[0].lower() == "all":
        return FULL_WEEK
    days: list[int] = []
    parts: list[int] = []
    for tok in tokens:
        low = tok.lower()
        if low in _PART_INDEX:
            parts.append(_PART_INDEX[low])
        elif low == "all":
            raise TimetableError(f"in group '{group}': 'all' must stand alone (it opens all {N_SLOTS} slots)")
        elif parts:
            # A day after the parts is most often a forgotten ';' between two groups.
            raise TimetableError(
                f"in group '{group}': {tok!r} after the parts; expected a part ({_PART_LIST}), "
                f"or separate groups with ';' (e.g. 'Mon AM; Tue PM')"
            )
        else:
            days.extend(_day_item(tok, group, bool(days)))
    if not days:
        raise TimetableError(f"in group '{group}': expected at least one day ({_DAY_LIST}) before the parts")
    if not parts:
        raise TimetableError(f"in group '{group}': expected at least one part ({_PART_LIST}) after the days")
    mask = 0
    for d in days:
        for p in parts:
            mask |= 1 << slot(d, p)
    return mask


def parse_timetable(text: str) -> int:
    """Parse the human timetable syntax (see the module docstring) into a 21-bit mask.

    Args:
        text: e.g. ``"Mon-Fri AM PM; Sat AM"``, ``"-"``, ``"all"``.

    Returns:
        The mask.

    Raises:
        TimetableError: the message names the offending group and token and what was expected.
    """
    if not isinstance(text, str):
        raise TimetableError(f"expected a timetable text such as 'Mon-Fri AM PM; Sat AM', got {text!r}")
    stripped = text.strip()
    if stripped in _CLOSED:
        return 0
    mask = 0
    for group in stripped.split(";"):
        if not group.strip():
            raise TimetableError(
                f"empty group between ';' in {text!r}; expected days then parts, e.g. 'Mon-Fri AM'"
            )
        mask |= _parse_group(group)
    return mask


def _days_text(days: list[int]) -> str:
    """Canonical day list: runs of three or more consecutive days as a range, others listed."""
    items: list[str] = []
    i = 0
    while i < len(days):
        j = i
        while j + 1 < len(days) and days[j + 1] == days[j] + 1:
            j += 1
        if j - i >= 2:
            items.append(f"{DAYS[days[i]]}-{DAYS[days[j]]}")
        else:
            items.extend(DAYS[d] for d in days[i : j + 1])
        i = j + 1
    return ",".join(items)


def format_timetable(mask: int) -> str:
    """The canonical text of ``mask``: ``"-"`` when closed, else groups of days sharing the same parts.

    Groups are ordered by their first day; e.g. ``Mon-Fri AM PM; Sat AM``, ``Tue,Thu,Fri PM; Wed,Sat AM PM``.
    """
    mask = check_mask(mask)
    if mask == 0:
        return "-"
    by_parts: dict[int, list[int]] = {}
    for d in range(N_DAYS):
        dm = (mask >> (d * N_PARTS)) & FULL_DAY
        if dm:
            by_parts.setdefault(dm, []).append(d)
    groups = sorted(by_parts.items(), key=lambda kv: kv[1][0])
    out = []
    for dm, days in groups:
        parts = " ".join(PARTS[p] for p in range(N_PARTS) if dm >> p & 1)
        out.append(f"{_days_text(days)} {parts}")
    return "; ".join(out)


# --------------------------------------------------------------------------------------------------
# France Services opening hours (2020 ANCT file)
# --------------------------------------------------------------------------------------------------
AM_BEFORE = 13 * 60  # a half-day starting before 13:00 counts as a morning (docs/ODD.md 6)
EV_AFTER = 18 * 60  # a half-day running after 18:00 counts as an evening (docs/ODD.md 6)

# A time, tried in this order (the texts are typed by hand; these are the forms found in the 2020 file):
#   H:MM / HhMM      '8:30', '14h30'                    exact
#   H :MM / H : MM   '17 :00', '13 : 00'                exact (space before the colon)
#   H: MM            '12: 45' - unless MM is itself followed by ':' ('9: 12:30' is '9:' then '12:30')
#   Hh               '9h'                               exact, H:00
#   H:               '17:' (minutes lost in the export) a range H:00..H:59, used only when it cannot matter
#   H                '09-12:30'                         exact, H:00
_TIME = re.compile(
    r"(?<!\d)(?P<h>\d{1,2})(?:"
    r"[:h](?P<m1>\d{2})(?!\d)"
    r"|\s+:\s*(?P<m2>\d{2})(?!\d)"
    r"|:\s+(?P<m3>\d{2})(?![\d:h])"
    r"|(?P<hh>h)"
    r"|(?P<trunc>:)"
    r"|(?!\d))"
)
# What may stand between two times: spaces, '-', '/', ':' (as in '8:30 : 12:00'), ',', ';', 'et', 'à'.
_GAP = re.compile(r"^(?:[\s\-/:,;]|\bet\b|\bà\b|\ba\b)*$")
_CLOSED_FS = {"-", "fermé", "ferme", "closed", "espace fermé ce jour"}


def _norm_fs(text: str) -> str:
    t = text.replace("\xa0", " ").replace("\u202f", " ")
    t = re.sub(r"[\u2010-\u2015\u2212]", "-", t)  # en/em dashes typed instead of '-'
    return re.sub(r"\s+", " ", t).strip().lower()


def _fs_parts(lo_start: int, hi_start: int, lo_end: int, hi_end: int) -> tuple[int, bool]:
    """Day bits of an interval whose ends are known within [lo, hi]: the sure bits and whether certain."""

    def bits(s: int, e: int) -> int:
        b = 0
        if s < AM_BEFORE:
            b |= 1
        if s < EV_AFTER and e > AM_BEFORE:
            b |= 2
        if e > EV_AFTER:
            b |= 4
        return b

    # The shortest interval the text allows gives the bits that are sure; the longest, the bits that might be.
    sure = bits(hi_start, lo_end)
    maybe = bits(lo_start, hi_end)
    return sure, sure == maybe


def parse_fs_hours(text: str | None) -> tuple[int, bool]:
    """Read one weekday cell of the France Services 2020 or 2024 list.

    Rules (docs/ODD.md 6 and the texts of the national file):

    - ``-``, ``fermé``, ``Espace fermé ce jour``: closed, readable: ``(0, True)``;
    - an empty cell (or NaN) says nothing: ``(0, False)`` (unknown is not closed);
    - otherwise the cell must be a list of intervals ``start - end`` (times as ``8:30``, ``08:30``, ``9h``,
      ``9h30``, ``17 :00``; separators ``-``, ``/``, ``:`` or a space between the two ends; ``/``, ``-``,
      ``et`` or a space between intervals). Each interval opens AM if it starts before 13:00, PM if it
      overlaps [13:00, 18:00), EV if it ends after 18:00;
    - ``00:00 - 00:00`` is an empty interval (the 2024 list writes it for a half-day without opening): it
      opens nothing and the rest of the cell is read (``00:00 - 00:00 / 09:00 - 12:00`` is a morning;
      ``00:00 - 00:00`` alone is closed, readable);
    - a time whose minutes were lost (``17:``) is read as 17:00-17:59; when that uncertainty could change a
      half-day (``14:00 - 18:``: EV or not), only the sure half-days are kept and the cell is not readable;
    - free text (``Sur RDV``, ``Semaines paires``, ``Après-midi sur RDV``, a wrong number such as ``113:30``),
      an interval that ends before it starts or a time that is not a time of day stops the reading: the
      intervals written before it are kept, the cell is not readable. Qualified hours (by appointment, some
      weeks) are not counted as open, since they are not regular opening.

    Args:
        text: the cell as written.

    Returns:
        ``(day_mask, readable)``: bit 0 AM, bit 1 PM, bit 2 EV; ``readable`` is True only when the whole text
        was understood without guessing.
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return 0, False
    t = _norm_fs(str(text))
    if not t:
        return 0, False
    if t in _CLOSED_FS:
        return 0, True
    times: list[tuple[int, int]] = []  # (earliest, latest) minute of each time read
    pos = 0
    readable = True
    for m in _TIME.finditer(t):
        if not _GAP.match(t[pos : m.start()]):
            readable = False  # free text: stop here, keep what came before
            break
        h = int(m["h"])
        minutes = m["m1"] or m["m2"] or m["m3"]
        if minutes is not None:
            lo = hi = h * 60 + int(minutes)
            ok = h <= 24 and int(minutes) < 60
        elif m["trunc"]:
            lo, hi = h * 60, h * 60 + 59
            ok = h <= 23
        else:
            lo = hi = h * 60
            ok = h <= 24
        if not ok:
            readable = False
            break
        times.append((lo, hi))
        pos = m.end()
    else:
        if not _GAP.match(t[pos:]):
            readable = False  # trailing free text
    if len(times) % 2:
        times.pop()  # a start without an end
        readable = False
    if not times:
        return 0, False
    day = 0
    for (s_lo, s_hi), (e_lo, e_hi) in zip(times[0::2], times[1::2], strict=True):
        if s_hi == 0 and e_hi == 0:
            continue  # '00:00 - 00:00': the empty interval of the 2024 list's form (no opening), readable
        if e_hi <= s_lo:
            return day, False  # ends before it starts: stop reading here
        bits, certain = _fs_parts(s_lo, s_hi, e_lo, e_hi)
        day |= bits
        readable &= certain
    return day, readable
