"""Realistic demo and benchmark data for service (DOMAIN §4), generated fast for existing accounts.

For the accounts of the archive (``customers.demo_data``) it writes complaints through the whole
handling procedure (with SLA deadlines in business hours on the working calendar), their history,
follow-up visits, two satisfaction surveys with invitations, responses and answers; then rebuilds
the rollups the dashboard reads. What the data says is described in ``demo_rows``.

Rows are written directly, not through services (no audit entry per row): COPY on PostgreSQL,
executemany on SQLite. Large PostgreSQL loads drop the secondary indexes and foreign keys of the
tables they fill, generate in several processes (each its own id ranges and transaction) and
rebuild indexes once at the end. Deterministic for a given seed, ``now``, data and worker count.
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from guanxi.dataio.bulk import restore_indexes, suspend_indexes
from guanxi.service import rollup_rebuild
from guanxi.service.demo_rows import AFTER_COMPLAINT, QUARTERLY, AccountInfo, Reference, Rows, load_days

BULK_THRESHOLD = 200_000  # complaints + responses from which PostgreSQL loads drop indexes and run in parallel
TABLES = ("service_complaint", "service_complaintevent", "service_followupvisit", "service_surveyinvitation",
          "service_surveyresponse", "service_surveyanswer")
AFTER_COMPLAINT_RATE = 0.35  # closed complaints whose survey gets answered
UNANSWERED_RATE = 0.5  # unanswered invitations per response (a response rate of two in three)
STAFF = (("li.qiang", "李强 Li Qiang", "production"), ("zhao.min", "赵敏 Zhao Min", "logistics"))


def _next_id(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')  # noqa: S608 - constant table names
        return int(cursor.fetchone()[0]) + 1


def _fix_sequences() -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT COALESCE(MAX(id), 1) FROM \"{table}\"))")  # noqa: S608


# --- reference data (idempotent) -------------------------------------------------------------------

def _surveys(designer: Any) -> dict[str, tuple[int, list[tuple[int, str, tuple[float, float, float]]]]]:
    from guanxi.service.models import Survey, SurveyItem

    found = {}
    for key, (name, intro, items), triggers in (("quarterly", QUARTERLY, []), ("after_complaint", AFTER_COMPLAINT, ["complaint_closed"])):
        survey = Survey.objects.filter(name=name).first() or Survey.objects.create(
            name=name, intro=intro, scale_max=7, trigger_events=triggers, created_by=designer)
        ids = {}
        for position, (code, text, dimension, element, _means) in enumerate(items):
            item, _ = SurveyItem.objects.get_or_create(survey=survey, code=code, defaults={
                "text": text, "dimension": dimension, "service_element": element, "position": position})
            ids[code] = item.pk
        found[key] = (survey.pk, [(ids[code], code, means) for code, _t, _d, _e, means in items])
    return found


def _rules() -> dict[str, int]:
    """A visit a week after a complaint closes and a week after a key-account event, unless the
    administrators already keep rules. No rule after deliveries: the scheduler would then schedule
    a visit for every demo order at once."""
    from guanxi.service.models import FollowUpRule

    if not FollowUpRule.objects.exists():
        FollowUpRule.objects.bulk_create([FollowUpRule(trigger="complaint_closed", days_after=7),
                                          FollowUpRule(trigger="key_account_event", days_after=7)])
    return {r.trigger: r.pk for r in FollowUpRule.objects.filter(active=True, value_tier="").order_by("-pk")}


def _staff(org: Any) -> tuple[dict[str, int], dict[str, list[int]], list[tuple[int, int | None, int | None]]]:
    """Departments that answer for complaints (production and logistics join HQ, sales and service)
    with one responsible person each; the service agents who own the complaints."""
    from guanxi.users.models import Department, RoleCode, User

    departments = {"hq": org.hq.pk, "sales": org.sales.pk, "service": org.service.pk}
    people: dict[str, list[int]] = {"hq": [org.users["alice"].pk], "service": [org.users["erin"].pk],
                                    "sales": [org.users[u].pk for u in ("bob", "carol", "dave")]}
    for key, name in (("production", "生产部 Production"), ("logistics", "物流部 Logistics")):
        departments[key] = Department.objects.get_or_create(name=name, parent=org.hq)[0].pk
    for username, display, key in STAFF:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, display_name=display, department_id=departments[key], email=f"{username}@example.com")
            user.set_unusable_password()  # named as responsible; does not sign in
            user.save()
        people[key] = [user.pk]
    agents = [(u.pk, u.teams.order_by("pk").values_list("pk", flat=True).first(), u.department_id)
              for u in User.objects.filter(role__code=RoleCode.SERVICE_AGENT, is_active=True).order_by("pk")]
    return departments, people, agents or [(org.users["alice"].pk, None, org.hq.pk)]


def _accounts(accounts: QuerySet[Any] | None, rng: random.Random) -> tuple[list[AccountInfo], list[float]]:
    """Accounts with their contacts and value tier; weights: a few complain (and answer) far more
    than most (Pareto), and one in a hundred is "troubled"."""
    from guanxi.customers.models import Account, AccountClassification, ContactAccount

    qs = accounts if accounts is not None else Account.objects.all()
    ids: Any = qs.values("pk")
    tiers = dict(AccountClassification.objects.filter(account_id__in=ids).values_list("account_id", "value_tier"))
    contacts: dict[int, list[int]] = {}
    for account_id, contact_id in (ContactAccount.objects.filter(account_id__in=ids, contact__deleted_at=None)
                                   .order_by("account_id", "-is_primary", "contact_id").values_list("account_id", "contact_id")
                                   .iterator(chunk_size=50_000)):
        contacts.setdefault(account_id, []).append(contact_id)
    rows = list(qs.order_by("pk").values_list("pk", "owner_id", "team_id", "department_id").iterator(chunk_size=50_000))
    troubled = set(rng.sample(range(len(rows)), max(1, len(rows) // 100))) if rows else set()
    found, weights = [], []
    for index, (pk, owner, team, department) in enumerate(rows):
        found.append(AccountInfo(pk, owner, team, department, tiers.get(pk) or "", tuple(contacts.get(pk, ())), index in troubled))
        weights.append(min(60.0, rng.paretovariate(1.16)) * (6 if index in troubled else 1))
    return found, list(accumulate(weights))


def _reference(org: Any, accounts: QuerySet[Any] | None, now: datetime, seed: int) -> Reference:
    from guanxi.service.calendars import CalendarCache
    from guanxi.service.models import ComplaintType, SlaPolicy

    rng = random.Random(seed)
    found, cum = _accounts(accounts, rng)
    if not found:
        raise ValueError("No accounts to file complaints for: seed the archive first.")
    departments, people, agents = _staff(org)
    policies: dict[tuple[str, str], tuple[int, int, int] | None] = {
        (p.severity, p.value_tier): (p.pk, p.response_minutes, p.resolution_minutes) for p in SlaPolicy.objects.all()}
    ref = Reference(now=now, zone=ZoneInfo(settings.TIME_ZONE), accounts=found, account_cum=cum,
                    types=dict(ComplaintType.objects.values_list("code", "pk")), policies=policies,
                    calendar=CalendarCache().get(None), agents=agents, departments=departments, people=people)
    ref.surveys = _surveys(org.users["alice"])
    ref.rules = _rules()
    load_days(ref)
    return ref


# --- one share of the rows -------------------------------------------------------------------------

def _share(ref: Reference, *, seed: int, complaints: range, responses: range, invitations: range, key_visits: int,
           events: bool, invite: bool, follow_up_share: float, progress: Callable[[int, int], None] | None) -> dict[str, int]:
    rows = Rows(ref, seed=seed, events=events, invitations=invite, follow_up_share=follow_up_share)
    rng = rows.rng
    for index, pk in enumerate(complaints):
        rows.complaint(pk)
        if progress and index % 100_000 == 0:
            progress(index, len(complaints))
    next_invitation = invitations.start
    after = [c for c in rows.closed if rng.random() < AFTER_COMPLAINT_RATE][: len(responses)]
    for k, pk in enumerate(responses):
        invitation = None
        if invite:
            invitation, next_invitation = next_invitation, next_invitation + 1
        rows.response(pk, invitation, after=after[k] if k < len(after) else None)
    if invite:
        for _ in range(int(len(responses) * UNANSWERED_RATE)):
            if next_invitation >= invitations.stop:
                break
            rows.unanswered(next_invitation)
            next_invitation += 1
    rule = ref.rules.get("key_account_event")
    key_accounts = [a for a in ref.accounts if a.tier == "key"]
    for _ in range(key_visits if key_accounts else 0):
        acc = rng.choice(key_accounts)
        rows.follow_up(acc, acc.contacts[0] if acc.contacts else None, "key_account_event", None, rule,
                       rows.moment(business=True) + timedelta(days=rng.choice((7, 7, 10, 14))), unhappy=False)
    rows.flush()
    names = {"c": "complaints", "e": "events", "f": "follow_ups", "i": "invitations", "r": "responses", "a": "answers"}
    return {names[key]: writer.count for key, writer in rows.w.items()}


def _run_share(queue: Any, ref: Reference, kwargs: dict[str, Any]) -> None:
    from django.db import connections

    try:
        with transaction.atomic():
            queue.put(_share(ref, **kwargs))
    except BaseException as exc:  # reported to the parent, which fails the load
        queue.put({"error": f"{type(exc).__name__}: {exc}"})
        raise
    finally:
        connections.close_all()


def _split(start: int, total: int, parts: int) -> list[range]:
    size = -(-total // parts) if total else 0
    return [range(start + k * size, start + min(total, (k + 1) * size)) for k in range(parts)]


def generate(
    *, org: Any, complaints: int, responses: int, accounts: QuerySet[Any] | None = None, seed: int = 2026,
    now: datetime | None = None, events: bool = True, invitations: bool = True, follow_up_share: float = 1.0,
    workers: int | None = None, progress: Callable[[int, int], None] | None = None, rebuild: bool = True,
) -> dict[str, int]:
    """Write about ``complaints`` complaints and ``responses`` survey responses for ``accounts``
    (default: all), the demo ``org``'s service agents owning the complaints; then rebuild the
    rollups. ``events`` writes each complaint's history, ``invitations`` the survey links (answered
    and not), ``follow_up_share`` the share of closed complaints followed by a visit; without
    ``rebuild`` the caller rebuilds the rollups (``rollup_rebuild.rebuild``) itself. Returns the number of
    rows written per table."""
    now = (now or timezone.now()).astimezone(UTC).replace(microsecond=0)
    ref = _reference(org, accounts, now, seed)
    big = connection.vendor == "postgresql" and complaints + responses >= BULK_THRESHOLD
    parts = (workers or max(1, min(4, os.cpu_count() or 1))) if big else 1
    spans = {"complaints": _split(_next_id("service_complaint"), complaints, parts),
             "responses": _split(_next_id("service_surveyresponse"), responses, parts),
             "invitations": _split(_next_id("service_surveyinvitation"), math.ceil(responses * (1 + UNANSWERED_RATE)) + parts, parts)}
    key_visits = max(1, complaints // 40)
    shares: list[dict[str, Any]] = [{"seed": seed * 1000 + k, "complaints": spans["complaints"][k], "responses": spans["responses"][k],
               "invitations": spans["invitations"][k], "key_visits": key_visits // parts, "events": events, "invite": invitations,
               "follow_up_share": follow_up_share, "progress": progress if k == 0 else None} for k in range(parts)]
    counts: dict[str, int] = {}
    if not big:
        with transaction.atomic():
            counts = _share(ref, **shares[0])
            _fix_sequences()
    else:
        counts = _parallel(ref, shares)
    if rebuild:
        rollup_rebuild.rebuild()
    return counts


def _parallel(ref: Reference, shares: Sequence[dict[str, Any]]) -> dict[str, int]:
    import multiprocessing

    from django.db import connections

    with transaction.atomic():
        restore = suspend_indexes(TABLES)
    connections.close_all()  # each child opens its own connection; never share the parent's socket
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    processes = [context.Process(target=_run_share, args=(queue, ref, kwargs)) for kwargs in shares]
    for process in processes:
        process.start()
    results = [queue.get() for _ in processes]
    for process in processes:
        process.join()
    _fix_sequences()
    restore_indexes(restore, TABLES)
    errors = [r["error"] for r in results if "error" in r]
    if errors:
        raise RuntimeError(f"{len(errors)} generator processes failed: {errors}")
    counts: dict[str, int] = {}
    for result in results:
        for name, value in result.items():
            counts[name] = counts.get(name, 0) + value
    return counts
