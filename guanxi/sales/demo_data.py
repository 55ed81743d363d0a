"""Realistic demo and benchmark data for sales (DOMAIN §2), generated fast for existing accounts.

For accounts and contacts that already exist (the archive's ``customers.demo_data``), it writes a
product catalogue with a default price list, leads, opportunities in the default pipeline with
their lines, buying-group contacts and stage history, activities (calls, visits, meetings, emails,
tasks), SPIN call plans with the questions asked and the needs found, targets for the current year
and monthly forecast snapshots. The distributions are chosen so the dashboards tell a story:

* amounts are log-normal and larger for the accounts that buy more (Pareto, DOMAIN §0 二八定律);
  closing follows the archive's seasonality (a Spring-Festival dip, a year-end peak);
* most open deals sit in the early stages; about 30 % of closed deals are won, the rest lost with
  a reason; each rep has a skill factor (0–1) that lifts the win rate;
* SPIN (DOMAIN §2): the P:S ratio grows with skill and the best reps ask ~10× more N questions
  than the weakest; their calls surface more explicit needs and end more often in an advance or
  an order;
* every rep has open deals, activities due today, some overdue and some in the next two weeks, so
  "my day" is populated; targets are near what each rep actually won (some above, some below) and
  add up: team = sum of its reps, company = sum of the teams.

Rows are written directly, not through services (no audit entry per row): COPY on PostgreSQL,
executemany on SQLite. Large PostgreSQL loads drop the secondary indexes and foreign keys of the
tables they fill and rebuild them once at the end (cheaper than maintaining them row by row).
Deterministic: the same seed, ``now`` and database contents give the same rows.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from guanxi.customers.demo_data import MONTH_WEIGHT, SURNAMES, TITLES, company, mobile
from guanxi.dataio.bulk import RowWriter, restore_indexes, suspend_indexes

# Loads at least this big (opportunities) rebuild indexes and foreign keys once instead of per row.
BULK_THRESHOLD = 100_000
OPEN_STAGES = ("initial", "needs", "proposal", "negotiation")
OPEN_STAGE_WEIGHTS = (0.36, 0.28, 0.21, 0.15)  # most open deals are early
LOST_FROM_WEIGHTS = (0.35, 0.30, 0.20, 0.15)  # deals are lost early more often than late
OPEN_SHARE = 0.4
ACTIVITY_KINDS = ("call", "email", "visit", "meeting", "task")
ACTIVITY_WEIGHTS = tuple(accumulate((0.34, 0.2, 0.16, 0.1, 0.2)))
PLAN_SHARE = {"visit": 0.6, "call": 0.3}  # share of visits / calls prepared with a SPIN plan
ROLES = ("decision_maker", "economic_buyer", "technical_buyer", "user", "influencer", "gatekeeper", "champion")
DECISION_TYPES = ("authoritative", "consultative", "consensus")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉建国红梅文斌宇浩凯佳欣怡晨阳")
LEAD_SOURCES = ("展会", "官网咨询", "老客户介绍", "电话营销", "网络推广", "行业协会", "招投标", "Website")
DISQUALIFY = ("无预算", "已选竞品", "非目标客户", "联系不上", "需求不明确")

# code, name, unit, list price (CNY)
PRODUCTS: list[tuple[str, str, str, int]] = [
    ("CRM-STD", "关系CRM 标准版 年度订阅（每用户）", "用户/年", 1_800), ("CRM-PRO", "关系CRM 专业版 年度订阅（每用户）", "用户/年", 3_600),
    ("CRM-ENT", "关系CRM 企业版 年度订阅（每用户）", "用户/年", 6_800), ("CRM-MOB", "移动销售助手", "用户/年", 600),
    ("SVC-IMPL-S", "实施服务（小型）", "项", 30_000), ("SVC-IMPL-M", "实施服务（中型）", "项", 120_000),
    ("SVC-IMPL-L", "实施服务（大型）", "项", 380_000), ("SVC-TRAIN", "用户培训", "天", 6_000),
    ("SVC-CONSULT", "销售流程咨询", "人天", 8_000), ("SVC-MIGR", "历史数据迁移", "项", 45_000),
    ("INT-ERP", "ERP 集成接口", "套", 60_000), ("INT-WECOM", "企业微信集成", "套", 25_000),
    ("INT-DINGTALK", "钉钉集成", "套", 25_000), ("INT-API", "开放 API 调用包", "百万次", 12_000),
    ("MOD-SPIN", "SPIN 拜访辅导模块", "用户/年", 1_200), ("MOD-FCST", "销售预测模块", "套/年", 48_000),
    ("MOD-SVC", "客服工单模块", "用户/年", 2_400), ("MOD-MKT", "营销活动模块", "套/年", 66_000),
    ("MOD-KA", "大客户管理模块", "套/年", 88_000), ("MOD-BI", "经营分析看板", "套/年", 52_000),
    ("HW-PAD", "销售平板终端", "台", 3_200), ("HW-SCAN", "名片扫描仪", "台", 900), ("HW-SRV", "私有化部署服务器", "台", 68_000),
    ("SUP-STD", "标准运维支持", "年", 20_000), ("SUP-PREM", "7×24 尊享支持", "年", 90_000),
    ("SEC-AUDIT", "等保测评配合服务", "项", 35_000), ("SEC-SSO", "单点登录组件", "套", 18_000),
    ("CLOUD-PRIV", "专属云实例", "年", 150_000), ("CLOUD-STOR", "附加存储 1TB", "TB/年", 2_000),
    ("EN-GLOBAL", "Global edition (multi-currency, English UI)", "user/year", 4_800),
]

# (kind, text, industry); industry "" = every industry. Managers curate this library in the app.
QUESTIONS: list[tuple[str, str, str]] = [
    ("S", "贵公司目前有多少名销售人员？分几个团队？", ""), ("S", "现在客户信息主要记录在哪里？Excel 还是某个系统？", ""),
    ("S", "贵公司成立多少年了？去年的营业额大概是多少？", ""), ("S", "目前的销售模式是直销为主还是渠道为主？", ""),
    ("S", "一个典型订单从接触到签约一般需要多长时间？", ""), ("S", "销售经理每周怎么了解团队的跟进情况？", ""),
    ("S", "贵公司采购软件一般由哪个部门牵头？", ""),
    ("P", "销售离职时，客户资料能完整交接吗？", ""), ("P", "月底汇总销售预测时，数字准确吗？", ""),
    ("P", "您对现在的报价审批速度满意吗？", ""), ("P", "有没有出现过两个销售同时跟进同一个客户的情况？", ""),
    ("P", "老客户的复购情况您能及时掌握吗？", ""), ("P", "新销售上手需要多长时间？难点在哪里？", ""),
    ("I", "客户资料流失，对续约率有什么影响？", ""), ("I", "预测不准的话，对备货和现金流会造成什么后果？", ""),
    ("I", "报价慢一两天，会不会让竞争对手抢先？去年因此丢过单吗？", ""), ("I", "撞单引起的内部矛盾，对团队士气影响大吗？", ""),
    ("I", "如果这些问题持续一年，对今年的业绩目标意味着什么？", ""),
    ("N", "如果客户资料自动沉淀在系统里，对您有什么帮助？", ""), ("N", "预测准确率提高到九成，能为公司节省多少库存成本？", ""),
    ("N", "报价当天就能审批完，对赢单率会有什么好处？", ""), ("N", "如果新人一个月就能独立跟单，对扩张计划意味着什么？", ""),
    ("N", "经理能实时看到每个销售的拜访质量，这对您重要吗？为什么？", ""),
    ("N", "解决了撞单问题，您觉得团队能多出多少时间做新客户？", ""),
    ("S", "车间现在有几条产线？设备联网了吗？", "机械制造"), ("P", "经销商的库存和销量数据能及时拿到吗？", "机械制造"),
    ("I", "备件交付延误，对大客户的满意度影响有多大？", "机械制造"),
    ("N", "如果售后工单和销售机会打通，对续签服务合同有什么帮助？", "机械制造"),
    ("S", "贵公司的项目制销售占比多少？", "软件和信息技术服务"), ("P", "售前资源是不是经常不够用？", "软件和信息技术服务"),
    ("I", "售前排期冲突，会不会导致重要项目投标失利？", "软件和信息技术服务"),
    ("N", "如果能按机会金额和阶段分配售前资源，您估计中标率能提高多少？", "软件和信息技术服务"),
    ("S", "医院客户和经销商客户分别由谁负责？", "医药"), ("P", "学术推广活动的效果现在好衡量吗？", "医药"),
    ("I", "合规记录不完整，会带来什么风险？", "医药"), ("N", "如果每次拜访都有合规留痕，对审计有什么帮助？", "医药"),
    ("S", "How many people are in your sales team today?", ""), ("P", "Are you satisfied with how forecasts are consolidated?", ""),
    ("I", "What does a lost renewal cost you in a typical year?", ""),
    ("N", "How would a single view of every customer help your managers?", ""),
]
HIDDEN_NEEDS = ("客户资料分散在个人电脑里", "月底预测靠经验拍脑袋", "报价审批流程太长", "撞单纠纷时有发生", "新人培养周期长",
                "老客户复购没人跟进", "售后与销售信息不通", "Managers lack visibility of the pipeline")
EXPLICIT_NEEDS = ("三个月内上线统一的客户管理平台", "预测准确率提升到 90% 以上", "报价审批一天内完成", "按区域自动分配客户，杜绝撞单",
                  "新销售一个月内独立跟单", "续约提醒自动推送给负责人", "工单与商机在同一视图", "A weekly pipeline review in one screen")
SUBJECTS = {
    "call": ("电话跟进：{a}", "电话确认需求：{a}", "回访电话：{a}", "Follow-up call: {a}"),
    "visit": ("拜访{a}", "上门演示：{a}", "拜访{a}关键决策人"),
    "meeting": ("方案评审会：{a}", "商务谈判会议：{a}", "线上演示会议：{a}"),
    "email": ("发送方案与报价：{a}", "邮件跟进：{a}", "Send proposal to {a}"),
    "task": ("准备{a}合同草稿", "整理{a}需求清单", "申请{a}特价审批"),
}
OBJECTIVES = ("了解现状与组织架构", "确认痛点与预算", "推动方案评审", "约见最终决策人", "争取签约意向")
RESULTS = ("客户对方案有兴趣，约定下周再沟通", "已发送资料，等待反馈", "客户确认预算在审批中", "客户提出新的需求，需评估",
           "对接人出差，改期", "Customer asked for a reference visit")
LOSS_NOTES = ("价格高于竞品约 15%", "客户预算被砍", "决策人更换", "选择了现有供应商的升级方案", "")


@dataclass(frozen=True)
class Rep:
    user_id: int
    team_id: int | None
    department_id: int | None
    skill: float  # 0 (novice) … 1 (top seller)


@dataclass
class _Stages:
    ids: dict[str, int]
    probability: dict[str, int]
    pipeline_id: int
    loss_reasons: list[int]


def _next_id(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')  # noqa: S608 - table names are constants here
        return int(cursor.fetchone()[0]) + 1


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _month_start(day: date, months: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def default_skills(user_ids: Sequence[int], seed: int) -> dict[int, float]:
    """Skills spread evenly over 0.1–1.0 in a seeded order, so some reps are clearly better."""
    order = sorted(user_ids)
    random.Random(seed).shuffle(order)
    step = 0.9 / max(1, len(order) - 1)
    return {uid: round(1.0 - i * step, 3) for i, uid in enumerate(order)}


def spin_means(skill: float) -> tuple[float, float, float, float]:
    """Expected S, P, I, N questions per call for a rep of ``skill`` (DOMAIN §2: the P:S ratio
    grows with experience; the best ask ~10× more N questions than the weakest)."""
    return 3.4 - 2.0 * skill, 1.4 + 2.2 * skill, 0.3 + 2.2 * skill, 0.3 + 3.0 * skill * skill


TABLES = ("sales_lead", "sales_opportunity", "sales_opportunityline", "sales_opportunitycontact", "sales_stagechange",
          "sales_activity", "sales_callplan", "sales_callquestion", "sales_callneed")
OWNED = "created_at updated_at deleted_at deleted_by_id version owner_id team_id department_id created_by_id"


class _Generator:
    def __init__(self, *, seed: int, now: datetime, reps: list[Rep], stages: _Stages, products: list[tuple[int, int]],
                 questions: dict[str, dict[str, list[tuple[int, str]]]], activities_per_opportunity: float) -> None:
        self.rng = random.Random(seed)
        self.now = now.replace(microsecond=0)
        tz = ZoneInfo(settings.TIME_ZONE)
        local = self.now.astimezone(tz)
        self.today = local.date()
        self.midnight = datetime(local.year, local.month, local.day, tzinfo=tz).astimezone(UTC)  # today 00:00, local
        self.reps, self.stages, self.products, self.questions = reps, stages, products, questions
        self.per_opp = activities_per_opportunity
        w = {t: RowWriter(t, c) for t, c in (
            ("sales_lead", f"id {OWNED} name company title mobile email wechat credit_code industry province city source status "
                           "has_budget has_authority has_need has_timeline disqualify_reason notes converted_at "
                           "converted_account_id converted_contact_id converted_opportunity_id"),
            ("sales_opportunity", f"id {OWNED} name account_id pipeline_id stage_id is_open amount currency probability "
                                  "expected_close decision_type source lead_id loss_reason_id loss_note closed_at stage_entered_at "
                                  "board_rank notes"),
            ("sales_opportunityline", "opportunity_id product_id quantity unit_price discount_pct"),
            ("sales_opportunitycontact", "opportunity_id contact_id role"),
            ("sales_stagechange", "opportunity_id from_stage_id to_stage_id changed_at changed_by_id seconds_in_previous"),
            ("sales_activity", f"id {OWNED} kind subject description due_at duration_minutes remind_minutes_before remind_at "
                               "reminded_at done_at result account_id contact_id opportunity_id"),
            ("sales_callplan", "id created_at updated_at version activity_id objective outcome logged_at next_step_id s_asked p_asked "
                               "i_asked n_asked hidden_needs explicit_needs"),
            ("sales_callquestion", "plan_id library_question_id kind text position asked"),
            ("sales_callneed", "plan_id kind text"),
        )}
        self.w = w
        self.ids = {t: _next_id(t) for t in ("sales_lead", "sales_opportunity", "sales_activity", "sales_callplan")}
        # Closing months: the last twelve, weighted by the archive's seasonality.
        months = [_month_start(self.today, -k) for k in range(12, -1, -1)]
        self.close_months = [(m, min((_month_start(m, 1) - self.today).days, 1)) for m in months]
        self.close_cum = list(accumulate(MONTH_WEIGHT[m.month - 1] for m in months))
        ahead = [_month_start(self.today, k) for k in range(7)]
        self.open_months = ahead
        self.open_cum = list(accumulate(MONTH_WEIGHT[m.month - 1] for m in ahead))
        self.won: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0])  # (rep, month) → [cents, deals]
        self.snapshot_months = [_month_start(self.today, -k) for k in range(6, -1, -1)]
        self.forecast: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0, 0])  # weighted, best case, deals
        self.forecast_months_set = frozenset(self.snapshot_months)
        self.rep_open: dict[int, list[tuple[int, int, int | None]]] = defaultdict(list)  # rep → (opp, account, contact)
        self.product_names: dict[int, str] = {}
        self.accounts: dict[int, tuple[int, str, str]] = {}

    # --- time helpers ----------------------------------------------------------------------------
    def at(self, day_offset: float) -> datetime:
        """A moment ``day_offset`` days from today's local midnight, moved into working hours."""
        day = math.floor(day_offset)
        minutes = 9 * 60 + self.rng.randrange(0, 9 * 60, 15)
        return self.midnight + timedelta(days=day, minutes=minutes)

    def day_in(self, cum: list[float], months: list[date], not_before: date | None = None,
               not_after: date | None = None) -> date:
        m = self.rng.choices(months, cum_weights=cum)[0]
        first, last = m, _month_start(m, 1) - timedelta(days=1)
        if not_before and first < not_before:
            first = not_before
        if not_after and last > not_after:
            last = not_after
        return first + timedelta(days=self.rng.randrange(max(1, (last - first).days + 1)))

    # --- one opportunity -------------------------------------------------------------------------
    def opportunity(self, account: tuple[int, str, str], rep: Rep, contacts: Sequence[int], size: float,
                    lead_id: int | None) -> int:
        rng, st = self.rng, self.stages
        account_id, short, _industry = account
        opp_id = self.ids["sales_opportunity"]
        self.ids["sales_opportunity"] += 1
        is_open = rng.random() < OPEN_SHARE
        if is_open:
            k = rng.choices(range(4), OPEN_STAGE_WEIGHTS)[0]
            path = list(OPEN_STAGES[: k + 1])
            age = min(rng.lognormvariate(math.log(18 + 14 * k), 0.6), 330.0)
            created = self.now - timedelta(days=age)
            end = self.now
            slipped = rng.random() < 0.12
            expected = (self.today - timedelta(days=rng.randrange(1, 60))) if slipped else self.day_in(
                self.open_cum, self.open_months, not_before=self.today)
            closed_at = None
        else:
            won = rng.random() < 0.2 + 0.18 * rep.skill
            close_day = self.day_in(self.close_cum, [m for m, _ in self.close_months], not_after=self.today - timedelta(days=1))
            end = self.at((close_day - self.today).days)
            if won:
                path = [s for s in OPEN_STAGES if s != "needs" or rng.random() > 0.1] + ["won"]
            else:
                path = [*OPEN_STAGES[: rng.choices(range(4), LOST_FROM_WEIGHTS)[0] + 1], "lost"]
            age = min(rng.lognormvariate(math.log(25 + 12 * len(path)), 0.55), 360.0)
            created = end - timedelta(days=age)
            expected, closed_at = close_day, end
        # Time spent in each stage: random shares of the deal's life; the last open stage may still be running.
        open_steps = len(path) if is_open else len(path) - 1
        shares = [rng.random() + 0.2 for _ in range(open_steps)]
        total = sum(shares)
        span = (end - created).total_seconds()
        moments, t = [created], created
        for share in shares[:-1] if is_open else shares:
            t = t + timedelta(seconds=int(span * share / total))
            moments.append(t)
        if not is_open:
            moments[-1] = end
        stage = path[-1]
        stage_entered = moments[-1]
        # Lines: 1–3 catalogue products sized to a log-normal deal value (CNY).
        target = rng.lognormvariate(math.log(60_000), 0.9) * size
        cents = 0
        lines = rng.sample(self.products, rng.choice((1, 1, 2, 2, 3)))
        for product_id, price in lines:
            qty = max(1, round(target / len(lines) / price))
            discount = rng.choice((0, 0, 0, 5, 10, 15))
            cents += qty * price * (100 - discount)
            self.w["sales_opportunityline"].add((opp_id, product_id, qty, _money(price * 100), discount))
        # Buying group (DOMAIN §2: one key person, consultative, or a committee).
        decision = rng.choices(DECISION_TYPES, (0.35, 0.4, 0.25))[0]
        members = rng.sample(list(contacts), min(len(contacts), {"authoritative": 1, "consultative": 2, "consensus": 3}[decision]))
        for j, contact_id in enumerate(members):
            role = "decision_maker" if j == 0 else rng.choice(ROLES[1:])
            self.w["sales_opportunitycontact"].add((opp_id, contact_id, role))
        contact = members[0] if members else None
        # Stage history consistent with the path; seconds_in_previous is the time in from_stage.
        prev: str | None = None
        for j, code in enumerate(path):
            secs = None if j == 0 else int((moments[j] - moments[j - 1]).total_seconds())
            self.w["sales_stagechange"].add((opp_id, st.ids[prev] if prev else None, st.ids[code], moments[j], rep.user_id, secs))
            prev = code
        loss = rng.choice(st.loss_reasons) if stage == "lost" and st.loss_reasons else None
        probability = None
        if is_open and rng.random() < 0.08:
            probability = max(5, min(95, st.probability[stage] + rng.choice((-10, -5, 5, 10))))
        rank = int(stage_entered.timestamp()) * 1024 + (opp_id % 1024)
        name = f"{short} · {self.products_name(lines)}"
        self.w["sales_opportunity"].add((
            opp_id, created, stage_entered, None, None, len(path), rep.user_id, rep.team_id, rep.department_id, rep.user_id,
            name[:200], account_id, st.pipeline_id, st.ids[stage], is_open, _money(cents), "CNY", probability, expected,
            decision, rng.choice(LEAD_SOURCES), lead_id, loss, rng.choice(LOSS_NOTES) if stage == "lost" else "", closed_at,
            stage_entered, rank, ""))
        amount = cents
        if stage == "won":
            acc = self.won[(rep.user_id, _month_start(expected))]
            acc[0] += amount
            acc[1] += 1
        elif is_open:
            self.rep_open[rep.user_id].append((opp_id, account_id, contact))
        # Forecast snapshots: deals open at a month's start and expected to close in that month.
        em = _month_start(expected)
        if em in self.forecast_months_set:
            ms = self.midnight - timedelta(days=(self.today - em).days)
            if created < ms and (closed_at is None or closed_at >= ms):
                j = sum(1 for m in moments if m <= ms) - 1
                code = path[max(0, min(j, open_steps - 1))]
                f = self.forecast[(rep.user_id, em)]
                f[0] += amount * st.probability[code] // 100
                f[1] += amount
                f[2] += 1
        self.activities(opp_id, account, contact, rep, created, end if not is_open else None, path, is_open)
        return opp_id

    def products_name(self, lines: list[tuple[int, int]]) -> str:
        return self.product_names[lines[0][0]] + (" 等" if len(lines) > 1 else "")

    # --- activities and SPIN call plans ------------------------------------------------------------
    def activities(self, opp_id: int, account: tuple[int, str, str], contact: int | None, rep: Rep, created: datetime,
                   closed: datetime | None, path: list[str], is_open: bool) -> None:
        rng = self.rng
        n = max(1, round(self.per_opp * (0.4 + 1.2 * rng.random())))
        start = (created - self.midnight).total_seconds() / 86400
        stop = ((closed or self.now) - self.midnight).total_seconds() / 86400
        offsets = sorted(start + (stop - start) * rng.random() for _ in range(n))
        if is_open and rng.random() < 0.4:
            offsets[-1] = rng.randrange(14)  # upcoming in the next two weeks
            offsets.sort()
        first = self.ids["sales_activity"]
        self.ids["sales_activity"] += n
        for j, offset in enumerate(offsets):
            self.activity(first + j, offset, account, contact, rep, opp_id, is_open, path,
                          next_id=first + j + 1 if j + 1 < n else None)

    def activity(self, act_id: int, offset: float, account: tuple[int, str, str], contact: int | None, rep: Rep,
                 opp_id: int | None, is_open: bool, path: list[str], *, next_id: int | None = None,
                 kind: str | None = None, done: bool | None = None) -> None:
        rng = self.rng
        kind = kind or rng.choices(ACTIVITY_KINDS, cum_weights=ACTIVITY_WEIGHTS)[0]
        due = self.at(offset)
        past = due < self.now
        if done is None:
            # Past items are mostly done; an open deal's recent ones are sometimes overdue.
            done = past and not (is_open and offset > -10 and rng.random() < 0.1)
        done_at = due + timedelta(minutes=rng.randrange(0, 240, 5)) if done else None
        if done_at and done_at > self.now:
            done_at = self.now
        remind = rng.choice((15, 30, 60)) if kind in ("call", "visit", "meeting") else None
        remind_at = due - timedelta(minutes=remind) if remind else None
        reminded = remind_at if remind_at and remind_at < self.now else None
        duration = {"visit": 90, "meeting": 60, "call": 20, "email": 10, "task": 30}[kind]
        self.w["sales_activity"].add((
            act_id, min(due, self.now) - timedelta(days=2), done_at or min(due, self.now), None, None, 1, rep.user_id, rep.team_id,
            rep.department_id, rep.user_id, kind, rng.choice(SUBJECTS[kind]).format(a=account[1])[:200], "", due, duration, remind,
            remind_at, reminded, done_at, rng.choice(RESULTS) if done else "", account[0], contact, opp_id))
        share = PLAN_SHARE.get(kind, 0.0)
        if share and rng.random() < share:
            self.call_plan(act_id, due, done_at, account[2], rep, path, next_id)

    def call_plan(self, act_id: int, due: datetime, done_at: datetime | None, industry: str, rep: Rep, path: list[str],
                  next_id: int | None) -> None:
        rng = self.rng
        plan_id = self.ids["sales_callplan"]
        self.ids["sales_callplan"] += 1
        library = self.questions.get(industry) or self.questions[""]
        counts = [0, 0, 0, 0]
        position = 0
        for q, (kind, mean) in enumerate(zip("SPIN", spin_means(rep.skill), strict=True)):
            pool = library[kind]
            asked = min(len(pool), _poisson(rng, mean))
            planned = min(len(pool), asked + (1 if rng.random() < 0.3 else 0))
            for j, (question_id, text) in enumerate(rng.sample(pool, planned)):
                was_asked = done_at is not None and j < asked
                counts[q] += was_asked
                self.w["sales_callquestion"].add((plan_id, question_id, kind, text, position, was_asked))
                position += 1
        outcome, hidden, explicit, step = "", 0, 0, None
        if done_at is not None:
            _s, p, i, n = counts
            hidden = sum(rng.random() < 0.5 for _ in range(p)) + (rng.random() < 0.3)
            explicit = min(hidden + 1, sum(rng.random() < 0.25 for _ in range(i)) + sum(rng.random() < 0.55 for _ in range(n)))
            success = rng.random() < 0.15 + 0.4 * rep.skill + 0.04 * min(n, 4)
            late = path[-1] in ("negotiation", "won")
            outcome = ("order" if late and rng.random() < 0.4 else "advance") if success else (
                "continuation" if rng.random() < 0.6 else "no_sale")
            if outcome in ("advance", "continuation"):
                step = next_id
            for _ in range(hidden):
                self.w["sales_callneed"].add((plan_id, "hidden", rng.choice(HIDDEN_NEEDS)))
            for _ in range(explicit):
                self.w["sales_callneed"].add((plan_id, "explicit", rng.choice(EXPLICIT_NEEDS)))
        created = min(due, self.now) - timedelta(days=1)
        self.w["sales_callplan"].add((plan_id, created, done_at or created, 1 + (done_at is not None), act_id,
                                      rng.choice(OBJECTIVES), outcome, done_at, step, *counts, hidden, explicit))

    # --- "my day" for every rep -------------------------------------------------------------------
    def my_day(self) -> None:
        """Two activities due today and one overdue for every rep with an open deal."""
        for rep in self.reps:
            deals = self.rep_open.get(rep.user_id)
            if not deals:
                continue
            for offset, kind, done in ((0.0, "call", False), (0.0, "visit", False), (-1.0, "task", False)):
                opp_id, account_id, contact = self.rng.choice(deals)
                act_id = self.ids["sales_activity"]
                self.ids["sales_activity"] += 1
                self.activity(act_id, offset, self.accounts[account_id], contact, rep, opp_id, True, ["initial"],
                              kind=kind, done=done)

    def flush(self) -> None:
        for writer in self.w.values():
            writer.flush()


