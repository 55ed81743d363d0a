"""The demo organisation and its people, used by ``seed_demo`` and by the test fixtures, so the
demo and the tests describe the same company.

  总公司 (HQ)
  ├── 销售部 Sales ── 华东 East (team East: bob manages carol)
  │                └─ 华北 West (team West: dave)
  └── 客服部 Service (erin; her manager is bob, so her requests for approval — complaint
                     compensation above ¥5,000 goes to "the requester's manager" — reach him)
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from guanxi.users.models import Department, Role, RoleCode, RoleScope, Scope, Team, User

DEMO_PASSWORD = "guanxi-demo-2026"

# role → (default read scope, default write scope); RoleScope rows refine per object type.
ROLE_DEFAULTS: dict[str, tuple[str, str, bool]] = {
    RoleCode.ADMIN: (Scope.ALL, Scope.ALL, True),
    RoleCode.SALES_MANAGER: (Scope.SUBORDINATES, Scope.SUBORDINATES, False),
    RoleCode.SALES_REP: (Scope.OWN, Scope.OWN, False),
    RoleCode.SERVICE_AGENT: (Scope.DEPARTMENT_TREE, Scope.OWN, False),
    RoleCode.MARKETING: (Scope.ALL, Scope.OWN, False),
    RoleCode.READ_ONLY: (Scope.DEPARTMENT_TREE, Scope.NONE, False),
}
ROLE_OBJECT_SCOPES: dict[tuple[str, str], tuple[str, str]] = {
    # Service agents serve every customer but change only what they own.
    (RoleCode.SERVICE_AGENT, "customers.account"): (Scope.ALL, Scope.OWN),
    # ...and every complaint, whoever filed or owns it (the intake desk hands them round).
    (RoleCode.SERVICE_AGENT, "service.complaint"): (Scope.ALL, Scope.OWN),
    # ...and the people at those customers, so a complaint can name its contact.
    (RoleCode.SERVICE_AGENT, "customers.contact"): (Scope.ALL, Scope.OWN),
}


@dataclass
class Org:
    hq: Department
    sales: Department
    east: Department
    west: Department
    service: Department
    team_east: Team
    team_west: Team
    users: dict[str, User]


def ensure_roles() -> dict[str, Role]:
    roles = {}
    for code, (read, write, is_admin) in ROLE_DEFAULTS.items():
        role, _ = Role.objects.update_or_create(
            code=code,
            defaults={"name": str(RoleCode(code).label), "default_read_scope": read, "default_write_scope": write, "is_admin": is_admin},
        )
        roles[code] = role
    for (code, object_type), (read, write) in ROLE_OBJECT_SCOPES.items():
        RoleScope.objects.update_or_create(role=roles[code], object_type=object_type, defaults={"read_scope": read, "write_scope": write})
    return roles


PEOPLE = [
    # username, display name, role, department key, manager, teams, language
    ("alice", "Alice 艾丽斯", RoleCode.ADMIN, "hq", None, [], "zh-hans"),
    ("bob", "Bob 鲍勃", RoleCode.SALES_MANAGER, "east", None, ["East"], "zh-hans"),
    ("carol", "Carol 卡罗", RoleCode.SALES_REP, "east", "bob", ["East"], "zh-hans"),
    ("dave", "Dave 戴夫", RoleCode.SALES_REP, "west", None, ["West"], "en"),
    ("erin", "Erin 艾琳", RoleCode.SERVICE_AGENT, "service", "bob", [], "zh-hans"),
    ("frank", "Frank 弗兰克", RoleCode.MARKETING, "hq", None, [], "en"),
    ("grace", "Grace 格蕾丝", RoleCode.READ_ONLY, "sales", None, [], "zh-hans"),
]


@transaction.atomic
def create_demo_org(*, password: str = DEMO_PASSWORD) -> Org:
    roles = ensure_roles()
    hq, _ = Department.objects.get_or_create(name="总公司 Headquarters", parent=None)
    sales, _ = Department.objects.get_or_create(name="销售部 Sales", parent=hq)
    east, _ = Department.objects.get_or_create(name="华东区 East", parent=sales)
    west, _ = Department.objects.get_or_create(name="华北区 West", parent=sales)
    service, _ = Department.objects.get_or_create(name="客服部 Service", parent=hq)
    departments = {"hq": hq, "sales": sales, "east": east, "west": west, "service": service}
    team_east, _ = Team.objects.get_or_create(name="East", defaults={"department": east})
    team_west, _ = Team.objects.get_or_create(name="West", defaults={"department": west})
    teams = {"East": team_east, "West": team_west}
    users: dict[str, User] = {}
    for username, display, role, dept, manager, team_names, language in PEOPLE:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username)
            user.set_password(password)
        user.display_name = display
        user.email = f"{username}@example.com"
        user.role = roles[role]
        user.department = departments[dept]
        user.manager = users.get(manager) if manager else None
        user.language = language
        user.is_superuser = role == RoleCode.ADMIN
        user.is_staff = role == RoleCode.ADMIN
        user.save()
        user.teams.set([teams[t] for t in team_names])
        users[username] = user
    team_east.manager = users["bob"]
    team_east.save()
    return Org(hq, sales, east, west, service, team_east, team_west, users)
