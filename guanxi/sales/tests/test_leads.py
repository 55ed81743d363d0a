import pytest

from guanxi.audit.models import AuditEntry
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.customers.contacts import contact_create
from guanxi.customers.errors import DuplicateAccount
from guanxi.customers.models import Account, Contact, ContactAccount
from guanxi.dataio.tests.dataio_helpers import private_media  # noqa: F401
from guanxi.sales import leads as svc
from guanxi.sales.models import LeadStatus
from guanxi.sales.tests.factories import account_for

pytestmark = pytest.mark.django_db

USCC = "91350100M000100Y43"


def _lead(user, **data):
    data.setdefault("name", "王经理")
    data.setdefault("company", "福州新客科技有限公司")
    return svc.lead_create(actor=user, data=data)


def test_lead_mobile_is_stored_in_e164_and_credit_code_is_checked(carol):
    lead = _lead(carol, mobile="138-0013-8000", credit_code=USCC.lower())
    assert lead.mobile == "+8613800138000" and lead.credit_code == USCC
    with pytest.raises(ValidationFailed) as exc:
        _lead(carol, credit_code="91350100M000100Y44")
    assert "credit_code" in exc.value.errors
    assert AuditEntry.objects.filter(object_id=lead.pk, action="create").exists()


def test_qualify_and_disqualify_need_edit_rights(carol, dave, grace):
    lead = _lead(carol)
    with pytest.raises(NotFound):
        svc.lead_qualify(actor=dave, lead=lead)
    with pytest.raises(PermissionDenied):
        svc.lead_qualify(actor=grace, lead=lead)
    with pytest.raises(ValidationFailed):
        svc.lead_disqualify(actor=carol, lead=lead, reason="")
    lead = svc.lead_disqualify(actor=carol, lead=lead, reason="预算不足")
    assert lead.status == LeadStatus.DISQUALIFIED and lead.disqualify_reason == "预算不足"
    lead = svc.lead_qualify(actor=carol, lead=lead)
    assert lead.status == LeadStatus.QUALIFIED and lead.disqualify_reason == ""


def test_a_plain_update_cannot_mark_a_lead_converted(carol):
    lead = _lead(carol)
    with pytest.raises(ValidationFailed):
        svc.lead_update(actor=carol, lead=lead, version=lead.version, data={"status": "converted"})


def test_lead_conversion_shows_duplicates_first(carol, dave):
    mine = account_for(carol, name="福州新客科技（福建）有限公司")
    contact = contact_create(actor=carol, data={"name": "王经理", "mobile": "13800138000"}, account_ids=[mine.pk])
    account_for(dave, name="Hidden Co", credit_code=USCC)
    lead = _lead(carol, mobile="13800138000", credit_code=USCC)
    found = svc.lead_duplicates(carol, lead)
    assert [(a.pk, reasons) for a, reasons in found.accounts] == [(mine.pk, ["name"])]
    assert [(c.pk, reasons) for c, reasons in found.contacts] == [(contact.pk, ["mobile"])]
    assert found.hidden_count == 1
    assert found.hidden[0].kind == "account" and found.hidden[0].owner == str(dave)


def test_converting_creates_account_contact_and_opportunity(carol):
    lead = _lead(carol, mobile="13900139000", email="Wang@Example.com", source="展会")
    result = svc.lead_convert(actor=carol, lead=lead, opportunity={"name": "首单", "amount": "50000"},
                              opportunity_contact_role="decision_maker")
    assert result.created_account and result.created_contact
    assert result.account.name == "福州新客科技有限公司" and result.account.owner == carol
    assert result.contact.mobile == "+8613900139000" and result.contact.email == "wang@example.com"
    assert ContactAccount.objects.filter(contact=result.contact, account=result.account).exists()
    opp = result.opportunity
    assert opp.account == result.account and opp.lead_id == lead.pk and opp.source == "展会"
    assert list(opp.contact_links.values_list("contact_id", "role")) == [(result.contact.pk, "decision_maker")]
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED and lead.converted_opportunity_id == opp.pk
    assert (lead.converted_account_id, lead.converted_contact_id) == (result.account.pk, result.contact.pk)


def test_converting_links_an_existing_account_and_contact(carol):
    account = account_for(carol)
    contact = contact_create(actor=carol, data={"name": "李总"}, account_ids=[account_for(carol).pk])
    lead = _lead(carol)
    result = svc.lead_convert(actor=carol, lead=lead, account_id=account.pk, contact_id=contact.pk, create_opportunity=False)
    assert not result.created_account and result.opportunity is None
    assert ContactAccount.objects.filter(contact=contact, account=account).exists()
    assert Account.objects.count() == 2 and Contact.objects.count() == 1


def test_a_lead_is_converted_only_once(carol):
    lead = _lead(carol)
    svc.lead_convert(actor=carol, lead=lead, create_opportunity=False)
    lead.refresh_from_db()
    with pytest.raises(Conflict) as exc:
        svc.lead_convert(actor=carol, lead=lead, create_opportunity=False)
    assert exc.value.code == "lead.already_converted"


def test_converting_into_a_hidden_existing_customer_is_refused_and_creates_nothing(carol, dave):
    account_for(dave, name="福州新客科技有限公司")
    lead = _lead(carol)
    before = (Account.objects.count(), Contact.objects.count())
    with pytest.raises(DuplicateAccount):
        svc.lead_convert(actor=carol, lead=lead)
    assert (Account.objects.count(), Contact.objects.count()) == before


def test_converting_into_an_invisible_account_is_404(carol, dave):
    theirs = account_for(dave)
    with pytest.raises(NotFound):
        svc.lead_convert(actor=carol, lead=_lead(carol), account_id=theirs.pk)



@pytest.mark.usefixtures("private_media")
def test_leads_are_importable_through_the_archive_engine_and_upsert_by_mobile(carol):
    from guanxi.dataio.tests.dataio_helpers import import_file
    from guanxi.sales.models import Lead

    csv = "姓名,公司,手机,线索来源\n张三,上海甲公司,138 0000 0001,展会\n李四,上海乙公司,13800000002,官网\n".encode()
    _upload, job = import_file(carol, csv, filename="线索.csv", object_type="lead", key="mobile")
    assert job.state == "succeeded", job.message
    assert Lead.objects.filter(owner=carol).count() == 2
    again = "姓名,公司,手机,线索来源\n张三,上海甲公司,13800000001,转介绍\n".encode()
    _upload, job = import_file(carol, again, filename="线索.csv", object_type="lead", key="mobile")
    lead = Lead.objects.get(mobile="+8613800000001")
    assert Lead.objects.count() == 2 and lead.source == "转介绍" and lead.company == "上海甲公司" and lead.version == 2