# --- reference data (idempotent) ---------------------------------------------------------------------

def _stages() -> _Stages:
    from guanxi.sales.models import LossReason, Pipeline

    pipeline = Pipeline.objects.filter(is_default=True).first()
    if pipeline is None:
        raise RuntimeError("No default pipeline: run `manage.py migrate` (sales 0002 creates it).")
    stages = {s.code: s for s in pipeline.stages.all()}
    missing = (set(OPEN_STAGES) | {"won", "lost"}) - set(stages)
    if missing:
        raise RuntimeError(f"The default pipeline lacks the stages {sorted(missing)}.")
    return _Stages(ids={c: s.pk for c, s in stages.items()}, probability={c: s.probability for c, s in stages.items()},
                   pipeline_id=pipeline.pk, loss_reasons=list(LossReason.objects.filter(active=True).values_list("pk", flat=True)))


def _catalogue(today: date) -> tuple[list[tuple[int, int]], dict[int, str]]:
    """The 30 demo products and a default price list (kept if they exist)."""
    from guanxi.sales.models import PriceList, PriceListItem, Product

    existing = set(Product.all_objects.values_list("code", flat=True))
    Product.objects.bulk_create([Product(code=c, name=n, unit=u) for c, n, u, _ in PRODUCTS if c not in existing])
    products = {p.code: p for p in Product.all_objects.filter(code__in=[c for c, *_ in PRODUCTS])}
    price_list = PriceList.objects.filter(is_default=True).first() or PriceList.objects.create(
        name=f"{today.year} 标准价目表", currency="CNY", is_default=True, valid_from=date(today.year, 1, 1))
    priced = set(price_list.items.values_list("product_id", flat=True))
    PriceListItem.objects.bulk_create([PriceListItem(price_list=price_list, product=products[c], unit_price=price)
                                       for c, _, _, price in PRODUCTS if products[c].pk not in priced])
    return ([(products[c].pk, price) for c, _, _, price in PRODUCTS],
            {products[c].pk: name.split("（")[0] for c, name, _, _ in PRODUCTS})


