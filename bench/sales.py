"""Sales benchmark (issue 5 item 12), PostgreSQL, driving the running server over HTTP.

    python bench/sales.py --db guanxi_bench_sales                 # seeds 1M accounts, then sales, then measures
    python bench/sales.py --db guanxi_bench1m --reuse             # on an archive already seeded (bench/archive.py)

Seeds (if missing) a sales force of 20 teams, each a manager and 10 reps (200 reps), and about
1M opportunities and 5M activities with their SPIN call plans on top of the archive (each rep
then holds about 5,000 deals, 2,000 of them open), builds the call-quality rollup as the nightly
job does, then measures at concurrency 8: the board's first load for a rep, the forecast for a
team, and the sales dashboard of that team's manager (a year of the team's call quality). Each is
reported with p50/p95 and the ratio of its p95 to the bare Django view of the archive benchmark
(bench/urls.py: 50 of the archive rep carol's accounts from one SQL statement as a plain table),
measured in the same run, the pages interleaved in rounds; the load average is printed before and
after (the machine is shared). Target: p95 ≤ 200 ms each.

    python bench/sales.py --db salesbench --seed-only --orders-per-account 2   # only create and seed
    python bench/sales.py --db salesbench --reuse                               # measure
"""

from __future__ import annotations

import argparse
import os

from archive import SEED as ARCHIVE_SEED
from common import django_run, ensure_database, load, login, psql, report, server

DEMO_PASSWORD = "guanxi-demo-2026"

SEED_SALES = """
import random, time
from guanxi.customers.models import Account
from guanxi.sales import demo_data
from guanxi.users.models import Department, Role, RoleCode, Team, User
from guanxi.users.personas import DEMO_PASSWORD, create_demo_org
create_demo_org()
sales = Department.objects.get(name__icontains='销售') if Department.objects.filter(name__icontains='销售').exists() else None
manager_role, rep_role = Role.objects.get(code=RoleCode.SALES_MANAGER), Role.objects.get(code=RoleCode.SALES_REP)
reps = []
for t_no in range(1, 21):
    manager, _ = User.objects.get_or_create(username=f'mgr{{t_no:02d}}', defaults={{'display_name': f'经理 {{t_no:02d}}', 'role': manager_role, 'department': sales}})
    manager.set_password(DEMO_PASSWORD); manager.save()
    team, _ = Team.objects.get_or_create(name=f'Bench team {{t_no:02d}}', defaults={{'manager': manager, 'department': sales}})
    manager.teams.add(team)
    for r_no in range(1, 11):
        rep, _ = User.objects.get_or_create(username=f'rep{{t_no:02d}}{{r_no:02d}}', defaults={{
            'display_name': f'销售 {{t_no:02d}}-{{r_no:02d}}', 'role': rep_role, 'department': sales, 'manager': manager}})
        rep.set_password(DEMO_PASSWORD); rep.save()
        rep.teams.add(team)
        reps.append(rep)
rng = random.Random(7)
t = time.time()
counts = demo_data.generate(users=reps, accounts=Account.objects.all(), opportunities_per_account={opa},
                            activities_per_opportunity={apa}, skills={{r.pk: rng.random() for r in reps}},
                            progress=lambda i, n: print(f'  {{i:,}} / {{n:,}} accounts', flush=True) if i % 200000 == 0 else None)
from guanxi.sales.rollups import rebuild
rebuild()  # the generator writes rows directly; the call-quality rollup is built as the nightly job would
print(f"SEEDED {{counts['opportunity']:,}} opportunities, {{counts['activity']:,}} activities, {{counts['callplan']:,}} call plans "
      f"in {{time.time() - t:.0f}} s", flush=True)
"""

REBUILD = """
from guanxi.sales.rollups import rebuild
print("call-quality rollup built:", rebuild())
"""

