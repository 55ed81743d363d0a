"""Benchmark: importing accounts with contacts on PostgreSQL (issue 4 item 6: >= 5,000 rows/s).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/guanxi_bench .venv/bin/python bench/import.py --rows 100000

Generates a CSV of N accounts, each with one contact (name, valid credit code, phone, province, city,
address, industry, source, external id, contact name, mobile, e-mail), then in the same run measures:

  copy      PostgreSQL COPY of the same CSV into an unindexed staging table (the raw floor),
  import    the real import job (parse, validate, normalise phones/codes, search text, upsert
            accounts + contacts + links + audit entries in batches with checkpoints),
  reimport  the same file again (every row matched by credit code, nothing changes, nothing written).

  floor     the rows the import wrote, ready-made, COPYed into empty copies of the real tables
            (their indexes and foreign keys included) on two connections: what the database alone
            needs for this schema, the ceiling of any import,

and prints rows/s for each and the import's ratio to COPY and to the floor. The database is created if missing and
its customer tables are emptied first; never point it at a database you care about.

On a shared machine the rows/s lie; the CPU lines do not: CPU per row of Python (all its threads,
split by stage: read+validate, plan, write) and of PostgreSQL (the job's connections), and the
rate two idle cores would reach if the two overlapped perfectly (the import runs them in parallel:
validation and planning have a thread each, and two writer threads write two batches at once on
their own connections). Where PostgreSQL's time goes, measured on
this schema (CPU per imported row, account + contact + link + 2 audit entries): the two search GIN
indexes about 100 µs (`--drop-search-indexes` shows it), the deferred foreign-key checks at commit
about 40 µs, the b-tree indexes, heap and WAL (about 12 kB per row) the rest.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/guanxi_bench")
os.environ.setdefault("GUANXI_ENV", "development")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("LOG_LEVEL", "WARNING")

CITIES = [("北京", "北京"), ("上海", "上海"), ("广东", "广州"), ("广东", "深圳"), ("浙江", "杭州"), ("江苏", "南京"), ("四川", "成都"),
          ("湖北", "武汉"), ("陕西", "西安"), ("重庆", "重庆"), ("天津", "天津"), ("山东", "青岛"), ("福建", "厦门"), ("湖南", "长沙")]
WORDS = list("华为中兴联想海尔美的格力阿里腾讯百度京东小米比亚迪宁德新东方恒瑞万科碧桂园长城吉利蔚来理想顺丰圆通申通韵达中通苏宁国美永辉大北农")
TRADES = ["科技", "网络", "信息技术", "贸易", "电子", "机械", "医药", "物流", "食品", "建设", "咨询", "文化传媒", "新能源", "材料"]
SUFFIXES = ["有限公司", "股份有限公司", "有限责任公司", "集团有限公司"]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈")
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强")
INDUSTRIES = ["制造业", "信息技术", "批发零售", "金融", "医疗", "教育", "建筑", "物流", "能源", "餐饮"]
MOBILE_PREFIXES = [f"3{d}" for d in range(10)] + ["50", "51", "52", "53", "55", "56", "57", "58", "59"] + [f"8{d}" for d in range(10)]
FILE_ROWS = 50_000
HEADER = ["客户名称", "统一社会信用代码", "电话", "省份", "城市", "地址", "行业", "来源", "外部编号", "联系人", "手机", "邮箱"]


def generate(n: int, seed: int = 42, start: int = 0) -> bytes:
    from stdnum.cn import uscc

    rnd = random.Random(seed + start)
    out = io.StringIO()
    out.write(",".join(HEADER) + "\n")
    for i in range(start, start + n):
        province, city = rnd.choice(CITIES)
        name = f"{city}{''.join(rnd.sample(WORDS, 2))}{rnd.choice(TRADES)}{rnd.choice(SUFFIXES)}"
        body = f"91{rnd.randint(110000, 659000)}{i:09d}"
        code = body + uscc.calc_check_digit(body)
        phone = f"0{rnd.choice(['10', '21', '20', '755', '571'])}-{rnd.randint(2000_0000, 6999_9999)}"
        contact = rnd.choice(SURNAMES) + "".join(rnd.sample(GIVEN, rnd.choice([1, 2])))
        mobile = f"1{rnd.choice(MOBILE_PREFIXES)}{rnd.randint(0, 99_999_999):08d}"
        email = f"user{i}@example{rnd.randint(1, 999)}.cn"
        address = f"{city}市{rnd.choice(['朝阳', '海淀', '浦东', '天河', '南山', '西湖'])}区{rnd.randint(1, 999)}号"
        row = [name, code, phone, province, city, address, rnd.choice(INDUSTRIES), "展会", f"EXT-{i:07d}", contact, mobile, email]
        out.write(",".join(row) + "\n")
    return out.getvalue().encode("utf-8")


def ensure_database() -> None:
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(os.environ["DATABASE_URL"])
    name = cfg["NAME"]
    with psycopg.connect(host=cfg["HOST"], port=cfg["PORT"] or 5432, user=cfg["USER"], password=cfg["PASSWORD"] or None,
                         dbname="postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--drop-search-indexes", action="store_true",
                        help="diagnosis only: drop the search GIN indexes of accounts and contacts first, to show their share of the time")
    parser.add_argument("--serial", action="store_true",
                        help="write each batch on the planning connection, after planning it (no pipelining), to compare")
    args = parser.parse_args()
    if not os.environ["DATABASE_URL"].startswith("postgres"):
        sys.exit("This benchmark needs PostgreSQL (DATABASE_URL=postgres://...).")
    ensure_database()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from guanxi.dataio import importing, jobs
    from guanxi.dataio.models import Job
    from guanxi.users.personas import create_demo_org

    importing.PIPELINE = not args.serial
    call_command("migrate", verbosity=0)
    carol = create_demo_org().users["carol"]
    with connection.cursor() as cur:
        cur.execute("TRUNCATE customers_contactaccount, customers_contact, customers_account, audit_auditentry, "
                    "dataio_importrowerror RESTART IDENTITY CASCADE")

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work on the machine slows every number)")
    t0 = time.perf_counter()
    # Uploads are capped at 10 MB (about 55,000 such rows), so a large import is several files.
    files = [generate(min(FILE_ROWS, args.rows - start), start=start) for start in range(0, args.rows, FILE_ROWS)]
    data = b"".join(f if i == 0 else f.split(b"\n", 1)[1] for i, f in enumerate(files))
    print(f"generated {args.rows:,} rows ({len(data) / 1e6:.1f} MB, {len(files)} files of <= {FILE_ROWS:,} rows) "
          f"in {time.perf_counter() - t0:.1f} s")

    # Floor: COPY of the same rows into an unindexed staging table, same connection, same run.
    with connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE bench_stage (" + ", ".join(f"c{i} text" for i in range(len(HEADER))) + ")")
        t0 = time.perf_counter()
        with cur.cursor.copy("COPY bench_stage FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            copy.write(data)
        copy_s = time.perf_counter() - t0
        cur.execute("DROP TABLE bench_stage")
    copy_rate = args.rows / copy_s

    if args.drop_search_indexes:
        with connection.cursor() as cur:
            for table in ("customers_account", "customers_contact"):
                cur.execute(f"DROP INDEX IF EXISTS {table}_search_pairs, {table}_search_trgm")
        print("NOTE: search GIN indexes dropped (diagnosis run). Restore them with: manage.py shell -c "
              "'from django.db import connection; from guanxi.customers import search_db; search_db.install(connection)'")

    import threading

    from django.db.backends.signals import connection_created

    from guanxi.dataio import bulk

    sql_time: dict[str, float] = {}
    lock = threading.Lock()

    def note(key: str, seconds: float) -> None:
        with lock:
            sql_time[key] = sql_time.get(key, 0.0) + seconds

    def timed(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            words = sql.split()
            note(" ".join(words[:3]) if words[0] in ("INSERT", "UPDATE") else words[0], time.perf_counter() - t)

    # Every connection is timed: the import writes its batches on a connection of its own.
    connection.execute_wrappers.append(timed)
    connection_created.connect(lambda sender, connection, **kw: connection.execute_wrappers.append(timed), weak=False)
    real_copy = bulk._copy

    def timed_copy(table, columns, rows):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        try:
            return real_copy(table, columns, rows)
        finally:
            note(f"COPY {table}", time.perf_counter() - t)

    bulk._copy = timed_copy

    def backend_cpu() -> float:
        """CPU seconds the PostgreSQL server process of this thread's connection has used (same machine)."""
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            pid = cur.fetchone()[0]
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    # The writer threads' connections are closed at the end of each job: take their CPU just before.
    writer_cpu = [0.0]
    real_exit = importing._BatchWriter.__exit__

    def exit_counting(self, *exc):  # type: ignore[no-untyped-def]
        for pool in self.pools:
            writer_cpu[0] += pool.submit(backend_cpu).result()
        return real_exit(self, *exc)

    importing._BatchWriter.__exit__ = exit_counting  # type: ignore[method-assign]

    def run_import(label: str) -> float:
        sql_time.clear()
        stages: dict[str, float] = {}
        importing.CPU_STATS = stages
        seconds = cpu = 0.0
        pg_before, writer_cpu[0] = backend_cpu(), 0.0
        messages = []
        for part in files:
            upload = importing.upload_create(actor=carol, object_type="account", filename="bench.csv", data=part)
            importing.upload_set_mapping(actor=carol, upload=upload, mapping=upload.mapping, key="credit_code")
            job = importing.import_start(actor=carol, upload=upload)
            t, c = time.perf_counter(), time.process_time()
            jobs.run(str(job.pk))
            seconds, cpu = seconds + time.perf_counter() - t, cpu + time.process_time() - c
            job = Job.objects.get(pk=job.pk)
            messages.append(f"[{job.state}] {job.message}")
        rate = args.rows / seconds
        pg_cpu = backend_cpu() - pg_before + writer_cpu[0]
        print(f"{label:9s} {seconds:7.1f} s  {rate:9,.0f} rows/s  " + " ".join(messages))
        print(f"          CPU per row: Python {1e6 * cpu / args.rows:.0f} µs + PostgreSQL {1e6 * pg_cpu / args.rows:.0f} µs "
              f"(on 2 idle cores at best {args.rows / max(cpu, pg_cpu, (cpu + pg_cpu) / 2):,.0f} rows/s)")
        print("          Python CPU per row by stage: " + ", ".join(f"{k} {1e6 * v / args.rows:.0f} µs" for k, v in stages.items())
              + " (read+validate runs in a thread of its own, and so does writing when the import is pipelined)")
        top = sorted(sql_time.items(), key=lambda kv: -kv[1])[:6]
        print(f"          python CPU {cpu:.1f} s ({args.rows / max(cpu, 1e-9):,.0f} rows/s of CPU); statements waited on: "
              + ", ".join(f"{k} {v:.1f} s" for k, v in top))
        return rate

    print(f"{'copy':9s} {copy_s:7.2f} s  {copy_rate:9,.0f} rows/s  (COPY into an unindexed staging table)")
    import_rate = run_import("import")
    reimport_rate = run_import("reimport")
    from guanxi.customers.models import Account, Contact

    failed = args.rows - Account.objects.count()
    print(f"accounts={Account.objects.count():,} contacts={Contact.objects.count():,} after two imports of the same {args.rows:,} rows "
          f"({failed} rows failed validation both times): no duplicates")
    floor_rate = write_floor(connection, args.rows, search="none" if args.drop_search_indexes else "all")
    if not args.drop_search_indexes:
        write_floor(connection, args.rows, search="trgm")
    print(f"RESULT import {import_rate:,.0f} rows/s (target >= 5,000: {'PASS' if import_rate >= 5000 else 'FAIL'}); "
          f"re-import {reimport_rate:,.0f} rows/s; ratio import/COPY = {import_rate / copy_rate:.4f} "
          f"(COPY is {copy_rate / import_rate:.0f}x faster); ratio import/write floor = {import_rate / floor_rate:.2f}; "
          f"load average now {os.getloadavg()[0]:.1f}")