def _library() -> dict[str, dict[str, list[tuple[int, str]]]]:
    """The SPIN question library by industry ("" = every industry); each industry also gets the general ones."""
    from guanxi.sales.models import SpinQuestion

    existing = set(SpinQuestion.objects.values_list("kind", "text", "industry"))
    SpinQuestion.objects.bulk_create([SpinQuestion(kind=k, text=t, industry=i) for k, t, i in QUESTIONS if (k, t, i) not in existing])
    by_industry: dict[str, dict[str, list[tuple[int, str]]]] = defaultdict(lambda: {k: [] for k in "SPIN"})
    rows = list(SpinQuestion.objects.filter(active=True).order_by("id").values_list("pk", "kind", "text", "industry"))
    for pk, kind, text, industry in rows:
        if industry == "":
            for lib in [by_industry[""], *(by_industry[i] for i in {r[3] for r in rows if r[3]})]:
                lib[kind].append((pk, text))
        else:
            by_industry[industry][kind].append((pk, text))
    return dict(by_industry)


def _reps(users: Sequence[Any], skills: Mapping[int, float] | None, seed: int) -> list[Rep]:
    from guanxi.users.models import User

    skill = dict(skills) if skills else default_skills([u.pk for u in users], seed)
    team_of: dict[int, int] = {}
    for team_id, user_id in User.teams.through.objects.filter(user_id__in=[u.pk for u in users]).order_by("team_id").values_list(
            "team_id", "user_id"):
        team_of.setdefault(user_id, team_id)
    return [Rep(u.pk, team_of.get(u.pk), u.department_id, skill.get(u.pk, 0.5)) for u in sorted(users, key=lambda u: u.pk)]


