"""Satisfaction (满意度) calculations of DOMAIN §4 "Satisfaction", as pure functions over plain data.

No database here: services read survey answers, turn each one into a :class:`Rating` and call these
functions; whatever they return is plain data to store or show.

Rules from DOMAIN §4:

- satisfaction = experience − expectation (满意度 = 体验 − 期望), per dimension (:func:`gap`,
  :func:`aggregate_gaps`, :func:`monthly_trend`);
- key experience (关键体验) = importance × how badly the item is experienced; the largest product is
  the one to fix first (:func:`key_experience`);
- zone of tolerance: adequate service (必要的服务) below, desired service (渴望的服务) above; perceived
  service below the zone dissatisfies (:func:`tolerance_zone`).

Choices the source leaves open, decided here:

- **One scale per survey.** All items of one survey share one scale (e.g. 1–7 or 1–10). The functions do
  not rescale: never mix answers from surveys with different scales in one call.
- **Missing numbers.** An answer missing one of the numbers a calculation needs is left out of that
  calculation (and counted in ``skipped`` where a summary reports it); it is never read as 0.
- **"How badly it is experienced"** is the shortfall ``max(0, expectation − experience)`` of each
  answer, averaged per item: exceeding expectations on one answer does not cancel a shortfall on another.
- **Rounding.** Means, gaps and scores are returned rounded half-up to 4 decimal places; percentages
  (CSAT, NPS) to 2. Sums are taken exactly first, so rounding happens once, at the end.
- **Dimensions.** :data:`DIMENSIONS` are the six experience dimensions of the source; ``Rating.dimension``
  is a free code so that surveys can also rate the satisfaction layers of DOMAIN §4 as dimensions.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

# 产品 / 服务 / 关系 / 便利性 / 品牌形象 / 价格 (DOMAIN §4 客户体验的内容). Codes only: labels belong to models/UI.
DIMENSIONS: tuple[str, ...] = ("product", "service", "relationship", "convenience", "brand", "price")

GROUPINGS: tuple[str, ...] = ("item", "dimension", "account", "segment", "month")
Grouping = Literal["item", "dimension", "account", "segment", "month"]
GroupKey = str | int | date | None

Position = Literal["below", "within", "above"]

ZERO = Decimal(0)
HUNDRED = Decimal(100)
PLACES = Decimal("0.0001")
PERCENT_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Rating:
    """One answer to one survey item, on the survey's scale (see "One scale per survey" above).

    ``expectation``/``experience`` feed the gap; ``adequate``/``desired`` the zone of tolerance
    (``experience`` is the perceived service); ``importance`` the key experience. Any may be missing.
    """

    item: str
    dimension: str
    expectation: Decimal | None
    desired: Decimal | None
    adequate: Decimal | None
    experience: Decimal | None
    importance: Decimal | None
    account_id: int | None
    contact_id: int | None
    segment: str | None
    day: date


@dataclass(frozen=True)
class GapSummary:
    """Mean experience, expectation and gap of the ``n`` answers of one group that had both numbers.

    ``skipped`` counts the group's answers missing either number; the means are ``None`` when ``n`` is 0.
    """

    n: int
    skipped: int
    mean_experience: Decimal | None
    mean_expectation: Decimal | None
    mean_gap: Decimal | None


@dataclass(frozen=True)
class KeyExperience:
    """One item's key-experience score: ``importance × shortfall`` (DOMAIN §4 关键体验)."""

    item: str
    dimension: str
    importance: Decimal | None  # mean importance; None when no answer rated it (then score is 0)
    shortfall: Decimal  # mean of max(0, expectation − experience)
    score: Decimal


@dataclass(frozen=True)
class ZoneItem:
    """One item's mean adequate, desired and perceived service and where perceived falls (DOMAIN §4)."""

    item: str
    adequate: Decimal
    desired: Decimal
    perceived: Decimal
    position: Position

    @property
    def flagged(self) -> bool:
        """Perceived service below the adequate level dissatisfies: the item needs attention."""
        return self.position == "below"


@dataclass(frozen=True)
class TrendPoint:
    """Mean gap of one calendar month (``month`` is its first day); ``None`` for a month without answers."""

    month: date
    n: int
    mean_gap: Decimal | None


# ---------------------------------------------------------------- helpers


def _round(value: Decimal, places: Decimal = PLACES) -> Decimal:
    return value.quantize(places, rounding=ROUND_HALF_UP)


def _mean(values: Sequence[Decimal]) -> Decimal | None:
    """Exact-as-possible mean (not rounded), ``None`` for no values."""
    if not values:
        return None
    return sum(values, ZERO) / Decimal(len(values))


def _rounded(value: Decimal | None) -> Decimal | None:
    return None if value is None else _round(value)


