"""SPIN call-quality metrics (DOMAIN §2).

The source's measures of call quality: "the ratio of P to S questions grows with experience; top
sellers ask ~10× more N questions than average ones"; and needs move from hidden (隐藏性需求) to
explicit (明确性需求). Services turn each logged call / visit into a ``CallFacts`` and call these
functions; nothing here touches the database or produces text (outcomes are codes).

Rules (chosen here):

* Every call counts for the questions asked and the needs surfaced (``calls``, ``p_to_s_ratio``,
  ``n_per_call``, ``explicit_needs_per_call``, ``hidden_to_explicit``), whether or not its outcome
  has been logged yet — the questions were asked either way.
* ``advance_rate`` is taken over calls WITH an outcome only (``logged_calls``): a call whose outcome
  is not logged yet is neither a success nor a failure. Success = ``"order"`` or ``"advance"``.
* Ratios are Decimals quantised to 0.0001 (ROUND_HALF_UP) and computed from exact totals, never from
  already-rounded figures. Any ratio whose denominator is 0 is ``None`` (not 0, not infinity):
  no S questions → ``p_to_s_ratio is None``; no calls → every per-call figure is ``None``; no
  logged call → ``advance_rate is None``; no explicit need → ``hidden_to_explicit is None``.
* ``n_vs_team_average`` = rep's N per call ÷ team's N per call, where the team figure includes the
  rep's own calls and all other calls of that team in the input. A rep's team is the ``team_id`` of
  the rep's latest call (by day; reps move). ``None`` when the rep has no team, when the team asked no
  N question, and outside ``by_rep`` (``call_quality`` and ``by_team`` have no team to compare with).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Final, TypeVar

from guanxi.sales.targets_math import periods_covering

OUTCOMES: Final = ("order", "advance", "continuation", "no_sale")
"""Call outcome codes (Rackham's four outcomes of a sales call). Labels belong to the UI layer."""

SUCCESS_OUTCOMES: Final = frozenset({"order", "advance"})

_RATIO = Decimal("0.0001")
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class CallFacts:
    """One call or visit: SPIN questions asked (S, P, I, N counts), outcome code, needs surfaced."""

    rep_id: int
    team_id: int | None
    day: date
    s: int
    p: int
    i: int
    n: int
    outcome: str | None
    explicit_needs: int
    hidden_needs: int

    def __post_init__(self) -> None:
        counts = (self.s, self.p, self.i, self.n, self.explicit_needs, self.hidden_needs)
        if any(count < 0 for count in counts):
            raise ValueError("Question and need counts must not be negative.")
        if self.outcome is not None and self.outcome not in OUTCOMES:
            raise ValueError(f"Unknown call outcome {self.outcome!r}; expected one of {OUTCOMES} or None.")


@dataclass(frozen=True, slots=True)
class CallQuality:
    """Call-quality figures for a set of calls (DOMAIN §2). Totals are exact; ratios may be None."""

    calls: int
    logged_calls: int
    s: int
    p: int
    i: int
    n: int
    explicit_needs: int
    hidden_needs: int
    p_to_s_ratio: Decimal | None
    n_per_call: Decimal | None
    n_vs_team_average: Decimal | None
    advance_rate: Decimal | None
    explicit_needs_per_call: Decimal | None
    hidden_to_explicit: Decimal | None


def ratio(numerator: int, denominator: int) -> Decimal | None:
    """``numerator / denominator`` quantised to 0.0001 ROUND_HALF_UP; ``None`` when the denominator is 0."""
    if denominator == 0:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(_RATIO, rounding=ROUND_HALF_UP)


def call_quality(calls: Iterable[CallFacts]) -> CallQuality:
    """Aggregate call-quality figures over ``calls`` (no team comparison: ``n_vs_team_average`` is None)."""
    facts = list(calls)
    count = len(facts)
    s, p, i, n = (sum(getattr(call, letter) for call in facts) for letter in "spin")
    explicit = sum(call.explicit_needs for call in facts)
    hidden = sum(call.hidden_needs for call in facts)
    logged = [call for call in facts if call.outcome is not None]
    succeeded = sum(1 for call in logged if call.outcome in SUCCESS_OUTCOMES)
    return CallQuality(
        calls=count,
        logged_calls=len(logged),
        s=s,
        p=p,
        i=i,
        n=n,
        explicit_needs=explicit,
        hidden_needs=hidden,
        p_to_s_ratio=ratio(p, s),
        n_per_call=ratio(n, count),
        n_vs_team_average=None,
        advance_rate=ratio(succeeded, len(logged)),
        explicit_needs_per_call=ratio(explicit, count),
        hidden_to_explicit=ratio(hidden, explicit),
    )


def _group(calls: Iterable[CallFacts], key: Callable[[CallFacts], K | None]) -> dict[K, list[CallFacts]]:
    groups: dict[K, list[CallFacts]] = defaultdict(list)
    for call in calls:
        value = key(call)
        if value is not None:
            groups[value].append(call)
    return dict(groups)


def n_vs_average(rep: CallQuality, team: CallQuality) -> Decimal | None:
    """(rep N / rep calls) ÷ (team N / team calls), from exact totals; None on any zero denominator."""
    if rep.calls == 0 or team.n == 0:
        return None
    return ratio(rep.n * team.calls, rep.calls * team.n)


def _current_team(calls: Sequence[CallFacts]) -> int | None:
    """The team on the rep's latest call (ties on the same day: the last one given)."""
    latest = max(range(len(calls)), key=lambda index: (calls[index].day, index))
    return calls[latest].team_id


def by_team(calls: Iterable[CallFacts]) -> dict[int, CallQuality]:
    """Call quality per team, keyed by team id. Calls without a team are left out."""
    return {team_id: call_quality(group) for team_id, group in _group(calls, lambda call: call.team_id).items()}


def by_rep(calls: Iterable[CallFacts]) -> dict[int, CallQuality]:
    """Call quality per rep, with ``n_vs_team_average`` against the rep's (latest) team in the input."""
    facts = list(calls)
    teams = by_team(facts)
    result: dict[int, CallQuality] = {}
    for rep_id, group in _group(facts, lambda call: call.rep_id).items():
        quality = call_quality(group)
        team_id = _current_team(group)
        team = teams.get(team_id) if team_id is not None else None
        result[rep_id] = replace(quality, n_vs_team_average=n_vs_average(quality, team) if team is not None else None)
    return result


EMPTY: Final = call_quality([])
"""The figures for zero calls (all ratios None); used for months without calls."""


def _month_quality(month_calls: list[CallFacts], rep_id: int | None, team_id: int | None) -> CallQuality:
    if team_id is not None:
        month_calls = [call for call in month_calls if call.team_id == team_id]
    if rep_id is not None:
        return by_rep(month_calls).get(rep_id, EMPTY)
    return call_quality(month_calls)


def monthly_trend(calls: Iterable[CallFacts], *, rep_id: int | None = None, team_id: int | None = None) -> list[tuple[date, CallQuality]]:
    """Call quality per calendar month (first day of month), oldest first (DOMAIN §2: P:S grows with experience).

    Filters: ``rep_id`` (one rep), ``team_id`` (one team), both, or neither (everyone). The range runs
    from the first to the last month in which the selection has a call; months in between without
    calls appear as zero-call entries (``EMPTY``). No calls → ``[]``. With ``rep_id`` the rep is also
    compared with their team in the same month (``n_vs_team_average``), so pass the whole team's calls.
    """
    facts = list(calls)
    selected = [call for call in facts if (rep_id is None or call.rep_id == rep_id) and (team_id is None or call.team_id == team_id)]
    if not selected:
        return []
    by_month = _group(facts, lambda call: call.day.replace(day=1))
    months = periods_covering(min(call.day for call in selected), max(call.day for call in selected), "month")
    return [(month, _month_quality(by_month.get(month, []), rep_id, team_id)) for month in months]