# --- targets and forecast snapshots -------------------------------------------------------------------

def _round_thousand(cents: float) -> int:
    return max(1000, round(cents / 100_000) * 1000)


def _targets(gen: _Generator) -> int:
    """Month, quarter and year targets of the current year per rep, team and company, in amount and count.

    Past months sit near what each rep won (80–125 %); coming months follow the rep's monthly
    average with seasonality and 10 % growth. Quarters and years are sums of months, teams sums of
    their reps and the company the sum of the teams (目标分层 adds up exactly).
    """
    from decimal import Decimal

    from guanxi.sales.models import Target

    year = gen.today.year
    if Target.objects.filter(period_start__year=year).exists():
        return 0
    rng, this_month = gen.rng, _month_start(gen.today)
    months = [date(year, m, 1) for m in range(1, 13)]
    mean_weight = sum(MONTH_WEIGHT) / 12
    values: dict[tuple[str, int | None, str, date, str], int] = defaultdict(int)
    for rep in gen.reps:
        history = [gen.won.get((rep.user_id, _month_start(this_month, -k)), [0, 0]) for k in range(1, 13)]
        avg_amount = sum(h[0] for h in history) / 12
        avg_count = sum(h[1] for h in history) / 12
        for m in months:
            won = gen.won.get((rep.user_id, m), [0, 0])
            factor = rng.uniform(0.8, 1.25)
            if m < this_month and won[0]:
                amount, count = _round_thousand(won[0] * factor), max(1, round(won[1] * factor))
            else:
                season = MONTH_WEIGHT[m.month - 1] / mean_weight * 1.1
                amount, count = _round_thousand(avg_amount * season * factor), max(1, round(avg_count * season * factor))
            quarter = date(year, (m.month - 1) // 3 * 3 + 1, 1)
            for measure, value in (("amount", amount), ("count", count)):
                for period, start in (("month", m), ("quarter", quarter), ("year", date(year, 1, 1))):
                    values[("user", rep.user_id, period, start, measure)] += value
                    if rep.team_id:
                        values[("team", rep.team_id, period, start, measure)] += value
                    values[("company", None, period, start, measure)] += value
    team_of = {r.user_id: r.team_id for r in gen.reps}
    rows = [Target(scope=scope, user_id=subject if scope == "user" else None,
                   team_id=subject if scope == "team" else team_of.get(subject or 0) if scope == "user" else None,
                   period=period, period_start=start, measure=measure, value=Decimal(value), currency="CNY")
            for (scope, subject, period, start, measure), value in sorted(values.items(), key=lambda kv: str(kv[0]))]
    Target.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _snapshots(gen: _Generator) -> int:
    from decimal import Decimal

    from guanxi.sales.models import ForecastSnapshot

    existing = set(ForecastSnapshot.objects.filter(month__in=gen.snapshot_months).values_list("month", "user_id"))
    rows = []
    for rep in gen.reps:
        for m in gen.snapshot_months:
            if (m, rep.user_id) in existing:
                continue
            weighted, best, deals = gen.forecast.get((rep.user_id, m), (0, 0, 0))
            taken = gen.midnight - timedelta(days=(gen.today - m).days)
            rows.append(ForecastSnapshot(month=m, user_id=rep.user_id, team_id=rep.team_id, weighted=Decimal(_money(weighted)),
                                         best_case=Decimal(_money(best)), deals=deals, taken_at=taken))
    ForecastSnapshot.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


# --- PostgreSQL bulk-load helpers ---------------------------------------------------------------------

def _fix_sequences(tables: Iterable[str]) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT COALESCE(MAX(id), 1) FROM \"{table}\"))")  # noqa: S608


