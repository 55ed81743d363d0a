"""Realistic demo and benchmark data for the customer archive, generated fast.

Companies with Chinese (and some English) names, valid 统一社会信用代码, Chinese mobile numbers and
provinces; 1–3 contacts each; orders whose value follows a Pareto distribution (a fifth of the
accounts bring most of the profit, DOMAIN §0 二八定律) with seasonality (a Spring-Festival dip
in February, a year-end peak). Rows are written in batches: COPY on PostgreSQL, executemany on
SQLite, so a million accounts and ten million orders load in minutes, not hours.

The generator writes rows directly (no per-record service call, no audit entry per row): it is
a loader for demos and benchmarks, not a way for users to create data.
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.db import connection, transaction
from stdnum.cn import uscc

from guanxi.customers.dedupe import name_key
from guanxi.dataio.bulk import RowWriter

PROVINCES = [
    ("北京", ["北京"], "110000"), ("上海", ["上海"], "310000"), ("广东", ["广州", "深圳", "佛山", "东莞"], "440000"),
    ("浙江", ["杭州", "宁波", "温州"], "330000"), ("江苏", ["南京", "苏州", "无锡"], "320000"), ("四川", ["成都", "绵阳"], "510000"),
    ("湖北", ["武汉", "宜昌"], "420000"), ("山东", ["济南", "青岛", "烟台"], "370000"), ("福建", ["福州", "厦门"], "350000"),
    ("陕西", ["西安"], "610000"), ("天津", ["天津"], "120000"), ("重庆", ["重庆"], "500000"), ("河南", ["郑州", "洛阳"], "410000"),
    ("湖南", ["长沙"], "430000"), ("辽宁", ["沈阳", "大连"], "210000"),
]
BRANDS = list("华鼎盛恒泰瑞德信达通宏远顺安康新美中天海金银星光明辉嘉兴旺隆昌丰晨博创思源亿联汇科")
INDUSTRY_WORDS = [
    ("科技", "信息技术"), ("软件", "信息技术"), ("网络", "信息技术"), ("电子", "电子制造"), ("机械", "装备制造"), ("汽车配件", "汽车"),
    ("贸易", "批发零售"), ("物流", "交通物流"), ("医药", "医药健康"), ("生物", "医药健康"), ("食品", "食品饮料"), ("建材", "建筑建材"),
    ("新能源", "能源"), ("化工", "化工"), ("纺织", "纺织服装"), ("文化传媒", "文化传媒"), ("教育咨询", "教育"), ("环保", "环保"),
]
SUFFIXES = ["有限公司", "有限公司", "有限公司", "股份有限公司", "有限责任公司", "集团有限公司"]
EN_WORDS = ["Pacific", "Harbor", "Summit", "Evergreen", "Orient", "Silk Road", "Jade", "Lotus", "Golden Gate", "Blue Ocean",
            "Pearl River", "Great Wall", "Northstar", "Redwood", "Meridian", "Crescent", "Horizon", "Atlas", "Sterling", "Beacon"]
EN_CITIES = ["Shanghai", "Beijing", "Shenzhen", "Suzhou", "Hangzhou", "Guangzhou", "Tianjin", "Chengdu", "Wuhan", "Xiamen"]
EN_KINDS = [("Trading", "批发零售"), ("Technologies", "信息技术"), ("Logistics", "交通物流"), ("Medical", "医药健康"), ("Foods", "食品饮料")]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉建国红梅文斌宇浩凯佳欣怡晨阳")
TITLES = ["总经理", "采购经理", "技术总监", "财务主管", "销售总监", "行政经理", "IT经理", "董事长", "项目经理", "采购专员"]
MOBILE_PREFIXES = ["130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152", "155", "158", "159", "166",
                   "177", "180", "182", "185", "186", "187", "188", "189", "191", "198", "199"]
NATURES = [("ordinary", 0.72), ("partner", 0.12), ("government", 0.06), ("special", 0.04), ("individual", 0.06)]
SOURCES = ["展会", "官网", "转介绍", "电话营销", "渠道伙伴", "老客户推荐", "Trade show", "Website"]
# Seasonality: February (春节) dips, Q4 peaks.
BULK_INDEX_THRESHOLD = 50_000
MONTH_WEIGHT = [0.9, 0.45, 0.95, 1.0, 1.0, 1.05, 0.95, 0.9, 1.05, 1.1, 1.25, 1.4]
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def org_code(serial: int) -> str:
    """A 9-character organisation code (GB 11714) with its check character."""
    body = f"{(serial * 7919 + 13_000_000) % 10**8:08d}"
    total = sum(_ORG_ALPHABET.index(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def credit_code(serial: int, division: str) -> str:
    """A valid 统一社会信用代码 for enterprise number ``serial`` registered in ``division``."""
    first17 = "91" + division + org_code(serial)
    return first17 + uscc.calc_check_digit(first17)


def mobile(rng: random.Random) -> str:
    return "+86" + rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


@dataclass
class Owner:
    user_id: int | None
    team_id: int | None
    department_id: int | None


@dataclass
class SeedResult:
    accounts: int
    contacts: int
    orders: int


def _search(name: str, short: str, code: str, phones: Sequence[str], emails: Sequence[str] = ()) -> tuple[str, str]:
    """(search_text, name_sort) in one pass over the name."""
    from guanxi.customers.search import search_fields_for

    return search_fields_for(SimpleNamespace(name=name, short_name=short, credit_code=code, phone="", other_phones=list(phones),
                                             email=emails[0] if emails else "", wechat=""))


def company(rng: random.Random, serial: int) -> dict[str, Any]:
    province, cities, division = rng.choice(PROVINCES)
    city = rng.choice(cities)
    if rng.random() < 0.12:
        word, (kind_en, industry) = rng.choice(EN_WORDS), rng.choice(EN_KINDS)
        name = f"{word} {kind_en} ({rng.choice(EN_CITIES)}) Co., Ltd."
        short = f"{word} {kind_en}"
    else:
        brand = "".join(rng.sample(BRANDS, 2))
        word, industry = rng.choice(INDUSTRY_WORDS)
        short = brand + word
        # Beyond the demo size, a serial keeps names distinct as real registries are.
        tail = f"第{serial}" if serial > 20_000 else ""
        name = f"{city}{brand}{word}{tail}{rng.choice(SUFFIXES)}"
    nature = rng.choices([n for n, _ in NATURES], weights=[w for _, w in NATURES])[0]
    return {
        "name": name, "short_name": short, "province": province, "city": city, "industry": industry, "nature": nature,
        "kind": "individual" if nature == "individual" else "company",
        "credit_code": None if nature == "individual" else credit_code(serial, division),
        "phone": mobile(rng) if rng.random() < 0.5 else f"+86{rng.choice(['10', '21', '20', '755', '571', '28'])}{rng.randrange(10**7, 10**8)}",
        "address": f"{city}市{rng.choice(['高新区', '经开区', '中心区', '滨海新区'])}{rng.randrange(1, 999)}号",
        "source": rng.choice(SOURCES),
    }


def _pareto_size(rng: random.Random) -> float:
    # alpha ≈ 1.16 gives the classic 80/20 split.
    return min(rng.paretovariate(1.16), 500.0)


def _order_dates(rng: random.Random, count: int, start: date, end: date) -> list[date]:
    span = (end - start).days
    dates: list[date] = []
    while len(dates) < count:
        d = start + timedelta(days=rng.randrange(max(1, span)))
        if rng.random() < MONTH_WEIGHT[d.month - 1] / 1.4:
            dates.append(d)
    return dates


def _next_id(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')  # noqa: S608 - table names are constants here
        return int(cursor.fetchone()[0]) + 1


def _fix_sequence(table: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT COALESCE(MAX(id), 1) FROM \"{table}\"))")  # noqa: S608


ACCOUNT_COLS = ("id", "created_at", "updated_at", "version", "owner_id", "team_id", "department_id", "kind", "name", "short_name",
                "credit_code", "nature", "industry", "province", "city", "address", "phone", "other_phones", "website", "source",
                "notes", "custom", "search_text", "name_sort", "name_key", "last_activity_at")
CONTACT_COLS = ("id", "created_at", "updated_at", "version", "owner_id", "team_id", "department_id", "name", "title",
                "department_name", "mobile", "other_phones", "email", "wechat", "notes", "custom", "search_text", "name_sort")
LINK_COLS = ("contact_id", "account_id", "is_primary")
ORDER_COLS = ("created_at", "updated_at", "version", "account_id", "order_date", "status", "amount", "gross_profit", "currency",
              "notes", "custom")


class _Generator:
    """Holds the random source, the batch writers and the id counters of one seeding run."""

    def __init__(self, *, seed: int, orders_per_account: float, today: date | None) -> None:
        self.rng = random.Random(seed)
        self.today = today or date.today()
        self.start = self.today.replace(year=self.today.year - 3, day=1)
        self.now = datetime.now(UTC)
        self.accounts = RowWriter("customers_account", ACCOUNT_COLS)
        self.contacts = RowWriter("customers_contact", CONTACT_COLS)
        self.links = RowWriter("customers_contactaccount", LINK_COLS)
        self.orders = RowWriter("customers_order", ORDER_COLS)
        self.contact_id = _next_id("customers_contact")
        # E[√size] = α/(α−0.5) ≈ 1.76 for α = 1.16, and 85 % of accounts order: scale to the requested mean.
        self.scale = orders_per_account / (0.85 * 1.76)

    def orders_for(self, account_id: int, created: datetime) -> datetime:
        """Write the account's orders; returns the time of its last activity."""
        rng = self.rng
        # Profit ∝ size: half of it from more orders, half from bigger ones (√size each).
        root = math.sqrt(_pareto_size(rng))
        n_orders = 0 if rng.random() < 0.15 else max(1, round(root * self.scale * rng.uniform(0.5, 1.5)))
        last_activity = created
        for d in _order_dates(rng, n_orders, max(self.start, created.date()), self.today) if n_orders else []:
            amount = Decimal(int(root * rng.lognormvariate(8.5, 0.6))).quantize(Decimal("1.00"))
            margin = Decimal(str(round(rng.uniform(0.08, 0.4), 3)))
            recent = (self.today - d).days < 20 and rng.random() < 0.6
            status = "open" if recent else rng.choice(["completed", "completed", "delivered"])
            self.orders.add((self.now, self.now, 1, account_id, d, status, amount, (amount * margin).quantize(Decimal("1.00")),
                             "CNY", "", "{}"))
            last_activity = max(last_activity, datetime.combine(d, datetime.min.time(), tzinfo=UTC))
        return last_activity

    def contacts_for(self, account_id: int, owner: Owner, created: datetime) -> None:
        rng = self.rng
        for k in range(rng.choice((1, 1, 2, 3))):
            person = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))
            phone = mobile(rng)
            email = f"contact{self.contact_id}@example.cn"
            c_search, c_sort = _search(person, "", "", [phone], [email])
            self.contacts.add((self.contact_id, created, created, 1, owner.user_id, owner.team_id, owner.department_id, person,
                               rng.choice(TITLES), "", phone, "[]", email, "", "", "{}", c_search, c_sort))
            self.links.add((self.contact_id, account_id, k == 0))
            self.contact_id += 1

    def flush(self) -> None:
        for writer in (self.accounts, self.contacts, self.links, self.orders):
            writer.flush()

    def finish(self) -> SeedResult:
        self.flush()
        for table in ("customers_account", "customers_contact", "customers_contactaccount", "customers_order"):
            _fix_sequence(table)
        return SeedResult(accounts=self.accounts.count, contacts=self.contacts.count, orders=self.orders.count)


