"""Who approves (issue 6 item 8): the approvers a step names, who is awaited now, and the inbox.

A step names its approvers live, from the organisation as it is when someone looks:
  role ............ the active holders of the role (any one of them, or all of them);
  manager ......... the requester's manager;
  manager_chain ... the requester's managers up to ``levels`` links: with the rule "all" level by
                    level, nearest first; with "any", whichever of them decides first.
The requester is never among them. ``inbox`` applies the same rules in one query."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from guanxi.approvals.flows import MAX_LEVELS
from guanxi.approvals.models import ApprovalDecision, ApprovalRequest, ApprovalStep, ApproverKind, Decision, RequestState, StepRule
from guanxi.users.models import User

# --- who approves ---------------------------------------------------------------------------------


def steps_of(request: ApprovalRequest) -> list[ApprovalStep]:
    if "_gx_steps" not in request.__dict__:
        request.__dict__["_gx_steps"] = list(ApprovalStep.objects.filter(flow_id=request.flow_id).order_by("position"))
    return request.__dict__["_gx_steps"]  # type: ignore[no-any-return]


def current_step(request: ApprovalRequest) -> ApprovalStep | None:
    return next((s for s in steps_of(request) if s.position == request.step_position), None)


def manager_chain(user: User, levels: int) -> list[User]:
    """The user's manager, their manager, … up to ``levels`` links (a cycle stops the walk)."""
    chain: list[User] = []
    seen = {user.pk}
    current = user
    for _level in range(min(levels, MAX_LEVELS)):
        manager = User.objects.filter(pk=current.manager_id).first() if current.manager_id else None
        if manager is None or manager.pk in seen:
            break
        chain.append(manager)
        seen.add(manager.pk)
        current = manager
    return chain


def step_approvers(step: ApprovalStep, requester: User) -> list[User]:
    """Everyone the step names for this requester (active, never the requester)."""
    if step.approver_kind == ApproverKind.ROLE:
        qs = User.objects.filter(is_active=True, role__code=step.role_code).exclude(pk=requester.pk).order_by("pk")
        return list(qs)
    levels = 1 if step.approver_kind == ApproverKind.MANAGER else step.levels
    return [u for u in manager_chain(requester, levels) if u.is_active]


def level_by_level(step: ApprovalStep) -> bool:
    return step.approver_kind == ApproverKind.MANAGER_CHAIN and step.rule == StepRule.ALL


def approved_here_ids(request: ApprovalRequest) -> list[int]:
    return list(ApprovalDecision.objects.filter(request_id=request.pk, step_position=request.step_position,
                                                decision=Decision.APPROVE).values_list("approver_id", flat=True))


def awaited(request: ApprovalRequest, step: ApprovalStep) -> tuple[list[User], bool]:
    """(who may decide now, whether the step is complete)."""
    requester = request.requester
    approved = approved_here_ids(request)
    if level_by_level(step):
        chain = manager_chain(requester, step.levels)
        if len(approved) >= len(chain):
            return [], bool(approved)
        nxt = chain[len(approved)]
        return ([nxt] if nxt.is_active else []), False
    named = step_approvers(step, requester)
    if step.rule == StepRule.ALL and step.approver_kind == ApproverKind.ROLE:
        remaining = [u for u in named if u.pk not in approved]
        return remaining, bool(approved) and not remaining
    return ([] if approved else named), bool(approved)


def approvers_for(request: ApprovalRequest) -> list[User]:
    """Who may decide the request now: the current step's approvers still awaited (with the rule
    "all", those who have not approved yet; level by level, the next manager up)."""
    if request.state != RequestState.PENDING:
        return []
    step = current_step(request)
    return awaited(request, step)[0] if step else []


def inbox(user: User) -> QuerySet[ApprovalRequest]:
    """Pending requests waiting for ``user``'s decision now (the same rules as ``approvers_for``,
    in one query)."""
    step = ApprovalStep.objects.filter(flow=OuterRef("flow_id"), position=OuterRef("step_position"))
    approved_here = (ApprovalDecision.objects.filter(request=OuterRef("pk"), step_position=OuterRef("step_position"),
                                                     decision=Decision.APPROVE)
                     .order_by().values("request").annotate(n=Count("*")).values("n"))
    decided = ApprovalDecision.objects.filter(request=OuterRef("pk"), step_position=OuterRef("step_position"), approver=user.pk)
    waiting = Q(requester__manager=user.pk) & Q(Exists(step.filter(approver_kind=ApproverKind.MANAGER)))
    role_code = user.role.code if user.role_id and user.role else None
    if role_code:
        waiting |= Q(Exists(step.filter(approver_kind=ApproverKind.ROLE, role_code=role_code)))
    path = "requester__manager"
    chain = step.filter(approver_kind=ApproverKind.MANAGER_CHAIN)
    for level in range(1, MAX_LEVELS + 1):
        here = Q(**{path: user.pk})
        waiting |= here & Q(Exists(chain.filter(levels__gte=level, rule=StepRule.ANY)))
        waiting |= here & Q(gx_approved_here=level - 1) & Q(Exists(chain.filter(levels__gte=level, rule=StepRule.ALL)))
        path += "__manager"
    return (ApprovalRequest.objects.filter(state=RequestState.PENDING).exclude(requester=user.pk)
            .annotate(gx_approved_here=Coalesce(Subquery(approved_here), Value(0)))
            .filter(waiting).exclude(Exists(decided)).select_related("requester", "flow"))