# --- entry point --------------------------------------------------------------------------------------

def _load_accounts(accounts: QuerySet[Any] | None, account_ids: range | None) -> tuple[list[tuple[int, int | None, str, str]],
                                                                                      dict[int, list[tuple[int, str, str, str]]]]:
    from guanxi.customers.models import Account, ContactAccount

    if accounts is None:
        if account_ids is None:
            raise ValueError("Pass accounts (a queryset) or account_ids (a range).")
        accounts = Account.objects.filter(pk__gte=account_ids.start, pk__lt=account_ids.stop)
    rows = [(pk, owner, short or name, industry) for pk, owner, short, name, industry in
            accounts.order_by("pk").values_list("pk", "owner_id", "short_name", "name", "industry").iterator(chunk_size=20_000)]
    links = ContactAccount.objects.filter(account_id__in=accounts.values_list("pk", flat=True), contact__deleted_at=None).order_by("account_id", "contact_id")
    contacts: dict[int, list[tuple[int, str, str, str]]] = defaultdict(list)
    for account_id, contact_id, name, phone, email in links.values_list(
            "account_id", "contact_id", "contact__name", "contact__mobile", "contact__email").iterator(chunk_size=20_000):
        contacts[account_id].append((contact_id, name, phone, email))
    return rows, contacts