def _write_accounts(gen: _Generator, *, count: int, first_id: int, serial0: int, owners: Sequence[Owner], pool_share: float,
                    seen: set[str], progress: Callable[[int, int], None] | None, total: int) -> None:
    rng = gen.rng
    account_id = first_id
    for i in range(count):
        c = company(rng, serial0 + i)
        key = name_key(c["name"])
        for _attempt in range(5):  # distinct companies, as in a real registry (the dedupe queue stays meaningful)
            if key not in seen:
                break
            c = company(rng, serial0 + i)
            key = name_key(c["name"])
        else:
            c["name"] = c["name"].replace("有限公司", f"{i}号有限公司") if "有限公司" in c["name"] else f"{c['name']} {i}"
            key = name_key(c["name"])
        seen.add(key)
        owner = Owner(None, None, None) if rng.random() < pool_share else rng.choice(owners)
        created = gen.now - timedelta(days=rng.randrange(30, 3 * 365))
        search_text, name_sort = _search(c["name"], c["short_name"], c["credit_code"] or "", [c["phone"]])
        last_activity = gen.orders_for(account_id, created)
        gen.accounts.add((account_id, created, created, 1, owner.user_id, owner.team_id, owner.department_id, c["kind"],
                          c["name"], c["short_name"], c["credit_code"], c["nature"], c["industry"], c["province"], c["city"],
                          c["address"], c["phone"], "[]", "", c["source"], "", "{}", search_text, name_sort, key, last_activity))
        gen.contacts_for(account_id, owner, created)
        account_id += 1
        if progress and i and i % 50_000 == 0:
            progress(i, total)


