"""Benchmark: exporting the account list on PostgreSQL (issue 4 item 7: 1M accounts in <= 2 minutes).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/guanxi_bench_export .venv/bin/python bench/export.py --accounts 1000000

Fills the accounts table with N synthetic accounts (straight SQL, spread over three owners, with a
classification row each) unless it already holds them, then runs the real export job as an
administrator (every row, the list's default sort by pinyin, CSV UTF-8 with BOM, formula guard on)
and prints seconds and rows/s; then a sales rep's export (only their own rows) and an XLSX export of
--xlsx-rows rows. Results go to a temporary directory. Never point it at a database you care about.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/guanxi_bench_export")
os.environ.setdefault("GUANXI_ENV", "development")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("GUANXI_DATA_DIR", tempfile.mkdtemp(prefix="guanxi-bench-export-"))

# Per-column SQL for the generated rows (i = 1..N); every other column gets its model default.
ACCOUNT_SQL = {
    "name": "(ARRAY['北京','上海','广州','深圳','杭州','成都'])[1 + i % 6] || '华' || i || (ARRAY['科技','贸易','网络','医药'])[1 + i % 4] || '有限公司'",
    "name_sort": "md5(i::text)",
    "province": "(ARRAY['北京','上海','广东','广东','浙江','四川'])[1 + i % 6]",
    "city": "(ARRAY['北京','上海','广州','深圳','杭州','成都'])[1 + i % 6]",
    "address": "'朝阳区建国路' || (i % 999) || '号'",
    "phone": "'+86138' || lpad(i::text, 8, '0')",
    "industry": "'信息技术'",
    "source": "CASE WHEN i % 50 = 0 THEN '=HYPERLINK(\"http://x\")' ELSE '展会' END",
    "external_id": "'EXT-' || i",
    "owner_id": "(%(owners)s)[1 + i % 3]",
    "created_at": "now() - (i % 1000) * interval '1 day'",
    "updated_at": "now()",
}


def ensure_database() -> None:
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(os.environ["DATABASE_URL"])
    with psycopg.connect(host=cfg["HOST"], port=cfg["PORT"] or 5432, user=cfg["USER"], password=cfg["PASSWORD"] or None,
                         dbname="postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{cfg["NAME"]}"')


def fill(n: int, owners: list[int]) -> None:
    from django.db import connection

    from guanxi.customers.models import Account, AccountClassification

    have = Account.objects.count()
    if have == n:
        return
    with connection.cursor() as cur:
        cur.execute("TRUNCATE customers_account RESTART IDENTITY CASCADE")
    cols, exprs, params = [], [], []
    for f in Account._meta.concrete_fields:
        if f.primary_key:
            continue
        cols.append(f'"{f.column}"')
        if f.column in ACCOUNT_SQL:
            # Literal % (modulo) doubled: the statement also carries %s parameters.
            exprs.append(ACCOUNT_SQL[f.column].replace("%(owners)s", "ARRAY[" + ",".join(map(str, owners)) + "]").replace("%", "%%"))
        else:
            exprs.append("%s")
            params.append(f.get_db_prep_save(f.get_default(), connection))
    step = 100_000
    t0 = time.perf_counter()
    for start in range(1, n + 1, step):
        end = min(n, start + step - 1)
        with connection.cursor() as cur:
            cur.execute(f"INSERT INTO customers_account ({', '.join(cols)}) SELECT {', '.join(exprs)} "
                        f"FROM generate_series({start}, {end}) AS i", params)
        print(f"  filled {end:,} accounts ({time.perf_counter() - t0:.0f} s)", flush=True)
    ccols, cexprs, cparams = [], [], []
    for f in AccountClassification._meta.concrete_fields:
        ccols.append(f'"{f.column}"')
        if f.column == "account_id":
            cexprs.append("id")
        elif f.column == "value_tier":
            cexprs.append("(ARRAY['key','general','scattered','scattered'])[1 + id %% 4]")
        else:
            cexprs.append("%s")
            cparams.append(f.get_db_prep_save(f.get_default(), connection))
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO customers_accountclassification ({', '.join(ccols)}) SELECT {', '.join(cexprs)} FROM customers_account",
                    cparams)
        cur.execute("ANALYZE customers_account; ANALYZE customers_accountclassification")
    print(f"filled {n:,} accounts in {time.perf_counter() - t0:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    args = parser.parse_args()
    if not os.environ["DATABASE_URL"].startswith("postgres"):
        sys.exit("This benchmark needs PostgreSQL (DATABASE_URL=postgres://...).")
    ensure_database()

    import django

    django.setup()
    from django.core.files.storage import default_storage
    from django.core.management import call_command

    from guanxi.dataio import exporting, jobs
    from guanxi.dataio.models import Job
    from guanxi.users.personas import create_demo_org

    call_command("migrate", verbosity=0)
    users = create_demo_org().users
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work on the machine slows every number)")
    fill(args.accounts, [users["carol"].pk, users["dave"].pk, users["bob"].pk])

    def run(label: str, actor, file_format: str, params: dict) -> float:  # type: ignore[no-untyped-def]
        job = exporting.export_start(actor=actor, object_type="account", params=params, file_format=file_format)
        t = time.perf_counter()
        jobs.run(str(job.pk))
        seconds = time.perf_counter() - t
        job = Job.objects.get(pk=job.pk)
        rows = (job.result or {}).get("rows", 0)
        size = default_storage.size(job.result["file"]) / 1e6 if job.result else 0
        print(f"{label:28s} {rows:>9,} rows {seconds:7.1f} s {rows / seconds:>9,.0f} rows/s  {size:6.1f} MB  [{job.state}] {job.message}")
        return seconds

    seconds = run("csv, admin, all rows", users["alice"], "csv", {})
    run("csv, rep (own rows only)", users["carol"], "csv", {})
    if args.xlsx_rows:
        # XLSX through the same row reader and writer as the job, on the first N rows of the rep's list.
        spec = exporting.get_export_spec("account")
        cols = spec.pick(None)
        qs = spec.queryset(users["carol"], {})[: args.xlsx_rows]
        t = time.perf_counter()
        with tempfile.TemporaryFile() as fh:
            rows = exporting.write_xlsx(fh, [str(c.label) for c in cols], exporting.export_rows(qs, cols))
            size = fh.tell() / 1e6
        xs = time.perf_counter() - t
        print(f"{'xlsx, rep, first rows':28s} {rows:>9,} rows {xs:7.1f} s {rows / xs:>9,.0f} rows/s  {size:6.1f} MB")
    scaled = seconds * 1_000_000 / max(1, args.accounts)
    print(f"RESULT csv export of {args.accounts:,} accounts: {seconds:.1f} s "
          f"({'measured' if args.accounts >= 1_000_000 else f'about {scaled:.0f} s for 1M, scaled linearly'}; "
          f"target <= 120 s for 1M: {'PASS' if scaled <= 120 else 'FAIL'})")


if __name__ == "__main__":
    main()