def generate(
    *, users: Sequence[Any], accounts: QuerySet[Any] | None = None, account_ids: range | None = None, seed: int = 42,
    opportunities_per_account: float = 3.0, activities_per_opportunity: float = 5.0, leads_per_account: float = 0.4,
    skills: Mapping[int, float] | None = None, now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Write sales data for ``accounts`` (or the accounts whose id is in ``account_ids``) owned by
    ``users`` (the reps; an account owned by someone else goes to a rep drawn at random).

    ``skills`` maps a rep's user id to 0–1 (default: spread evenly in a seeded order). Returns the
    number of rows written per kind.
    """
    now = (now or timezone.now()).astimezone(UTC)
    if not users:
        raise ValueError("Pass at least one rep.")
    reps = _reps(users, skills, seed)
    rep_by_id = {r.user_id: r for r in reps}
    rows, contacts = _load_accounts(accounts, account_ids)
    expected_opps = len(rows) * opportunities_per_account
    big = connection.vendor == "postgresql" and expected_opps >= BULK_THRESHOLD
    with transaction.atomic():  # foreign keys are checked at commit, so batch order does not matter
        stages = _stages()
        products, names = _catalogue(now.date())
        gen = _Generator(seed=seed, now=now, reps=reps, stages=stages, products=products, questions=_library(),
                         activities_per_opportunity=activities_per_opportunity)
        gen.product_names = names
        rng = gen.rng
        restore = suspend_indexes(TABLES) if big else []
        leads = gen.w["sales_lead"]
        size_norm = 1.0 / 1.585  # E[√min(Pareto(1.3), 30)]: keeps the mean number of deals per account as asked
        for index, (account_id, owner_id, short, industry) in enumerate(rows):
            rep = rep_by_id.get(owner_id or 0) or rng.choice(reps)
            gen.accounts[account_id] = (account_id, short, industry)
            people = contacts.get(account_id, [])
            size = math.sqrt(min(rng.paretovariate(1.3), 30.0))
            for k in range(_poisson(rng, opportunities_per_account * size * size_norm)):
                lead_id = None
                converted = k == 0 and people and rng.random() < leads_per_account * 0.5
                if converted:
                    lead_id = gen.ids["sales_lead"]
                    gen.ids["sales_lead"] += 1
                opp_id = gen.opportunity(gen.accounts[account_id], rep, [p[0] for p in people], size, lead_id)
                if converted and lead_id:
                    person = people[0]
                    at = now - timedelta(days=rng.randrange(60, 420))
                    leads.add((lead_id, at, at, None, None, 2, rep.user_id, rep.team_id, rep.department_id, rep.user_id,
                               person[1], short, rng.choice(TITLES), person[2], person[3], "", "", industry, "", "",
                               rng.choice(LEAD_SOURCES), "converted", True, True, True, rng.random() < 0.7, "", "", at,
                               account_id, person[0], opp_id))
            if rng.random() < leads_per_account * 0.5:
                _open_lead(gen, rng.choice(reps))
            if progress and index % 10_000 == 0:
                progress(index, len(rows))
        gen.my_day()
        gen.flush()
        _fix_sequences(("sales_lead", "sales_opportunity", "sales_activity", "sales_callplan"))
        if restore:
            restore_indexes(restore, TABLES)
        counts = {table.removeprefix("sales_"): writer.count for table, writer in gen.w.items()}
        counts["products"] = len(products)
        counts["targets"] = _targets(gen)
        counts["forecast_snapshots"] = _snapshots(gen)
    if progress:
        progress(len(rows), len(rows))
    return counts


def _open_lead(gen: _Generator, rep: Rep) -> None:
    """A lead not converted (yet): new, contacted, qualified or disqualified."""
    rng = gen.rng
    lead_id = gen.ids["sales_lead"]
    gen.ids["sales_lead"] += 1
    c = company(rng, 9_000_000 + lead_id)
    status = rng.choices(("new", "contacted", "qualified", "disqualified"), (0.3, 0.3, 0.2, 0.2))[0]
    at = gen.now - timedelta(days=rng.randrange(1, 120), minutes=rng.randrange(600))
    qualified = status == "qualified"
    person = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))
    gen.w["sales_lead"].add((
        lead_id, at, at, None, None, 1, rep.user_id, rep.team_id, rep.department_id, rep.user_id, person, c["short_name"] if
        rng.random() < 0.3 else c["name"], rng.choice(TITLES), mobile(rng), f"lead{lead_id}@example.cn" if rng.random() < 0.5 else "",
        "", c["credit_code"] or "", c["industry"], c["province"], c["city"], rng.choice(LEAD_SOURCES), status,
        qualified or rng.random() < 0.3, qualified or rng.random() < 0.2, qualified or rng.random() < 0.4, qualified and rng.random() < 0.7,
        rng.choice(DISQUALIFY) if status == "disqualified" else "", "", None, None, None, None))