TEAM = """
from guanxi.users.models import Team
print(Team.objects.get(name='Bench team 01').pk)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--opportunities", type=int, default=1_000_000)
    parser.add_argument("--activities-per-opportunity", type=float, default=5.0)
    parser.add_argument("--orders-per-account", type=float, default=10.0,
                        help="archive orders per account when the accounts are seeded here (no measured page reads orders)")
    parser.add_argument("--seed-only", action="store_true", help="create and seed the database, then stop")
    parser.add_argument("--db", default="guanxi_bench_sales")
    parser.add_argument("--reuse", action="store_true", help="keep the existing benchmark database")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds the requests of each page are split into")
    args = parser.parse_args()

    ensure_database(args.db, fresh=not args.reuse)
    have = int(psql("SELECT count(*) FROM customers_account", args.db) or 0)
    if have < args.accounts:
        print(f"seeding {args.accounts - have:,} accounts into {args.db} …", flush=True)
        print(django_run(args.db, ARCHIVE_SEED.format(n=args.accounts - have, opa=args.orders_per_account)).strip().splitlines()[-1])
        have = args.accounts
    opportunities = int(psql("SELECT count(*) FROM sales_opportunity o JOIN users_user u ON u.id = o.owner_id "
                             "WHERE u.username LIKE 'rep%'", args.db) or 0)
    if opportunities < args.opportunities * 0.9:
        psql("TRUNCATE sales_callneed, sales_callquestion, sales_callplan, sales_activity, sales_stagechange, "
             "sales_opportunitycontact, sales_opportunityline, sales_opportunity, sales_lead, sales_target, "
             "sales_forecastsnapshot CASCADE", args.db)
        opa = args.opportunities / max(1, have)
        print(f"seeding about {args.opportunities:,} opportunities ({opa:.2f} per account) …", flush=True)
        print(django_run(args.db, SEED_SALES.format(opa=opa, apa=args.activities_per_opportunity)).strip().splitlines()[-1])
        psql("VACUUM ANALYZE", args.db)
    if psql("SELECT count(*) FROM sales_callrollupstate", args.db) == "0":  # seeded before the rollup existed
        print(django_run(args.db, REBUILD).strip().splitlines()[-1])
    if args.seed_only:
        return
    team = django_run(args.db, TEAM).strip().splitlines()[-1]
    print(f"data: {psql('SELECT count(*) FROM sales_opportunity', args.db)} opportunities "
          f"({psql('SELECT count(*) FROM sales_opportunity WHERE is_open', args.db)} open), "
          f"{psql('SELECT count(*) FROM sales_activity', args.db)} activities, "
          f"{psql('SELECT count(*) FROM sales_callplan WHERE logged_at IS NOT NULL', args.db)} logged calls; "
          f"concurrency {args.concurrency}, {args.requests} requests a page in {args.rounds} interleaved rounds")

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    with server(args.db) as base:
        archive_rep = login(base, "carol", DEMO_PASSWORD)  # the archive benchmark's rep: her accounts fill the bare view
        rep = login(base, "rep0101", DEMO_PASSWORD)  # a rep of team 01
        manager = login(base, "mgr01", DEMO_PASSWORD)  # team 01's manager
        pages = {
            "bare view (50 rows)": (["/bench/bare/?limit=50"], archive_rep, None),
            "board, first load (a rep)": (["/sales/board/"], rep, 200),
            "forecast for a team": ([f"/sales/forecast/?team={team}"], manager, 200),
            "dashboard of a manager": (["/sales/dashboard/"], manager, 200),
        }
        for paths, cookie, _target in pages.values():  # warm up every page alike (templates, translations, plans)
            load(base, paths, cookie=cookie, concurrency=args.concurrency, requests=40)
        # Rounds interleave the pages, so a neighbour's burst on this shared machine lands on the bare
        # view and the pages alike instead of on whichever page happened to run during it.
        latencies: dict[str, list[float]] = {name: [] for name in pages}
        for _round in range(args.rounds):
            for name, (paths, cookie, _target) in pages.items():
                latencies[name] += load(base, paths, cookie=cookie, concurrency=args.concurrency,
                                        requests=args.requests // args.rounds)
        baseline = next(iter(latencies.values()))
        results = {}
        for name, (_paths, _cookie, target) in pages.items():
            results[name] = report(name, latencies[name], None if name.startswith("bare") else baseline, target)
        worst = max(r.get("ratio", 0) for r in results.values())
        print(f"worst p95 ratio to the bare view: {worst:.2f}×")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)


if __name__ == "__main__":
    main()