def month_of(day: date) -> date:
    """The first day of ``day``'s month: the key of a monthly group."""
    return day.replace(day=1)


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


# ---------------------------------------------------------------- gap: satisfaction = experience − expectation


def gap(experience: Decimal | None, expectation: Decimal | None) -> Decimal | None:
    """Satisfaction of one answer, ``experience − expectation`` (DOMAIN §4); ``None`` if either is missing.

    Positive: better than expected; negative: worse. Not rounded (the inputs are scale points).
    """
    if experience is None or expectation is None:
        return None
    return Decimal(experience) - Decimal(expectation)


_KEYS: dict[str, Callable[[Rating], GroupKey]] = {
    "item": lambda r: r.item,
    "dimension": lambda r: r.dimension,
    "account": lambda r: r.account_id,
    "segment": lambda r: r.segment,
    "month": lambda r: month_of(r.day),
}


def _sort_key(key: GroupKey) -> tuple[int, str, GroupKey]:
    # None (no account / no segment) last; the rest in their natural order (all keys of one grouping share a type).
    return (1, "", None) if key is None else (0, type(key).__name__, key)


def _summary(ratings: Sequence[Rating]) -> GapSummary:
    pairs = [(r.experience, r.expectation) for r in ratings if r.experience is not None and r.expectation is not None]
    experiences = [Decimal(e) for e, _ in pairs]
    expectations = [Decimal(x) for _, x in pairs]
    mean_exp, mean_expect = _mean(experiences), _mean(expectations)
    mean_gap = None if mean_exp is None or mean_expect is None else mean_exp - mean_expect
    return GapSummary(
        n=len(pairs),
        skipped=len(ratings) - len(pairs),
        mean_experience=_rounded(mean_exp),
        mean_expectation=_rounded(mean_expect),
        mean_gap=_rounded(mean_gap),
    )


def aggregate_gaps(ratings: Iterable[Rating], by: Grouping) -> dict[GroupKey, GapSummary]:
    """Mean experience, expectation and gap per group (DOMAIN §4: satisfaction per dimension, and more).

    ``by`` is one of :data:`GROUPINGS`: ``"item"``, ``"dimension"``, ``"account"`` (key ``account_id``),
    ``"segment"`` or ``"month"`` (key: first day of the month). Answers without an account or segment
    form the group ``None``. Groups come sorted by key, ``None`` last. The mean gap equals the mean of the
    per-answer gaps because both means are taken over the same answers.
    """
    if by not in _KEYS:
        raise ValueError(f"Unknown grouping {by!r}; expected one of {GROUPINGS}.")
    key_of = _KEYS[by]
    groups: dict[GroupKey, list[Rating]] = defaultdict(list)
    for rating in ratings:
        groups[key_of(rating)].append(rating)
    return {key: _summary(groups[key]) for key in sorted(groups, key=_sort_key)}


def monthly_trend(ratings: Iterable[Rating], *, dimension: str | None = None, item: str | None = None) -> list[TrendPoint]:
    """Mean gap per calendar month, oldest first, optionally for one dimension and/or item (DOMAIN §4).

    Months between the first and the last answered month appear with ``n=0`` and ``mean_gap=None`` so a
    chart shows the hole instead of joining across it. Answers missing either number are left out.
    """
    chosen = [
        r
        for r in ratings
        if (dimension is None or r.dimension == dimension)
        and (item is None or r.item == item)
        and r.experience is not None
        and r.expectation is not None
    ]
    if not chosen:
        return []
    summaries = aggregate_gaps(chosen, "month")
    months = [k for k in summaries if isinstance(k, date)]
    points: list[TrendPoint] = []
    month, last = months[0], months[-1]
    while month <= last:
        summary = summaries.get(month)
        points.append(TrendPoint(month, summary.n, summary.mean_gap) if summary else TrendPoint(month, 0, None))
        month = _next_month(month)
    return points


# ---------------------------------------------------------------- key experience (关键体验)


def _main_dimension(ratings: Sequence[Rating]) -> str:
    """The item's dimension; should answers disagree, the most frequent one (then the smallest code)."""
    counts = Counter(r.dimension for r in ratings)
    return min(counts, key=lambda d: (-counts[d], d))


def _key_experience_of(item: str, ratings: Sequence[Rating]) -> KeyExperience | None:
    shortfalls = [
        max(ZERO, Decimal(r.expectation) - Decimal(r.experience)) for r in ratings if r.expectation is not None and r.experience is not None
    ]
    shortfall = _mean(shortfalls)
    if shortfall is None:
        return None
    importance = _mean([Decimal(r.importance) for r in ratings if r.importance is not None])
    score = ZERO if importance is None else importance * shortfall
    return KeyExperience(item, _main_dimension(ratings), _rounded(importance), _round(shortfall), _round(score))