FLOOR_TABLES = ("customers_account", "customers_contact", "customers_contactaccount", "audit_auditentry")


FLOOR_SEARCH = {
    "all": "",
    "trgm": " (only the trigram index on search_text: no index for 1-2 character queries)",
    "none": " (search indexes dropped)",
}


def write_floor(connection, rows: int, *, search: str = "all") -> float:  # type: ignore[no-untyped-def]
    """The fastest any import could write what this one wrote: the import's own rows (accounts,
    contacts, links and their create audit entries), already validated and converted, COPYed into
    copies of the real tables (same columns, generated column, indexes and foreign keys, starting
    empty as the import's did) in batches of 1,000 rows, one transaction each, on two connections
    at once, as the import writes. No parsing, validation, planning or lookups: the database's
    share alone. ``search``: keep every search index ("all"), only the trigram index on
    ``search_text`` ("trgm": the least that issue 4's substring search needs), or none.
    Prints and returns its rows/s."""
    import threading

    import psycopg
    from psycopg.types.json import Jsonb

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    admin = psycopg.connect(**params, autocommit=True)

    def drop() -> None:
        for table in reversed(FLOOR_TABLES):
            admin.execute(f"DROP TABLE IF EXISTS floor_{table} CASCADE")

    def columns(table: str) -> str:
        names = admin.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s AND is_generated = 'NEVER' "
                              "ORDER BY ordinal_position", [table]).fetchall()
        return ", ".join(f'"{n}"' for (n,) in names)

    def read(table: str, where: str) -> tuple[str, list[tuple]]:
        cols = columns(table)
        found = admin.execute(f"SELECT {cols} FROM {table} {where}").fetchall()
        return cols, [tuple(Jsonb(v) if isinstance(v, dict | list) else v for v in r) for r in found]

    drop()
    for table in FLOOR_TABLES:
        admin.execute(f"CREATE TABLE floor_{table} (LIKE {table} INCLUDING ALL)")
        if search != "all":
            for (index,) in admin.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexdef LIKE '%% USING gin %%' "
                                          "AND (%s OR indexdef NOT LIKE '%%(search_text %%')",
                                          [f"floor_{table}", search == "none"]).fetchall():
                admin.execute(f'DROP INDEX "{index}"')
    for table in FLOOR_TABLES:
        for (fk,) in admin.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
                                   [table]).fetchall():
            for other in FLOOR_TABLES:
                fk = fk.replace(f"REFERENCES {other}(", f"REFERENCES floor_{other}(")
            admin.execute(f"ALTER TABLE floor_{table} ADD {fk}")
    accounts = read("customers_account", f"ORDER BY id LIMIT {rows}")
    contacts = read("customers_contact", f"ORDER BY id LIMIT {rows}")
    links = read("customers_contactaccount", f"ORDER BY contact_id LIMIT {rows}")
    entries = read("audit_auditentry", f"WHERE source = 'import' AND action = 'create' ORDER BY id LIMIT {2 * rows}")
    batches = []
    for i in range(0, rows, 1000):
        batches.append([("customers_account", accounts, i, 1000), ("customers_contact", contacts, i, 1000),
                        ("customers_contactaccount", links, i, 1000), ("audit_auditentry", entries, 2 * i, 2000)])

    def lane(k: int) -> None:
        with psycopg.connect(**params, autocommit=True) as conn:
            for batch in batches[k::2]:
                with conn.transaction():
                    conn.execute("SET LOCAL synchronous_commit = off")
                    for table, (cols, data), start, size in batch:
                        with conn.cursor().copy(f"COPY floor_{table} ({cols}) FROM STDIN") as copy:
                            for row in data[start:start + size]:
                                copy.write_row(row)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=lane, args=(k,)) for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - t0
    drop()
    admin.close()
    rate = rows / seconds
    print(f"{'floor':9s} {seconds:7.1f} s  {rate:9,.0f} rows/s  (the same accounts, contacts, links and audit entries, ready-made, "
          f"COPYed into copies of the tables{FLOOR_SEARCH[search]}, 2 connections: "
          f"no import can be faster)")
    return rate


if __name__ == "__main__":
    main()