# Tables the bulk path loads with their secondary indexes and foreign keys dropped, rebuilt once at the end.
BULK_TABLES = ("customers_account", "customers_contact", "customers_contactaccount", "customers_order")


def _part(index: int, parts: int, *, seed: int, orders_per_account: float, today: date | None, count: int, first_id: int,
          first_contact_id: int, serial0: int, owners: Sequence[Owner], pool_share: float, total: int,
          progress: Callable[[int, int], None] | None) -> None:
    """One worker process's share of a bulk load: its own connection, its own transaction."""
    gen = _Generator(seed=seed * 1000 + index, orders_per_account=orders_per_account, today=today)
    gen.contact_id = first_contact_id
    with transaction.atomic():
        _write_accounts(gen, count=count, first_id=first_id, serial0=serial0, owners=owners, pool_share=pool_share,
                        seen=set(), progress=progress if index == 0 else None, total=total // parts)
        gen.flush()


def _bulk_generate(*, accounts: int, owners: Sequence[Owner], seed: int, orders_per_account: float, today: date | None,
                   progress: Callable[[int, int], None] | None, pool_share: float, workers: int) -> SeedResult:
    """PostgreSQL, large loads: drop the four tables' secondary indexes (search GIN included) and
    foreign keys, let ``workers`` processes generate disjoint id ranges in parallel (each COPYing
    through its own connection), then rebuild indexes and constraints once, two at a time.
    Maintaining indexes row by row costs far more than building them (PERF-NOTES, loading data)."""
    import multiprocessing

    from django.db import connections

    from guanxi.dataio.bulk import restore_indexes, suspend_indexes

    first_id = _next_id("customers_account")
    first_contact = _next_id("customers_contact")
    with transaction.atomic():
        restore = suspend_indexes(BULK_TABLES)
    share = -(-accounts // workers)
    jobs = []
    connections.close_all()  # each child opens its own connection; never share the parent's socket
    context = multiprocessing.get_context("fork")
    for k in range(workers):
        count = min(share, accounts - k * share)
        if count <= 0:
            break
        kwargs = {"seed": seed, "orders_per_account": orders_per_account, "today": today, "count": count,
                  "first_id": first_id + k * share, "first_contact_id": first_contact + k * share * 3,
                  "serial0": first_id + k * share, "owners": owners, "pool_share": pool_share, "total": accounts, "progress": progress}
        process = context.Process(target=_run_part, args=(k, workers), kwargs=kwargs)
        process.start()
        jobs.append(process)
    for process in jobs:
        process.join()
    failed = [p.exitcode for p in jobs if p.exitcode != 0]
    for table in BULK_TABLES:
        _fix_sequence(table)
    restore_indexes(restore, BULK_TABLES)
    if failed:
        raise RuntimeError(f"{len(failed)} generator processes failed (exit codes {failed}); see their output above.")
    from guanxi.customers.models import Account, Contact, Order

    return SeedResult(accounts=Account.all_objects.filter(pk__gte=first_id).count(),
                      contacts=Contact.all_objects.filter(pk__gte=first_contact).count(),
                      orders=Order.all_objects.filter(account_id__gte=first_id).count()) if not failed else SeedResult(0, 0, 0)


def _run_part(index: int, parts: int, **kwargs: Any) -> None:
    from django.db import connections

    try:
        _part(index, parts, **kwargs)
    finally:
        connections.close_all()


def generate(
    *, accounts: int, owners: Sequence[Owner], seed: int = 2026, orders_per_account: float = 10.0, today: date | None = None,
    progress: Callable[[int, int], None] | None = None, pool_share: float = 0.03, workers: int | None = None,
) -> SeedResult:
    """Write ``accounts`` accounts with contacts and orders (about ``orders_per_account`` each on average).

    On PostgreSQL from ``BULK_INDEX_THRESHOLD`` accounts up, the load runs in ``workers`` processes
    (default: the number of CPUs, at most 4) with indexes rebuilt once at the end. The data is
    deterministic for a given seed and number of workers."""
    from guanxi.customers.models import Account

    if connection.vendor == "postgresql" and accounts >= BULK_INDEX_THRESHOLD:
        workers = workers or max(1, min(4, os.cpu_count() or 1))
        return _bulk_generate(accounts=accounts, owners=owners, seed=seed, orders_per_account=orders_per_account, today=today,
                              progress=progress, pool_share=pool_share, workers=workers)
    gen = _Generator(seed=seed, orders_per_account=orders_per_account, today=today)
    first_id = _next_id("customers_account")
    with transaction.atomic():  # foreign keys are checked at commit, so batch order does not matter
        seen = set(Account.objects.values_list("name_key", flat=True))
        _write_accounts(gen, count=accounts, first_id=first_id, serial0=first_id, owners=owners, pool_share=pool_share,
                        seen=seen, progress=progress, total=accounts)
        result = gen.finish()
    if progress:
        progress(accounts, accounts)
    return result


def attach_contacts_and_orders(account_ids: Sequence[int], *, seed: int = 2026, orders_per_account: float = 10.0,
                               today: date | None = None) -> SeedResult:
    """Give existing accounts (e.g. created through the services by ``seed_demo``) contacts and a
    Pareto-distributed order history, and set their last activity accordingly."""
    from guanxi.customers.models import Account

    gen = _Generator(seed=seed, orders_per_account=orders_per_account, today=today)
    with transaction.atomic():
        rows = Account.objects.filter(pk__in=list(account_ids)).values_list("pk", "owner_id", "team_id", "department_id", "created_at")
        activity = []
        for pk, owner_id, team_id, department_id, created_at in rows:
            created = min(created_at, gen.now - timedelta(days=gen.rng.randrange(30, 3 * 365)))
            activity.append(Account(pk=pk, last_activity_at=gen.orders_for(pk, created)))
            gen.contacts_for(pk, Owner(owner_id, team_id, department_id), created)
        result = gen.finish()
        Account.objects.bulk_update(activity, ["last_activity_at"], batch_size=1000)
    return result
