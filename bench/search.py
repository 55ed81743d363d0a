"""Benchmark: Chinese search at scale on PostgreSQL.

    .venv/bin/python bench/search.py --rows 1000000
    .venv/bin/python bench/search.py --rows 200000 --queries 300

Creates a dedicated database (``guanxi_bench_search`` on the server of --postgres), migrates it,
loads ``--rows`` synthetic Chinese accounts (and a fifth as many contacts) with COPY while the
search indexes are dropped, builds them, runs the real ``search()`` selector for 1-, 2- and
3-character Chinese terms, pinyin, initials, phone numbers and credit codes, and prints p50/p95
per kind with the ratio to two baselines measured in the same run: a primary-key lookup and a
bare keyset page of 20 rows through the ORM. The database is dropped at the end (--keep keeps it).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REGIONS = (
    "北京 上海 天津 重庆 广州 深圳 杭州 南京 苏州 成都 武汉 西安 长沙 郑州 青岛 大连 厦门 福州 济南 合肥 "
    "昆明 南宁 贵阳 沈阳 长春 哈尔滨 石家庄 太原 南昌 宁波 无锡 佛山 东莞 珠海 温州 常州 烟台 兰州 银川 海口"
).split()
BRAND_CHARS = (
    "华为腾讯阿里百度金鑫瑞达恒通宏远新明泰安康宁盛世祥和嘉信中天正德永兴丰源博雅智汇联创优品伟业东方"
    "海天宇晨光辉煌腾飞凯旋志诚立方圆融长城美景顺利佳豪万隆富贵吉星昌隆启航卓越精工汇丰凌云锦绣春秋"
    "雅居乐家福寿禄喜鹏程蓝海青松翠竹红叶白云黄河江南北辰南山西湖碧水秀峰龙凤麒麟飞鸿远航新锐先锋"
)
INDUSTRIES = (
    "科技 贸易 电子 信息技术 网络科技 建筑工程 医药 食品 物流 文化传媒 咨询 环保科技 新能源 汽车销售 "
    "机械设备 餐饮管理 教育科技 服装 家具 化工 软件 广告 房地产开发 农业发展 生物科技 投资管理"
).split()
SUFFIXES = ("有限公司",) * 12 + ("股份有限公司",) * 3 + ("集团有限公司", "有限责任公司", "有限责任公司", "工作室", "商行", "")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国志强海波宇浩然子涵欣怡梓轩"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=200_000, help="accounts to load (default 200,000)")
    p.add_argument("--queries", type=int, default=200, help="timed queries per kind (default 200)")
    p.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres"),
                   help="a PostgreSQL URL whose server gets the benchmark database")
    p.add_argument("--db-name", default="guanxi_bench_search")
    p.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    p.add_argument("--seed", type=int, default=20261126)
    return p.parse_args()


def admin_url(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + dbname))


def recreate_database(url: str, name: str, *, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class Generator:
    def __init__(self, seed: int) -> None:
        from stdnum.cn import uscc

        self.rng = random.Random(seed)
        self.uscc = uscc

    def company(self, i: int) -> dict[str, object]:
        rng = self.rng
        brand = rng.choice(BRAND_CHARS) + rng.choice(BRAND_CHARS)
        region = rng.choice(REGIONS) if rng.random() < 0.6 else ""
        industry = rng.choice(INDUSTRIES) if rng.random() < 0.85 else ""
        name = f"{region}{brand}{industry}{rng.choice(SUFFIXES)}"
        if rng.random() < 0.03:
            name = f"{brand} {rng.choice(('Trading', 'Technology', 'Holdings', 'Consulting'))} Co., Ltd."
        code = None
        if rng.random() < 0.5:
            body = f"91{rng.randrange(110000, 660000)}" + _base36(i, 9)
            code = body + self.uscc.calc_check_digit(body)
        phone = f"+861{rng.choice('3456789')}{rng.randrange(10**8, 10**9)}" if rng.random() < 0.8 else ""
        return {"name": name, "short_name": brand if rng.random() < 0.3 else "", "credit_code": code, "phone": phone}

    def person(self) -> dict[str, object]:
        rng = self.rng
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        mobile = f"+861{rng.choice('3456789')}{rng.randrange(10**8, 10**9)}"
        return {"name": name, "mobile": mobile, "email": f"u{rng.randrange(10**9)}@example.com"}


def _base36(n: int, width: int) -> str:
    digits = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # the USCC alphabet (no I O S V Z)
    out = ""
    while n:
        n, r = divmod(n, len(digits))
        out = digits[r] + out
    return out.rjust(width, "0")[-width:]


def copy_rows(model: Any, rows: list[dict[str, object]], *, batch: int = 50_000) -> float:
    """COPY rows into the model's table, every other column at its model default."""
    from django.db import connection
    from django.utils import timezone
    from psycopg.types.json import Jsonb

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    defaults = {}
    for f in fields:
        if f.attname in ("created_at", "updated_at"):
            defaults[f.attname] = now
        else:
            defaults[f.attname] = f.get_default()  # "" for blank text fields, None for nullable ones
    columns = ", ".join(f'"{f.column}"' for f in fields)
    json_cols = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
    start = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        for offset in range(0, len(rows), batch):
            with raw.copy(f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN') as copy:
                for row in rows[offset: offset + batch]:
                    values = []
                    for f in fields:
                        v = row.get(f.attname, defaults[f.attname])
                        values.append(Jsonb(v) if f.attname in json_cols else v)
                    copy.write_row(values)
    return time.perf_counter() - start


def timed(fn: Callable[[], object], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> int:
    args = parse_args()
    bench_url = admin_url(args.postgres, args.db_name)
    print(f"# search benchmark: {args.rows:,} accounts, {args.rows // 5:,} contacts, {args.queries} queries per kind")
    recreate_database(args.postgres, args.db_name)
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("GUANXI_ENV", "test")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    try:
        return run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            recreate_database(args.postgres, args.db_name, drop_only=True)
            print(f"# dropped database {args.db_name}")


def run(args: argparse.Namespace) -> int:
    from django.core.management import call_command
    from django.db import connection

    from guanxi.customers import search_db
    from guanxi.customers.models import Account, Contact
    from guanxi.customers.search import pinyin_full, pinyin_initials, search_fields_for
    from guanxi.customers.search_selectors import search
    from guanxi.users.personas import create_demo_org

    assert connection.vendor == "postgresql", "this benchmark is for PostgreSQL"
    call_command("migrate", verbosity=0)
    org = create_demo_org(password="bench-only-password-2026")
    alice, carol, dave, bob = (org.users[n] for n in ("alice", "carol", "dave", "bob"))
    # carol (a rep) owns 1 account in 50, like a rep in a large company; the rest are others' or in the pool.
    owners = [carol.pk] + [dave.pk] * 20 + [bob.pk] * 19 + [None] * 10

    gen = Generator(args.seed)
    t = time.perf_counter()
    accounts: list[dict[str, Any]] = []
    contacts: list[dict[str, Any]] = []
    from types import SimpleNamespace

    for i in range(args.rows):
        row = gen.company(i)
        row["search_text"], row["name_sort"] = search_fields_for(SimpleNamespace(other_phones=[], **row))
        row["owner_id"] = owners[i % len(owners)]
        row["department_id"] = None
        accounts.append(row)
    for i in range(args.rows // 5):
        row = gen.person()
        row["search_text"], row["name_sort"] = search_fields_for(SimpleNamespace(other_phones=[], wechat="", **row))
        row["owner_id"] = owners[i % len(owners)]
        contacts.append(row)
    gen_s = time.perf_counter() - t
    print(f"generated rows + search fields: {gen_s:.1f} s ({(len(accounts) + len(contacts)) / gen_s:,.0f} rows/s incl. pinyin)")

    search_db.drop_pg_indexes(connection)
    copy_s = copy_rows(Account, accounts) + copy_rows(Contact, contacts)
    print(f"COPY without the search GIN indexes: {copy_s:.1f} s ({(len(accounts) + len(contacts)) / copy_s:,.0f} rows/s)")
    t = time.perf_counter()
    search_db.install(connection)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_account")
        cursor.execute("ANALYZE customers_contact")
        cursor.execute(
            "SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c WHERE c.relname LIKE 'customers_%%search%%' ORDER BY 1"
        )
        sizes = cursor.fetchall()
    print(f"built search indexes + ANALYZE: {time.perf_counter() - t:.1f} s; "
          + ", ".join(f"{name} {size / 2**20:.0f} MB" for name, size in sizes))

    rng = random.Random(args.seed + 1)
    names = [a["name"] for a in accounts]
    han_names = [n for n in names if any("\u4e00" <= ch <= "\u9fff" for ch in n)]
    pks = list(Account.objects.order_by().values_list("pk", flat=True))
    sorts = [a["name_sort"] for a in rng.sample(accounts, min(len(accounts), 2000))]
    phones = [a["phone"] for a in accounts if a["phone"]]
    codes = [a["credit_code"] for a in accounts if a["credit_code"]]
    n = args.queries

    def sub(length: int) -> str:
        while True:
            name = rng.choice(han_names)
            i = rng.randrange(0, max(1, len(name) - length + 1))
            s = name[i: i + length]
            if len(s) == length and all("\u4e00" <= ch <= "\u9fff" for ch in s):
                return s

    def brand() -> str:
        return rng.choice(BRAND_CHARS) + rng.choice(BRAND_CHARS)

    kinds: list[tuple[str, Callable[[], str], object]] = [
        ("1-char Chinese (e.g. 华)", lambda: sub(1), alice),
        ("2-char Chinese, common (e.g. 科技)", lambda: sub(2), alice),
        ("2-char Chinese, rare brand (e.g. 鹏程)", brand, alice),
        ("3-char Chinese (e.g. 华为科)", lambda: sub(3), alice),
        ("full pinyin of a brand (huawei)", lambda: pinyin_full(brand()), alice),
        ("initials, 4 letters (bjhw)", lambda: pinyin_initials(rng.choice(han_names))[:4], alice),
        ("initials, 2 letters (hw)", lambda: pinyin_initials(brand()), alice),
        ("mobile, last 8 digits typed with a dash", lambda: (lambda p: f"{p[-8:-4]}-{p[-4:]}")(rng.choice(phones)), alice),
        ("credit code", lambda: rng.choice(codes), alice),
        ("rep (visibility filter), 2-char rare", brand, carol),
        ("rep (visibility filter), 3-char", lambda: sub(3), carol),
    ]

    def pk_lookup() -> object:
        return Account.objects.get(pk=rng.choice(pks))

    def keyset_page() -> object:
        return list(Account.objects.filter(name_sort__gt=rng.choice(sorts)).order_by("name_sort", "id")[:20])

    for fn in (pk_lookup, keyset_page):  # warm up
        timed(fn, 50)
    for _, make, actor in kinds:
        for _ in range(20):
            search(actor=actor, q=make(), limit=20)

    base_pk = timed(pk_lookup, n)
    base_page = timed(keyset_page, n)
    rows: list[tuple[str, list[float], float]] = []
    for label, make, actor in kinds:
        terms = [make() for _ in range(n)]
        it = iter(terms)
        hits: list[int] = []

        def one() -> None:
            hits.append(len(search(actor=actor, q=next(it), limit=20)))  # noqa: B023

        rows.append((label, timed(one, n), statistics.mean(hits)))

    p50_page, p95_page = percentile(base_page, 50), percentile(base_page, 95)
    print()
    print(f"{'query':44} {'p50 ms':>8} {'p95 ms':>8} {'hits':>5} {'p50/page':>9} {'p95/page':>9}")
    print(f"{'baseline: primary-key lookup (ORM)':44} {percentile(base_pk, 50):8.2f} {percentile(base_pk, 95):8.2f} {'1':>5}")
    print(f"{'baseline: keyset page of 20 (ORM)':44} {p50_page:8.2f} {p95_page:8.2f} {'20':>5} {1:9.1f} {1:9.1f}")
    for label, times, mean_hits in rows:
        p50, p95 = percentile(times, 50), percentile(times, 95)
        print(f"{label:44} {p50:8.2f} {p95:8.2f} {mean_hits:5.1f} {p50 / p50_page:9.1f} {p95 / p95_page:9.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
