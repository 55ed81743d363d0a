"""The rows of the service demo (``demo_data``): complaints with their procedure records and history,
follow-up visits, survey invitations, responses and answers, drawn so the dashboards tell a story.

* **Complaints** (DOMAIN §4): a realistic mix of the eight built-in types — mostly poor quality
  and improper service operation (late deliveries and implementations), few about labelling or
  staff misconduct — arriving by phone and WeChat more than by e-mail or visits, with peaks after
  Double 11 and at year end and a dip at the Spring Festival. A few "troubled" accounts file many
  complaints, breach their SLAs far more often and have complaints stuck unresolved past target
  (the dashboard's churn signals). Late deliveries breach most, at peak season above all. About one
  complaint in six about quality or operations ends with compensation, a few above ¥5,000.
* **Follow-up visits** (回访) a week after each closed complaint, most done with an outcome, some
  overdue; a few after deliveries to key accounts.
* **Satisfaction surveys** rating expectation, adequate and desired level, experience and
  importance per item: delivery time (便利性) is experienced clearly worse than expected, matters a
  lot and sits below the zone of tolerance — the key experience to fix first — and it gets worse
  at peak season; 主力 customers expect more; quality and brand exceed expectations; price is a
  little short. CSAT and NPS follow each answer's gaps and drop after a breached complaint.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate
from random import Random
from typing import Any
from zoneinfo import ZoneInfo

from guanxi.dataio.bulk import RowWriter
from guanxi.service import business_hours as bh

# --- what the complaints say ----------------------------------------------------------------------

TYPE_WEIGHTS = {"quality": 27, "price": 8, "labelling": 5, "manner": 9, "attitude": 13, "misconduct": 3, "operation": 27, "policy": 8}
CHANNELS = (("phone", 38), ("wechat", 26), ("email", 14), ("web", 14), ("visit", 8))
SEVERITIES = (("low", 28), ("medium", 46), ("high", 21), ("critical", 5))
# Responsible department by type (keys of ``Staff.departments``).
RESPONSIBLE = {"quality": "production", "labelling": "production", "price": "sales", "manner": "service", "attitude": "service",
               "misconduct": "sales", "operation": "logistics", "policy": "hq"}
TITLES = {
    "quality": ("系统升级后报表导出报错", "移动端频繁闪退", "数据同步丢失部分客户记录", "服务器硬件故障导致停机", "Login fails after the update"),
    "price": ("续费报价比去年上涨过多", "附加模块收费不透明", "同类产品其他渠道价格更低"),
    "labelling": ("功能与宣传资料不符", "合同版本与实际交付版本不一致", "说明书与界面不对应"),
    "manner": ("客服反复要求重复描述问题", "电话多次转接无人负责", "处理流程繁琐，要求提交过多材料"),
    "attitude": ("客服态度冷淡，不耐烦", "实施顾问说话不礼貌", "投诉后无人回电", "Support agent was rude on the phone"),
    "misconduct": ("销售人员承诺未兑现", "上门人员未按约定时间到场且未通知"),
    "operation": ("实施上线比约定推迟三周", "硬件设备延期交付", "数据迁移出错需返工", "培训安排一再改期", "Delivery arrived two weeks late"),
    "policy": ("退换货规定不合理", "发票开具周期太长", "售后服务时间只限工作日"),
}
ROOT_CAUSES = {
    "production": ("版本测试覆盖不足", "供应商元器件批次问题", "发布流程缺少回归测试"),
    "logistics": ("旺季排期过满，交付资源不足", "第三方物流延误", "项目排期未与客户确认"),
    "service": ("新员工培训不足", "工单分派规则不合理", "高峰期坐席不足"),
    "sales": ("报价政策沟通不清", "销售承诺超出合同范围"),
    "hq": ("制度设计未考虑客户实际情况",),
}
REMEDIES = ("免费延长一个月服务期", "补发设备并承担运费", "安排资深顾问上门处理", "退还差价", "提供一次免费培训", "更换责任人并每日同步进度")
RESOLUTIONS = ("问题已修复并回访确认", "设备已送达并完成安装", "已退还差价", "数据已恢复完整", "新顾问已完成现场支持")
CONFIRMATIONS = ("客户电话确认满意", "客户微信回复问题已解决", "客户邮件确认", "客户签字确认")
EMPATHY = "非常理解您的着急，给您添麻烦了。"
LISTENING = "已完整记录客户描述：{t}。"
APOLOGY = "代表公司向您郑重道歉。"
OVERRIDE = "客户多次联系不上，经理确认问题已解决后关闭"
FOLLOW_NOTES = {"satisfied": ("客户对处理结果满意", "客户表示会继续合作"), "neutral": ("客户认为处理一般", "客户希望响应更快"),
                "dissatisfied": ("客户仍不满意交付周期", "客户提到在比较其他供应商"), "unreachable": ("电话无人接听，已发短信",)}

# Seasonality of complaints by month: Spring Festival dip, Double 11 and year-end peaks.
MONTH_LOAD = (1.1, 0.6, 0.95, 0.95, 1.0, 1.05, 0.95, 0.9, 1.0, 1.0, 1.35, 1.3)
PEAK = (11, 12, 1)

# --- the surveys ------------------------------------------------------------------------------------

# code, text, dimension, service element, (expectation, experience, importance) means on 1–7
QUARTERLY = ("季度客户满意度调研 Quarterly satisfaction survey", "感谢您抽出两分钟告诉我们：您期望什么，实际感受如何。", [
    ("quality", "产品质量稳定可靠", "product", "", (5.4, 6.1, 6.0)),
    ("attitude", "服务人员专业、态度好", "service", "attitude", (5.5, 5.6, 5.2)),
    ("account_manager", "客户经理了解我们的需求", "relationship", "communication", (5.0, 5.3, 4.8)),
    ("delivery_time", "交货与实施准时（交付周期）", "convenience", "timeliness", (5.8, 4.3, 6.4)),
    ("brand", "品牌值得信赖", "brand", "", (5.0, 5.7, 4.2)),
    ("price_value", "价格与价值相符", "price", "", (5.2, 4.8, 5.5)),
])
AFTER_COMPLAINT = ("投诉处理满意度回访 Complaint handling survey", "您的投诉已处理完毕，请评价我们的处理过程。", [
    ("response_speed", "响应及时", "service", "timeliness", (5.8, 5.3, 6.0)),
    ("handling_attitude", "处理人员态度", "service", "attitude", (5.5, 5.7, 5.4)),
    ("resolution", "问题得到彻底解决", "service", "reliability", (6.0, 5.4, 6.3)),
    ("compensation_fair", "补偿合理", "price", "", (5.0, 4.7, 4.5)),
])


def _token_hash() -> str:
    """The stored hash of a survey link nobody will use: random, like the secrets it stands for."""
    return hashlib.sha256(secrets.token_bytes(32)).hexdigest()


def clamp(value: float, low: float = 1.0, high: float = 7.0) -> int:
    return int(min(high, max(low, round(value))))


def month_start(day: date, months: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


# --- the inputs ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AccountInfo:
    pk: int
    owner_id: int | None
    team_id: int | None
    department_id: int | None
    tier: str
    contacts: tuple[int, ...]
    troubled: bool


@dataclass
class Reference:
    """Everything the rows refer to, read once by ``demo_data`` before any worker starts."""

    now: datetime
    zone: ZoneInfo
    accounts: list[AccountInfo]
    account_cum: list[float]
    types: dict[str, int]  # code → id
    policies: dict[tuple[str, str], tuple[int, int, int] | None]  # (severity, tier) → (policy id, response, resolution minutes)
    calendar: Any  # business_hours.WorkingCalendar
    agents: list[tuple[int, int | None, int | None]]  # complaint owners: (user, team, department)
    departments: dict[str, int]
    people: dict[str, list[int]]  # department key → responsible people
    surveys: dict[str, tuple[int, list[tuple[int, str, tuple[float, float, float]]]]] = field(default_factory=dict)
    rules: dict[str, int] = field(default_factory=dict)
    days: list[date] = field(default_factory=list)
    day_cum: list[float] = field(default_factory=list)


def load_days(ref: Reference, span_days: int = 395) -> None:
    """The days complaints and answers fall on: the last ~13 months, weighted by season and weekday,
    growing a little (more customers every month)."""
    today = ref.now.astimezone(ref.zone).date()
    days = [today - timedelta(days=k) for k in range(span_days, -1, -1)]
    weights = [MONTH_LOAD[d.month - 1] * (0.45 if d.weekday() >= 5 else 1.0) * (0.85 + 0.3 * i / span_days)
               for i, d in enumerate(days)]
    ref.days, ref.day_cum = days, list(accumulate(weights))


# --- the generator ------------------------------------------------------------------------------------

C_COLUMNS = ("id", "created_at", "updated_at", "deleted_at", "deleted_by_id", "version", "owner_id", "team_id", "department_id",
             "created_by_id", "number", "public_token", "title", "description", "complaint_type_id", "channel", "severity", "state",
             "account_id", "contact_id", "order_id", "product", "submitter_name", "submitter_email", "submitter_phone",
             "empathy_note", "listening_note", "apology_note", "agreed_remedy", "responsible_department_id",
             "responsible_person_id", "root_cause", "compensation", "compensation_currency", "resolution",
             "customer_confirmation", "override_reason", "follow_up_at", "reopen_count", "sla_policy_id", "opened_at",
             "respond_by", "resolve_by", "responded_at", "resolved_at", "closed_at", "response_breach_notified_at",
             "resolution_breach_notified_at")
E_COLUMNS = ("complaint_id", "at", "actor_id", "kind", "from_state", "to_state", "note")
F_COLUMNS = ("created_at", "updated_at", "deleted_at", "deleted_by_id", "version", "owner_id", "team_id", "department_id",
             "created_by_id", "account_id", "contact_id", "rule_id", "trigger", "source_id", "due_at", "done_at", "outcome",
             "satisfaction", "notes")
I_COLUMNS = ("id", "survey_id", "account_id", "contact_id", "token_hash", "event", "event_object_id", "state", "sent_at",
             "expires_at", "answered_at")
R_COLUMNS = ("id", "invitation_id", "survey_id", "account_id", "contact_id", "segment", "answered_at", "nps", "csat", "comment")
A_COLUMNS = ("response_id", "item_id", "expectation", "desired", "adequate", "experience", "importance")
STATES = ("new", "acknowledged", "remedy_agreed", "resolved", "confirmed", "closed")


@dataclass
class Closed:
    """A closed complaint, for the survey sent after it."""

    pk: int
    account: AccountInfo
    contact: int | None
    closed_at: datetime
    breached: bool


class Rows:
    """Draws and writes the rows of one share of the data (one process)."""

    def __init__(self, ref: Reference, *, seed: int, events: bool, invitations: bool, follow_up_share: float) -> None:
        self.ref, self.rng = ref, Random(seed)
        self.events, self.invitations, self.follow_up_share = events, invitations, follow_up_share
        self.w = {"c": RowWriter("service_complaint", C_COLUMNS), "e": RowWriter("service_complaintevent", E_COLUMNS),
                  "f": RowWriter("service_followupvisit", F_COLUMNS), "i": RowWriter("service_surveyinvitation", I_COLUMNS),
                  "r": RowWriter("service_surveyresponse", R_COLUMNS), "a": RowWriter("service_surveyanswer", A_COLUMNS)}
        self.closed: list[Closed] = []
        self.type_codes = list(TYPE_WEIGHTS)
        self.type_cum = list(accumulate(TYPE_WEIGHTS.values()))
        self.channel_cum = list(accumulate(w for _, w in CHANNELS))
        self.severity_cum = list(accumulate(w for _, w in SEVERITIES))

    def flush(self) -> None:
        for writer in self.w.values():
            writer.flush()

    # --- helpers -------------------------------------------------------------------------------------
    def account(self) -> AccountInfo:
        return self.rng.choices(self.ref.accounts, cum_weights=self.ref.account_cum)[0]

    def moment(self, *, business: bool) -> datetime:
        rng, ref = self.rng, self.ref
        day = rng.choices(ref.days, cum_weights=ref.day_cum)[0]
        hour = rng.uniform(9, 18) if business else min(23.9, max(7.0, rng.gauss(14, 4)))
        at = datetime.combine(day, time(0), ref.zone) + timedelta(seconds=int(hour * 3600) + rng.randrange(60))
        return min(at, ref.now - timedelta(minutes=rng.randrange(5, 600)))

    def _event(self, pk: int, at: datetime, actor: int | None, kind: str, before: str, after: str, note: str = "") -> None:
        if self.events and at <= self.ref.now:
            self.w["e"].add((pk, at, actor, kind, before, after, note))

    # --- complaints ----------------------------------------------------------------------------------
    def complaint(self, pk: int) -> None:
        rng, ref, now = self.rng, self.ref, self.ref.now
        acc = self.account()
        code = rng.choices(self.type_codes, cum_weights=self.type_cum)[0]
        channel = rng.choices(CHANNELS, cum_weights=self.channel_cum)[0][0]
        severity = rng.choices(SEVERITIES, cum_weights=self.severity_cum)[0][0]
        if acc.tier == "key" and severity in ("low", "medium") and rng.random() < 0.25:
            severity = "high"
        opened = self.moment(business=channel in ("phone", "visit"))
        peak = opened.astimezone(ref.zone).month in PEAK
        owner, team, department = rng.choice(ref.agents)
        policy = ref.policies.get((severity, acc.tier)) or ref.policies.get((severity, ""))
        respond_by = resolve_by = None
        if policy:
            local = opened.astimezone(ref.zone)
            respond_by = bh.add_business_minutes(ref.calendar, local, policy[1])
            resolve_by = bh.add_business_minutes(ref.calendar, local, policy[2])
        # Processing: a share of each target's (wall-clock) span; late deliveries at peak season breach most.
        span_r = (respond_by - opened) if respond_by else timedelta(hours=8)
        span_s = (resolve_by - opened) if resolve_by else timedelta(days=5)
        slow = 1.3 if acc.troubled else 1.0
        first_answer = opened + max(timedelta(minutes=2), span_r * rng.lognormvariate(math.log(0.45 * slow), 0.6))
        base = 0.8 if code == "operation" and peak else 0.62 if code == "operation" else 0.5
        responded: datetime | None = first_answer
        resolved: datetime | None = max(first_answer + timedelta(minutes=10),
                                        opened + span_s * rng.lognormvariate(math.log(base * slow), 0.55))
        stuck = rng.random() < (0.12 if acc.troubled else 0.002)
        if stuck and resolve_by is not None and resolve_by < now:
            resolved = None
        if responded is not None and responded > now:
            responded = None
        state, override = "new", ""
        confirmed_at: datetime | None = None
        closed_at: datetime | None = None
        if resolved is not None and resolved > now:
            resolved = None
        if resolved is None:
            if responded is not None:
                state = "remedy_agreed" if (stuck or rng.random() < 0.5) else "acknowledged"
        else:
            state = "resolved"
            confirmed_at = resolved + timedelta(hours=rng.expovariate(1 / 30))
            closed_at = confirmed_at + timedelta(hours=rng.expovariate(1 / 40))
            if rng.random() < 0.04:
                override, confirmed_at = OVERRIDE, None
                closed_at = resolved + timedelta(days=rng.uniform(3, 8))
            if closed_at <= now:
                state = "closed"
            elif confirmed_at is not None and confirmed_at <= now:
                state, closed_at = "confirmed", None
            else:
                confirmed_at = closed_at = None
                override = ""
        level = STATES.index(state)
        reopen = 0
        if resolved is not None and rng.random() < (0.1 if code in ("operation", "quality") else 0.05):
            reopen = 2 if rng.random() < 0.15 else 1
        title = rng.choice(TITLES[code])
        dept_key = RESPONSIBLE[code] if rng.random() < 0.85 else rng.choice(("service", "sales", "logistics"))
        compensation = None
        if level >= 2:
            share = {"quality": 0.3, "operation": 0.25, "labelling": 0.2}.get(code, 0.05)
            compensation = Decimal(0) if rng.random() >= share else Decimal(min(50_000, round(rng.lognormvariate(math.log(900), 1.0), -1)))
        contacts = acc.contacts
        contact = rng.choice(contacts) if contacts and rng.random() < 0.9 else None
        breached_r = respond_by is not None and ((responded or now) > respond_by)
        breached_s = resolve_by is not None and ((resolved or now) > resolve_by)
        follow_up = closed_at + timedelta(days=7) if state == "closed" and closed_at else None
        number = f"TS-{opened.astimezone(ref.zone).year}-{pk:06d}"
        c = {
            "id": pk, "created_at": opened, "updated_at": closed_at or resolved or responded or opened, "deleted_at": None,
            "deleted_by_id": None, "version": 1 + level + reopen * 3, "owner_id": owner, "team_id": team, "department_id": department,
            "created_by_id": owner, "number": number, "public_token": uuid.uuid4(),
            "title": title, "description": f"{title}。客户希望尽快给出处理方案。", "complaint_type_id": ref.types[code],
            "channel": channel, "severity": severity, "state": state, "account_id": acc.pk, "contact_id": contact,
            "order_id": None, "product": "", "submitter_name": "", "submitter_email": "", "submitter_phone": "",
            "empathy_note": EMPATHY if level >= 1 else "", "listening_note": LISTENING.format(t=title) if level >= 1 else "",
            "apology_note": APOLOGY if level >= 2 else "", "agreed_remedy": rng.choice(REMEDIES) if level >= 2 else "",
            "responsible_department_id": ref.departments[dept_key] if level >= 2 else None,
            "responsible_person_id": rng.choice(ref.people[dept_key]) if level >= 2 else None,
            "root_cause": rng.choice(ROOT_CAUSES[dept_key]) if level >= 2 else "", "compensation": compensation,
            "compensation_currency": "CNY", "resolution": rng.choice(RESOLUTIONS) if level >= 3 else "",
            "customer_confirmation": rng.choice(CONFIRMATIONS) if level >= 4 and not override else "",
            "override_reason": override, "follow_up_at": follow_up, "reopen_count": reopen,
            "sla_policy_id": policy[0] if policy else None, "opened_at": opened, "respond_by": respond_by, "resolve_by": resolve_by,
            "responded_at": responded, "resolved_at": resolved, "closed_at": closed_at,
            # The escalation job has already handled past breaches (so the demo does not start with a flood).
            "response_breach_notified_at": respond_by + timedelta(minutes=5) if breached_r and respond_by and respond_by < now else None,
            "resolution_breach_notified_at": resolve_by + timedelta(minutes=5) if breached_s and resolve_by and resolve_by < now else None,
            "_confirmed": confirmed_at,
        }
        self.w["c"].add(tuple(c[k] for k in C_COLUMNS))
        self._history(pk, c, owner, level, reopen)
        if state == "closed" and closed_at is not None:
            self.closed.append(Closed(pk, acc, contact, closed_at, breached_s))
            if follow_up is not None and rng.random() < self.follow_up_share:
                self.follow_up(acc, contact, "complaint_closed", pk, ref.rules.get("complaint_closed"), follow_up,
                               unhappy=breached_s or reopen > 0)

    def _history(self, pk: int, c: dict[str, Any], owner: int, level: int, reopen: int) -> None:
        """The procedure's state changes, in order, up to the complaint's state (留档: kept on file)."""
        if not self.events:
            return
        self._event(pk, c["opened_at"], owner, "created", "", "new")
        responded, resolved = c["responded_at"], c["resolved_at"]
        agreed = responded + ((resolved or self.ref.now) - responded) * 0.4 if responded and level >= 2 else None
        moments = (responded, agreed, resolved, c["_confirmed"], c["closed_at"])
        for step in range(1, level + 1):
            at = moments[step - 1]
            if at is None:
                continue
            if step == 3 and reopen:
                self._event(pk, at - timedelta(days=3), owner, "state", "remedy_agreed", "resolved")
                self._event(pk, at - timedelta(days=2), owner, "state", "resolved", "acknowledged", "客户反馈问题复现，重新处理")
            before = "resolved" if step == 5 and c["override_reason"] else STATES[step - 1]
            self._event(pk, at, owner, "state", before, STATES[step], c["override_reason"] if step == 5 else "")

    # --- follow-up visits ----------------------------------------------------------------------------
    def follow_up(self, acc: AccountInfo, contact: int | None, trigger: str, source: int | None, rule: int | None, due: datetime,
                  *, unhappy: bool) -> None:
        rng, now = self.rng, self.ref.now
        owner, team, department = (acc.owner_id, acc.team_id, acc.department_id) if acc.owner_id else self.rng.choice(self.ref.agents)
        done = outcome = satisfaction = None
        notes = ""
        if due < now - timedelta(days=1) and rng.random() < 0.86:
            done = min(now, due + timedelta(hours=rng.uniform(0, 48)))
            weights = (35, 30, 25, 10) if unhappy else (66, 20, 8, 6)
            outcome = rng.choices(("satisfied", "neutral", "dissatisfied", "unreachable"), weights)[0]
            satisfaction = None if outcome == "unreachable" else {"satisfied": rng.choice((4, 5, 5)), "neutral": 3,
                                                                   "dissatisfied": rng.choice((1, 2))}[outcome]
            notes = rng.choice(FOLLOW_NOTES[outcome])
        self.w["f"].add((min(due, now) - timedelta(days=7), done or min(due, now) - timedelta(days=7), None, None, 1 + (done is not None),
                         owner, team, department, owner, acc.pk, contact, rule, trigger, source, due, done, outcome or "",
                         satisfaction, notes))

    # --- surveys -------------------------------------------------------------------------------------
    def response(self, pk: int, invitation_id: int | None, *, after: Closed | None = None) -> None:
        rng, ref = self.rng, self.ref
        if after is not None:
            survey_id, items = ref.surveys["after_complaint"]
            acc, contact = after.account, after.contact
            answered = after.closed_at + timedelta(hours=rng.uniform(2, 72))
            penalty = 1.0 if after.breached else 0.0
        else:
            survey_id, items = ref.surveys["quarterly"]
            acc = self.account()
            contact = rng.choice(acc.contacts) if acc.contacts else None
            answered = self.moment(business=False)
            penalty = 0.0
        answered = min(answered, ref.now - timedelta(minutes=1))
        peak = answered.astimezone(ref.zone).month in PEAK
        demanding = 0.4 if acc.tier == "key" else 0.0
        gaps = []
        for item_id, code, (m_expect, m_exp, m_imp) in items:
            expectation = clamp(rng.gauss(m_expect + demanding, 0.8))
            worse = penalty + (0.6 if peak and code == "delivery_time" else 0.0) + (0.5 if acc.troubled else 0.0)
            experience = clamp(rng.gauss(m_exp - worse, 1.0))
            adequate = clamp(expectation - rng.uniform(0.4, 1.6)) if rng.random() > 0.08 else None
            desired = clamp(expectation + rng.uniform(0.3, 1.2)) if rng.random() > 0.08 else None
            importance = clamp(rng.gauss(m_imp, 0.8)) if rng.random() > 0.05 else None
            gaps.append(experience - expectation)
            self.w["a"].add((pk, item_id, Decimal(expectation), None if desired is None else Decimal(desired),
                             None if adequate is None else Decimal(adequate), Decimal(experience),
                             None if importance is None else Decimal(importance)))
        mean_gap = sum(gaps) / len(gaps)
        csat = clamp(3.9 + 0.7 * mean_gap + rng.gauss(0, 0.8), 1, 5) if rng.random() > 0.03 else None
        nps = clamp(7.7 + 1.3 * mean_gap + rng.gauss(0, 1.6), 0, 10) if rng.random() > 0.03 else None
        comment = "" if rng.random() > 0.15 else rng.choice(("交付能再快一点就好了", "服务很好，谢谢", "希望价格更透明", "Delivery was late again"))
        if invitation_id is not None:
            sent = answered - timedelta(hours=rng.uniform(1, 96))
            event, obj = ("complaint_closed", after.pk) if after else ("", None)
            self.w["i"].add((invitation_id, survey_id, acc.pk, contact, _token_hash(), event, obj,
                             "answered", sent, sent + timedelta(days=30), answered))
        self.w["r"].add((pk, invitation_id, survey_id, acc.pk, contact, acc.tier, answered, nps, csat, comment))

    def unanswered(self, invitation_id: int) -> None:
        """An invitation nobody answered: still open, or expired after 30 days."""
        rng, ref = self.rng, self.ref
        survey_id, _items = ref.surveys["quarterly"]
        acc = self.account()
        sent = self.moment(business=True)
        expires = sent + timedelta(days=30)
        self.w["i"].add((invitation_id, survey_id, acc.pk, rng.choice(acc.contacts) if acc.contacts else None,
                         _token_hash(), "", None, "expired" if expires < ref.now else "sent",
                         sent, expires, None))