def _ranking(k: KeyExperience) -> tuple[Decimal, Decimal, Decimal, str]:
    importance = k.importance if k.importance is not None else Decimal(-1)
    return (-k.score, -k.shortfall, -importance, k.item)


def key_experience(ratings: Iterable[Rating]) -> list[KeyExperience]:
    """Items ranked by ``importance × shortfall``, the key experience to fix first at the top (DOMAIN §4).

    Per item: ``shortfall`` is the mean of ``max(0, expectation − experience)`` over the answers with both
    numbers, ``importance`` the mean of the answers that rated it. Items without any answer having both
    numbers are left out. Ties are broken by larger shortfall, then larger importance, then item code, so
    the order never depends on input order. Items with no shortfall score 0 and come last.
    """
    by_item: dict[str, list[Rating]] = defaultdict(list)
    for rating in ratings:
        by_item[rating.item].append(rating)
    found = (_key_experience_of(item, rs) for item, rs in by_item.items())
    return sorted((k for k in found if k is not None), key=_ranking)


# ---------------------------------------------------------------- zone of tolerance


def position_in_zone(perceived: Decimal, adequate: Decimal, desired: Decimal) -> Position:
    """``"below"`` when perceived < adequate (dissatisfies), ``"above"`` when perceived > desired
    (delighted), else ``"within"`` (tolerated; both bounds belong to the zone). DOMAIN §4."""
    if perceived < adequate:
        return "below"
    if perceived > desired:
        return "above"
    return "within"


_POSITION_ORDER: dict[str, int] = {"below": 0, "within": 1, "above": 2}


def _zone_item(item: str, ratings: Sequence[Rating]) -> ZoneItem | None:
    adequate = _mean([Decimal(r.adequate) for r in ratings if r.adequate is not None])
    desired = _mean([Decimal(r.desired) for r in ratings if r.desired is not None])
    perceived = _mean([Decimal(r.experience) for r in ratings if r.experience is not None])
    if adequate is None or desired is None or perceived is None:
        return None
    adequate, desired, perceived = _round(adequate), _round(desired), _round(perceived)
    return ZoneItem(item, adequate, desired, perceived, position_in_zone(perceived, adequate, desired))


def tolerance_zone(ratings: Iterable[Rating]) -> list[ZoneItem]:
    """Per item, mean adequate, desired and perceived (= experience) service and the position (DOMAIN §4).

    Each mean is taken over the item's answers that have that number; an item lacking any of the three
    is left out. The position is decided on the rounded means shown to the user, so what is displayed
    and what is flagged agree. Order: flagged ("below") items first, the furthest below adequate first,
    then "within", then "above"; ties by item code.
    """
    by_item: dict[str, list[Rating]] = defaultdict(list)
    for rating in ratings:
        by_item[rating.item].append(rating)
    found = (_zone_item(item, rs) for item, rs in by_item.items())
    zone = [z for z in found if z is not None]
    return sorted(zone, key=lambda z: (_POSITION_ORDER[z.position], z.perceived - z.adequate, z.item))


# ---------------------------------------------------------------- CSAT and NPS


def _percent(part: int, whole: int) -> Decimal:
    return Decimal(part) * HUNDRED / Decimal(whole)


def csat(scores: Iterable[Decimal | int], *, scale_max: int = 5, satisfied_from: int = 4) -> Decimal | None:
    """Customer satisfaction score: % of answers at or above ``satisfied_from`` (default: 4–5 on 1–5).

    ``None`` for no answers. Raises ``ValueError`` for a score outside ``0..scale_max`` or a threshold
    outside ``1..scale_max``.
    """
    if not 1 <= satisfied_from <= scale_max:
        raise ValueError(f"satisfied_from must be within 1..{scale_max}.")
    values = [Decimal(s) for s in scores]
    if any(not ZERO <= v <= scale_max for v in values):
        raise ValueError(f"CSAT scores must be within 0..{scale_max}.")
    if not values:
        return None
    return _round(_percent(sum(1 for v in values if v >= satisfied_from), len(values)), PERCENT_PLACES)


def nps(scores_0_to_10: Iterable[int]) -> Decimal | None:
    """Net promoter score: % promoters (9–10) − % detractors (0–6), from −100 to 100; ``None`` if empty.

    Raises ``ValueError`` for an answer that is not a whole number 0–10.
    """
    values = list(scores_0_to_10)
    if any(isinstance(v, bool) or Decimal(v) != int(v) or not 0 <= v <= 10 for v in values):
        raise ValueError("NPS answers must be whole numbers 0..10.")
    if not values:
        return None
    promoters = sum(1 for v in values if v >= 9)
    detractors = sum(1 for v in values if v <= 6)
    return _round(_percent(promoters - detractors, len(values)), PERCENT_PLACES)
