"""Customer-archive benchmark (issue 4 item 11), PostgreSQL, driving the running server over HTTP.

    python bench/archive.py --accounts 1000000          # seeds once (~10 M orders), then measures
    python bench/archive.py --accounts 1000000 --reuse  # measure again on the same data
    python bench/archive.py --db guanxi_bench1m --reuse # on a database seeded by `seed_demo --accounts 1000000`

Pages: the first page of the account list sorted by name and filtered by classification, a
search, and the 360° page (header + overview tab), as the sales rep carol. Each is reported with
p50/p95 at concurrency 8 and the ratio of its p95 to a bare Django view measured in the same run
(bench/urls.py): the same server and database, returning the list page's rows — carol's accounts
of the same value tier, in the same order, with the columns the list shows — from one SQL
statement as a plain HTML table. Targets: p95 ≤ 150 ms (list, 360°), ≤ 100 ms (search), and
≤ 3× the bare view. The load average is printed before and after: the machine is shared.
"""

from __future__ import annotations

import argparse
import os

from common import django_run, ensure_database, load, login, psql, report, server

DEMO_PASSWORD = "guanxi-demo-2026"

SEED = """
import time
from guanxi.users.personas import create_demo_org, DEMO_PASSWORD
from guanxi.customers.demo_data import generate, Owner
org = create_demo_org()
owners = [Owner(u.pk, (u.teams.order_by('pk').first().pk if u.teams.exists() else None), u.department_id)
          for k, u in org.users.items() if k in ('bob', 'carol', 'dave')]
t = time.time()
r = generate(accounts={n}, owners=owners, orders_per_account={opa},
             progress=lambda i, n: print(f'  seeded {{i:,}} / {{n:,}}', flush=True) if i % 100000 == 0 else None)
print(f'SEEDED {{r.accounts}} accounts, {{r.contacts}} contacts, {{r.orders}} orders in {{time.time() - t:.0f}} s', flush=True)
"""

CLASSIFY = """
import time
t = time.time()
try:
    from guanxi.customers.classify import recompute_all
except ImportError:
    print('CLASSIFY skipped: guanxi.customers.classify not available')
else:
    out = recompute_all()
    print(f'CLASSIFIED in {time.time() - t:.0f} s: {out}')
"""

PICK = """
from guanxi.customers.models import Account
from django.db.models import Count
a = Account.objects.filter(owner__username='carol').annotate(n=Count('orders')).filter(n__gte=5).order_by('-n').values_list('pk', flat=True)[:20]
print(','.join(map(str, a)))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--orders-per-account", type=float, default=10.0)
    parser.add_argument("--db", default="guanxi_bench_archive")
    parser.add_argument("--reuse", action="store_true", help="keep the existing benchmark database")
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds the requests of each page are split into")
    args = parser.parse_args()

    ensure_database(args.db, fresh=not args.reuse)
    have = int(psql("SELECT count(*) FROM customers_account", args.db) or 0)
    if have < args.accounts:
        print(f"seeding {args.accounts:,} accounts into {args.db} …", flush=True)
        print(django_run(args.db, SEED.format(n=args.accounts - have, opa=args.orders_per_account)).strip().splitlines()[-1])
        print(django_run(args.db, CLASSIFY).strip())
        psql("VACUUM ANALYZE", args.db)
    ids = django_run(args.db, PICK).strip().split(",")
    print(f"data: {psql('SELECT count(*) FROM customers_account', args.db)} accounts, "
          f"{psql('SELECT count(*) FROM customers_order', args.db)} orders; user carol (sales rep), concurrency {args.concurrency}, "
          f"{args.requests} requests a page in {args.rounds} interleaved rounds")

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    with server(args.db) as base:
        cookie = login(base, "carol", DEMO_PASSWORD)
        lists = ["?value_tier=key&sort=name", "?value_tier=general&sort=-name"]
        pages = {
            "bare view (list's 50 rows)": ([f"/bench/bare/{q}" for q in lists], None),
            "account list, by tier": ([f"/accounts/{q}" for q in lists], 150),
            "search": ([f"/accounts/?q={q}" for q in ("%E7%A7%91%E6%8A%80", "huawei", "hzkj", "%E8%B4%B8%E6%98%93", "13800")], 100),
            "360 page + overview": ([p for i in ids for p in (f"/accounts/{i}/", f"/accounts/{i}/tab/overview/")], 150),
        }
        for paths, _target in pages.values():  # warm up every page alike (templates, translations, plans)
            load(base, paths, cookie=cookie, concurrency=args.concurrency, requests=40)
        # Rounds interleave the pages, so a neighbour's burst on this shared machine lands on the bare
        # view and the pages alike instead of on whichever page happened to run during it.
        latencies: dict[str, list[float]] = {name: [] for name in pages}
        for _round in range(args.rounds):
            for name, (paths, _target) in pages.items():
                latencies[name] += load(base, paths, cookie=cookie, concurrency=args.concurrency,
                                        requests=args.requests // args.rounds)
        baseline = next(iter(latencies.values()))
        results = {}
        for name, (_paths, target) in pages.items():
            results[name] = report(name, latencies[name], None if name.startswith("bare") else baseline, target)
        worst = max(r.get("ratio", 0) for r in results.values())
        print(f"worst p95 ratio to the bare view: {worst:.2f}× (target ≤ 3×)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)


if __name__ == "__main__":
    main()
