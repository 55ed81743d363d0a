"""``manage.py seed_demo``: the demo organisation (personas) and realistic customers for ``make demo``.

Idempotent: the organisation is created or brought up to date; accounts are created only when
there are none yet (``--force`` adds more). Every account goes through ``account_create`` so the
demo data carries the same audit trail as data a user typed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import translation
from faker import Faker

from guanxi.core.errors import GuanxiError
from guanxi.customers.classify import recompute_all
from guanxi.customers.dedupe import name_key, scan_duplicates
from guanxi.customers.demo_data import Owner, SeedResult, attach_contacts_and_orders, credit_code, generate
from guanxi.customers.models import Account, AccountKind, Nature
from guanxi.customers.phones import normalise_phone
from guanxi.customers.services import account_create
from guanxi.sales import demo_data as sales_demo
from guanxi.sales.models import Opportunity
from guanxi.service import demo_data as service_demo
from guanxi.service.models import Complaint
from guanxi.users.models import User
from guanxi.users.personas import DEMO_PASSWORD, create_demo_org

SEED = 2026
SERVICE_ACCOUNTS = 200

# (province, city, administrative division code used in the credit code, English city name)
PLACES: list[tuple[str, str, str, str]] = [
    ("北京市", "北京市", "110105", "Beijing"),
    ("上海市", "上海市", "310115", "Shanghai"),
    ("天津市", "天津市", "120116", "Tianjin"),
    ("重庆市", "重庆市", "500112", "Chongqing"),
    ("广东省", "广州市", "440106", "Guangzhou"),
    ("广东省", "深圳市", "440305", "Shenzhen"),
    ("广东省", "东莞市", "441900", "Dongguan"),
    ("浙江省", "杭州市", "330106", "Hangzhou"),
    ("浙江省", "宁波市", "330212", "Ningbo"),
    ("江苏省", "南京市", "320106", "Nanjing"),
    ("江苏省", "苏州市", "320505", "Suzhou"),
    ("江苏省", "无锡市", "320214", "Wuxi"),
    ("山东省", "济南市", "370102", "Jinan"),
    ("山东省", "青岛市", "370212", "Qingdao"),
    ("福建省", "厦门市", "350206", "Xiamen"),
    ("福建省", "福州市", "350102", "Fuzhou"),
    ("湖北省", "武汉市", "420106", "Wuhan"),
    ("湖南省", "长沙市", "430104", "Changsha"),
    ("四川省", "成都市", "510107", "Chengdu"),
    ("陕西省", "西安市", "610113", "Xi'an"),
    ("河南省", "郑州市", "410105", "Zhengzhou"),
    ("辽宁省", "沈阳市", "210102", "Shenyang"),
    ("辽宁省", "大连市", "210202", "Dalian"),
    ("安徽省", "合肥市", "340104", "Hefei"),
]

# 行业 word in the company name → industry shown on the account
INDUSTRIES: list[tuple[str, str]] = [
    ("机械制造", "机械制造"), ("电子科技", "电子信息"), ("软件", "软件和信息技术服务"), ("网络科技", "互联网"),
    ("新材料", "新材料"), ("生物医药", "医药"), ("医疗器械", "医疗器械"), ("食品", "食品饮料"),
    ("贸易", "批发零售"), ("物流", "交通运输"), ("建筑工程", "建筑业"), ("环保科技", "节能环保"),
    ("汽车零部件", "汽车"), ("纺织", "纺织服装"), ("化工", "化学原料"), ("文化传媒", "文化传媒"),
    ("教育科技", "教育"), ("能源", "能源"), ("精密仪器", "仪器仪表"), ("家具", "家居建材"),
]
FOREIGN_INDUSTRIES = ["Industrial automation", "Medical devices", "Consumer goods", "Logistics", "Software", "Chemicals"]
SOURCES = ["展会", "官网咨询", "老客户介绍", "电话营销", "网络推广", "行业协会", "招投标"]
NATURE_WEIGHTS = [(Nature.ORDINARY, 70), (Nature.PARTNER, 12), (Nature.SPECIAL, 10), (Nature.GOVERNMENT, 8)]
# Who owns the demo customers: the sales reps carry most, their manager a few.
OWNER_WEIGHTS = [("carol", 45), ("dave", 40), ("bob", 15)]
# The reps' selling skill (0–1) drives the sales story: carol asks the SPIN questions that win,
# bob (the manager) is solid, dave is learning (DOMAIN §2).
REP_SKILLS = {"carol": 0.9, "bob": 0.6, "dave": 0.15}


def mobile(fake: Faker) -> str:
    for _ in range(20):
        try:
            return normalise_phone(fake.phone_number())
        except ValueError:
            continue
    return "+8613800138000"


@dataclass
class Picker:
    rng: random.Random

    def weighted(self, pairs: list[tuple[Any, int]]) -> Any:
        return self.rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


class Command(BaseCommand):
    help = "Create the demo organisation (personas) and realistic demo customers. Safe to run again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--accounts", type=int, default=2000, help="How many accounts to create (default 2,000).")
        parser.add_argument("--orders-per-account", type=float, default=10.0, help="Average orders per account (default 10).")
        parser.add_argument("--force", action="store_true", help="Add accounts even if some exist already.")
        parser.add_argument("--seed", type=int, default=SEED, help="Random seed, for a reproducible demo.")
        parser.add_argument("--opportunities-per-account", type=float, default=3.0,
                            help="Average opportunities per account (default 3).")
        parser.add_argument("--activities-per-opportunity", type=float, default=5.0,
                            help="Average activities per opportunity (default 5).")
        parser.add_argument("--complaints-per-account", type=float, default=0.3,
                            help="Complaints per account over the last year (default 0.3).")
        parser.add_argument("--responses-per-account", type=float, default=0.8,
                            help="Satisfaction survey responses per account over the last year (default 0.8).")

    def handle(self, *args: Any, **options: Any) -> None:
        org = create_demo_org()
        self.stdout.write(f"Demo organisation ready. Sign in with password {DEMO_PASSWORD} as:")
        with translation.override("en"):
            for username, user in org.users.items():
                role = user.role.get_code_display() if user.role else ""
                self.stdout.write(f"  {username:<6} {role:<16} {user.display_name}")
        if Account.all_objects.exists() and not options["force"]:
            self.stdout.write(f"{Account.all_objects.count()} accounts exist already; not adding more (use --force).")
            if not Opportunity.all_objects.exists():  # a demo database from before sales existed
                self.seed_sales(org.users, Account.objects.all(), options)
            if not Complaint.all_objects.exists():  # ... or before service existed
                self.seed_service(org, Account.objects.all(), options)
            return
        count, seed = options["accounts"], options["seed"]
        last_before = Account.all_objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        # The first accounts go through account_create (audited like typed data); the rest, and every
        # contact and order, are written in batches so thousands load in seconds (demo_data).
        # A handful of typed-twice customers give the duplicates queue work (only at demo size).
        dupes = 5 if count >= 100 else 0
        by_service = min(count - dupes, SERVICE_ACCOUNTS)
        ids = self.seed_accounts(users=org.users, count=by_service, seed=seed)
        attached = attach_contacts_and_orders(ids, seed=seed, orders_per_account=options["orders_per_account"])
        generated = SeedResult(0, 0, 0)
        if count - dupes > by_service:
            owners = [Owner(u.pk, u.teams.order_by("pk").values_list("pk", flat=True).first(), u.department_id)
                      for name, u in org.users.items() if name in dict(OWNER_WEIGHTS)]
            generated = generate(accounts=count - dupes - by_service, owners=owners, seed=seed, orders_per_account=options["orders_per_account"],
                                 progress=lambda i, n: self.stdout.write(f"  {i:,} / {n:,} accounts") if i and i % 100_000 == 0 else None)
        made = self.seed_duplicates(org.users["carol"], dupes)
        recompute_all()
        duplicates = scan_duplicates()
        self.stdout.write(self.style.SUCCESS(
            f"Created {len(ids) + generated.accounts + made} accounts, {attached.contacts + generated.contacts} contacts and "
            f"{attached.orders + generated.orders} orders; classified them; {duplicates} possible duplicates queued."))
        self.seed_sales(org.users, Account.objects.filter(pk__gt=last_before), options)
        self.seed_service(org, Account.objects.filter(pk__gt=last_before), options)

    def seed_sales(self, users: dict[str, User], accounts: Any, options: dict[str, Any]) -> None:
        """Leads, opportunities, activities, SPIN calls, targets and forecasts for ``accounts`` (sales.demo_data)."""
        reps = [users[name] for name in REP_SKILLS]
        counts = sales_demo.generate(
            users=reps, accounts=accounts, seed=options["seed"], opportunities_per_account=options["opportunities_per_account"],
            activities_per_opportunity=options["activities_per_opportunity"],
            skills={users[name].pk: skill for name, skill in REP_SKILLS.items()})
        self.stdout.write(self.style.SUCCESS(
            f"Created {counts['opportunity']} opportunities, {counts['activity']} activities, {counts['callplan']} SPIN call plans, "
            f"{counts['lead']} leads and {counts['targets']} targets."))

    def seed_service(self, org: Any, accounts: Any, options: dict[str, Any]) -> None:
        """Complaints, follow-up visits and satisfaction surveys for ``accounts`` (service.demo_data)."""
        n = accounts.count()
        counts = service_demo.generate(org=org, accounts=accounts, complaints=round(n * options["complaints_per_account"]),
                                       responses=round(n * options["responses_per_account"]), seed=options["seed"])
        self.stdout.write(self.style.SUCCESS(
            f"Created {counts['complaints']} complaints, {counts['follow_ups']} follow-up visits, {counts['invitations']} survey "
            f"invitations and {counts['responses']} responses ({counts['answers']} answers)."))

    def seed_duplicates(self, owner: User, count: int) -> int:
        """A few typed-twice customers (股份有限公司 vs 有限公司), so the duplicates queue has work."""
        made = 0
        candidates = Account.objects.filter(owner=owner, name__endswith="有限公司").exclude(name__endswith="股份有限公司")
        for account in candidates[: count * 2]:
            if made == count:
                break
            try:
                account_create(actor=owner, data={"name": account.name.replace("有限公司", "股份有限公司"), "city": account.city,
                                                  "province": account.province, "phone": account.phone})
            except GuanxiError:
                continue
            made += 1
        return made

    def seed_accounts(self, *, users: dict[str, User], count: int, seed: int) -> list[int]:
        rng = random.Random(seed + Account.all_objects.count())
        pick = Picker(rng)
        zh, en = Faker("zh_CN"), Faker("en_US")
        zh.seed_instance(rng.random())
        en.seed_instance(rng.random())
        used_keys = set(Account.all_objects.values_list("name_key", flat=True))
        used_codes = set(Account.all_objects.exclude(credit_code=None).values_list("credit_code", flat=True))
        created: list[int] = []
        attempts = 0
        while len(created) < count and attempts < count * 10:
            attempts += 1
            owner = users[pick.weighted(OWNER_WEIGHTS)]
            data = self.account_data(pick, zh, en)
            key = name_key(data["name"])
            if key in used_keys or data.get("credit_code") in used_codes:
                continue
            try:
                account = account_create(actor=owner, data=data)
            except GuanxiError as exc:  # a generated duplicate or an odd value: draw another
                self.stderr.write(f"skipped {data['name']}: {exc}")
                continue
            used_keys.add(key)
            if data.get("credit_code"):
                used_codes.add(data["credit_code"])
            created.append(account.pk)
        return created

    def account_data(self, pick: Picker, zh: Faker, en: Faker) -> dict[str, Any]:
        rng = pick.rng
        province, city, division, city_en = rng.choice(PLACES)
        roll = rng.random()
        if roll < 0.10:
            # A private person buying for themselves (个人客户): no credit code.
            return {
                "kind": AccountKind.INDIVIDUAL, "nature": Nature.INDIVIDUAL, "name": zh.name(),
                "province": province, "city": city, "address": f"{city}{zh.street_address()}",
                "phone": mobile(zh), "source": rng.choice(SOURCES),
            }
        if roll < 0.22:
            # A foreign-invested enterprise (外商投资企业) registered in China.
            brand = en.last_name()
            return {
                "kind": AccountKind.COMPANY, "nature": Nature.ORDINARY,
                "name": f"{brand} {rng.choice(['Industries', 'Technologies', 'Trading', 'Medical', 'Systems'])} ({city_en}) Co., Ltd.",
                "short_name": brand, "credit_code": credit_code(rng.randrange(10**8), division), "industry": rng.choice(FOREIGN_INDUSTRIES),
                "province": province, "city": city, "address": f"{city}{zh.street_address()}", "phone": mobile(zh),
                "website": f"https://www.{brand.lower()}.example.com", "source": rng.choice(SOURCES),
                "notes": en.catch_phrase(),
            }
        brand = zh.company_prefix()
        word, industry = rng.choice(INDUSTRIES)
        suffix = rng.choice(["有限公司", "有限公司", "有限公司", "股份有限公司", "集团有限公司"])
        return {
            "kind": AccountKind.COMPANY, "nature": pick.weighted(NATURE_WEIGHTS),
            "name": f"{city.removesuffix('市')}{brand}{word}{suffix}", "short_name": brand,
            "credit_code": credit_code(rng.randrange(10**8), division), "industry": industry, "province": province, "city": city,
            "address": f"{city}{zh.street_address()}", "phone": mobile(zh), "source": rng.choice(SOURCES),
        }
