"""Service benchmark (issue 6 item 12), PostgreSQL, driving the running server over HTTP.

    python bench/service.py                 # creates svcbench, seeds 300k accounts, 1M complaints, 2M responses, measures
    python bench/service.py --reuse         # measure again on the same data
    python bench/service.py --seed-only     # create and seed, do not measure

Seeds (if missing) an archive of accounts with orders and their classification (value tiers are
the survey segments), then a year of service (``guanxi.service.demo_data``): about 1M complaints
through the handling procedure with SLA deadlines in business hours, follow-up visits for a tenth
of the closed ones, and 2M survey responses with 4–6 answers each (no complaint history events and
no invitation rows: nothing measured reads them); then builds the rollups.

Measures at concurrency 8, signed in as erin (a service agent, who reads every complaint and every
account): the service dashboard (page and API) and the satisfaction analysis for the last 12 months
(page, and the API's gaps by dimension, item and month, key experience, tolerance zone, CSAT/NPS and
trend). Each is reported with p50/p95 and the ratio of its p95 to the bare view (50 account rows,
no template) measured in the same run. Target: p95 ≤ 300 ms each.
"""

from __future__ import annotations

import argparse
import os
import subprocess

from archive import SEED as ARCHIVE_SEED
from common import django_run, ensure_database, load, login, psql, report, server

DEMO_PASSWORD = "guanxi-demo-2026"

CLASSIFY = """
import time
from guanxi.customers.classify import recompute_all
t = time.time()
recompute_all()
print(f'CLASSIFIED in {time.time() - t:.0f} s')
"""

SEED_SERVICE = """
import time
from guanxi.service import demo_data, rollup_rebuild
from guanxi.users.personas import create_demo_org
org = create_demo_org()
t = time.time()
counts = demo_data.generate(org=org, complaints={complaints}, responses={responses}, events=False, invitations=False,
                            follow_up_share=0.1, rebuild=False,
                            progress=lambda i, n: print(f'  {{i:,}} / {{n:,}} complaints (first worker)', flush=True))
seeded = time.time() - t
t = time.time()
rollup_rebuild.rebuild()
print(f"SEEDED {{counts['complaints']:,}} complaints, {{counts['follow_ups']:,}} follow-up visits, {{counts['responses']:,}} "
      f"responses, {{counts['answers']:,}} answers in {{seeded:.0f}} s; rollups built in {{time.time() - t:.0f}} s", flush=True)
"""

PAGES_EXIST = """
from django.urls import NoReverseMatch, reverse
for name in ('service:dashboard', 'service:analysis'):
    try:
        print(reverse(name))
    except NoReverseMatch:
        print('-')
"""

ANALYSIS_API = ["/api/v1/service/analysis/gaps?by=dimension", "/api/v1/service/analysis/gaps?by=item",
                "/api/v1/service/analysis/gaps?by=month", "/api/v1/service/analysis/key-experience",
                "/api/v1/service/analysis/tolerance-zone", "/api/v1/service/analysis/scores",
                "/api/v1/service/analysis/trend?dimension=convenience"]


def load_average() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def seed(args: argparse.Namespace) -> None:
    have = int(psql("SELECT count(*) FROM customers_account", args.db) or 0)
    if have < args.accounts:
        print(f"seeding {args.accounts - have:,} accounts into {args.db} …", flush=True)
        print(django_run(args.db, ARCHIVE_SEED.format(n=args.accounts - have, opa=args.orders_per_account)).strip().splitlines()[-1])
        print(django_run(args.db, CLASSIFY).strip().splitlines()[-1], flush=True)
    complaints = int(psql("SELECT count(*) FROM service_complaint", args.db) or 0)
    if complaints < args.complaints * 0.9:
        psql("TRUNCATE service_surveyanswer, service_surveyresponse, service_surveyinvitation, service_followupvisit, "
             "service_complaintevent, service_complaintattachment, service_complaint CASCADE", args.db)
        print(f"seeding {args.complaints:,} complaints and {args.responses:,} survey responses …", flush=True)
        out = django_run(args.db, SEED_SERVICE.format(complaints=args.complaints, responses=args.responses))
        print(out.strip().splitlines()[-1], flush=True)
        psql("VACUUM ANALYZE", args.db)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="svcbench")
    parser.add_argument("--accounts", type=int, default=300_000)
    parser.add_argument("--orders-per-account", type=float, default=3.0)
    parser.add_argument("--complaints", type=int, default=1_000_000)
    parser.add_argument("--responses", type=int, default=2_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep the existing benchmark database")
    parser.add_argument("--seed-only", action="store_true", help="create and seed the database, then stop")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    ensure_database(args.db, fresh=not args.reuse)
    seed(args)
    if args.seed_only:
        return
    print(f"data: {psql('SELECT count(*) FROM service_complaint', args.db)} complaints, "
          f"{psql('SELECT count(*) FROM service_surveyresponse', args.db)} survey responses, "
          f"{psql('SELECT count(*) FROM service_surveyanswer', args.db)} answers; "
          f"{psql('SELECT count(*) FROM service_complaintrollup', args.db)} complaint and "
          f"{psql('SELECT count(*) FROM service_answerrollup', args.db)} answer rollup rows; concurrency {args.concurrency}")
    dashboard_page, analysis_page = django_run(args.db, PAGES_EXIST).split()
    # The API's per-user rate limit would answer 429 to a load test: lift it for this server only.
    os.environ.update({"API_RATE_LIMIT_PER_MINUTE": "1000000", "API_RATE_LIMIT_PER_IP_PER_MINUTE": "1000000"})
    with server(args.db) as base:
        erin = login(base, "erin", DEMO_PASSWORD)
        load(base, ["/bench/bare/?limit=50"], concurrency=args.concurrency, requests=80)  # warm up
        load(base, ["/api/v1/service/dashboard", *ANALYSIS_API], cookie=erin, concurrency=2, requests=16)
        pages: dict[str, tuple[list[str], str, float | None]] = {"bare view (50 rows)": (["/bench/bare/?limit=50"], "", None)}
        if dashboard_page != "-":
            pages["service dashboard (page)"] = ([dashboard_page], erin, 300)
        pages["service dashboard (API)"] = (["/api/v1/service/dashboard"], erin, 300)
        if analysis_page != "-":
            pages["satisfaction analysis (page)"] = ([analysis_page], erin, 300)
        pages["satisfaction analysis (API ×7)"] = (ANALYSIS_API, erin, 300)
        baseline = None
        results = {}
        loads = []
        for name, (paths, cookie, target) in pages.items():
            latencies = load(base, paths, cookie=cookie, concurrency=args.concurrency, requests=args.requests)
            loads.append(load_average())
            if baseline is None:
                baseline = latencies
            results[name] = report(name, latencies, None if name.startswith("bare") else baseline, target)
        worst = max(r.get("ratio", 0) for r in results.values())
        print(f"worst p95 ratio to the bare view: {worst:.2f}×; load average after each step: {' | '.join(loads)}")
        print("postgres:", subprocess.run(["psql", "-V"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
