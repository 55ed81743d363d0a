"""Sales benchmark (issue 5 item 12), PostgreSQL, driving the running server over HTTP.

    python bench/sales.py --db guanxi_bench_sales                 # seeds 1M accounts, then sales, then measures
    python bench/sales.py --db guanxi_bench1m --reuse             # on an archive already seeded (bench/archive.py)

Seeds (if missing) a sales force of 20 teams, each a manager and 10 reps (200 reps), and about
1M opportunities and 5M activities with their SPIN call plans on top of the archive (each rep
then holds about 5,000 deals, 2,000 of them open), then measures at concurrency 8: the board's
first load for a rep, the forecast for a team, and the sales dashboard of that team's manager. Each
is reported with p50/p95 and the ratio of its p95 to the bare Django view of the archive benchmark,
measured in the same run. Target: p95 ≤ 200 ms each.
"""

from __future__ import annotations

import argparse

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
print(f"SEEDED {{counts['opportunity']:,}} opportunities, {{counts['activity']:,}} activities, {{counts['callplan']:,}} call plans "
      f"in {{time.time() - t:.0f}} s", flush=True)
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
    parser.add_argument("--db", default="guanxi_bench_sales")
    parser.add_argument("--reuse", action="store_true", help="keep the existing benchmark database")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    ensure_database(args.db, fresh=not args.reuse)
    have = int(psql("SELECT count(*) FROM customers_account", args.db) or 0)
    if have < args.accounts:
        print(f"seeding {args.accounts - have:,} accounts into {args.db} …", flush=True)
        print(django_run(args.db, ARCHIVE_SEED.format(n=args.accounts - have, opa=10.0)).strip().splitlines()[-1])
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
    team = django_run(args.db, TEAM).strip().splitlines()[-1]
    print(f"data: {psql('SELECT count(*) FROM sales_opportunity', args.db)} opportunities "
          f"({psql('SELECT count(*) FROM sales_opportunity WHERE is_open', args.db)} open), "
          f"{psql('SELECT count(*) FROM sales_activity', args.db)} activities; concurrency {args.concurrency}")

    with server(args.db) as base:
        carol = login(base, "rep0101", DEMO_PASSWORD)  # a rep of team 01
        bob = login(base, "mgr01", DEMO_PASSWORD)  # team 01's manager
        load(base, ["/bench/bare/?limit=50"], cookie=carol, concurrency=args.concurrency, requests=80)  # warm up
        pages = {
            "bare view (50 rows)": (["/bench/bare/?limit=50"], carol, None),
            "board, first load (a rep)": (["/sales/board/"], carol, 200),
            "forecast for a team": ([f"/sales/forecast/?team={team}"], bob, 200),
            "dashboard of a manager": (["/sales/dashboard/"], bob, 200),
        }
        baseline = None
        results = {}
        for name, (paths, cookie, target) in pages.items():
            latencies = load(base, paths, cookie=cookie, concurrency=args.concurrency, requests=args.requests)
            if baseline is None:
                baseline = latencies
            results[name] = report(name, latencies, None if name.startswith("bare") else baseline, target)
        worst = max(r.get("ratio", 0) for r in results.values())
        print(f"worst p95 ratio to the bare view: {worst:.2f}×")


if __name__ == "__main__":
    main()
