"""`/api/v1/email-campaigns/`: the contract, sending through a real SMTP server, the actions `send`,
`cancel` and `test`, bad input as a 400 naming the field (never a 500), and the roles' grants."""

# The shared fixtures (people, segment, email) are imported: arguments naming them redefine nothing.
# ruff: noqa: F811

from __future__ import annotations

import re

import pytest

from sencrm.marketing.models import EmailCampaign
from sencrm.marketing.segments import segment_create
from sencrm.marketing.tests.email_helpers import html_of
from sencrm.marketing.tests.test_email_campaigns import BODY, email, people, segment  # noqa: F401  (shared fixtures)

pytestmark = pytest.mark.django_db

BASE = "/api/v1/email-campaigns/"
FIELDS = {"id", "name", "segment", "status", "scheduled_at", "sent", "bounced", "opened", "clicked",
          "unsubscribed", "recipients_total", "subject", "body", "campaign", "owner", "version"}  # fmt: skip
SUBJECT = "{{ contact.first_name }} ơi, ưu đãi hè"


@pytest.fixture
def api(client_as):
    def login(username: str):
        return client_as(username)

    return login


def post(client, url, data=None):
    return client.post(url, data if data is not None else {}, content_type="application/json")


def assert_400(response, field):
    assert response.status_code == 400, (response.status_code, response.content[:300])
    body = response.json()
    assert body["code"] in ("invalid", "parse_error")
    if field:
        assert field in body["errors"], body
        assert all(isinstance(m, str) and m for m in body["errors"][field])


def new(segment_pk=None, **changes):
    data = {"name": "Ưu đãi hè", "segment": segment_pk, "subject": SUBJECT, "body": BODY}
    return {**data, **changes}


# --- the contract ----------------------------------------------------------------------------------


def test_list_and_detail_name_their_fields(api, email, segment):
    client = api("marketing")
    listed = client.get(BASE)
    assert listed.status_code == 200
    rows = listed.json()["results"]
    assert [row["id"] for row in rows] == [email.pk]
    assert rows[0].keys() >= FIELDS
    detail = client.get(f"{BASE}{email.pk}/")
    assert detail.status_code == 200
    body = detail.json()
    assert body.keys() >= FIELDS
    assert body["name"] == "Bảo dưỡng mùa hè" and body["segment"] == segment.pk
    assert body["status"] == "draft" and body["scheduled_at"] is None
    assert (body["sent"], body["bounced"], body["opened"], body["clicked"], body["unsubscribed"]) == (
        0, 0, 0, 0, 0,
    )  # fmt: skip
    assert body["campaign"] == email.campaign_id and body["version"] == 1
    exported = client.get(BASE, {"format": "csv"})
    assert exported.status_code == 200 and exported["Content-Type"].startswith("text/csv")
    assert "Bảo dưỡng mùa hè" in b"".join(exported.streaming_content).decode("utf-8-sig")


def test_marketing_creates_one_with_a_segment(api, org, segment):
    client = api("marketing")
    # Results and status are the server's: what a client sends for them is ignored.
    created = post(client, BASE, new(segment.pk, sent=99, status="sent", recipients_total=5))
    assert created.status_code == 201, created.content
    body = created.json()
    assert body.keys() >= FIELDS
    assert body["segment"] == segment.pk and body["status"] == "draft"
    assert body["sent"] == 0 and body["recipients_total"] == 0 and body["owner"] == org["marketing"].pk
    stored = EmailCampaign.objects.get(pk=body["id"])
    assert stored.campaign.channel == "email" and stored.subject == SUBJECT
    assert client.get(f"{BASE}{body['id']}/").json()["body"] == BODY
    # Changed with its version; a template problem on a change is a 400 too.
    changed = client.patch(
        f"{BASE}{stored.pk}/", {"name": "Hè 2026", "version": 1}, content_type="application/json"
    )
    assert changed.status_code == 200 and changed.json()["name"] == "Hè 2026"
    assert changed.json()["version"] == 2
    bad = client.patch(
        f"{BASE}{stored.pk}/", {"body": "{{ contact.__dict__ }}"}, content_type="application/json"
    )
    assert_400(bad, "body")


# --- sending ---------------------------------------------------------------------------------------


def test_send_now_reaches_the_audience_once(api, people, email, smtp, django_capture_on_commit_callbacks):
    client = api("marketing")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        answer = post(client, f"{BASE}{email.pk}/send/")
        assert answer.status_code == 200, answer.content
        assert answer.json()["status"] == "scheduled" and answer.json()["scheduled_at"]
    assert len(callbacks) >= 1  # the worker is asked only once the transaction commits
    assert sorted(m["To"] for m in smtp.messages) == ["an@khach.vn", "binh@khach.vn"]
    assert smtp.to("an@khach.vn")[0]["Subject"] == "An ơi, ưu đãi hè"
    body = client.get(f"{BASE}{email.pk}/").json()
    assert body["status"] == "sent" and body["sent"] == 2 and body["recipients_total"] == 2
    assert body["bounced"] == body["opened"] == body["clicked"] == body["unsubscribed"] == 0
    # Sending again, or cancelling what went out, is refused with the reason.
    with django_capture_on_commit_callbacks(execute=True):
        again = post(client, f"{BASE}{email.pk}/send/")
    assert_400(again, None)
    assert again.json()["errors"]["non_field_errors"]
    assert_400(post(client, f"{BASE}{email.pk}/cancel/"), None)
    assert_400(client.patch(f"{BASE}{email.pk}/", {"name": "X"}, content_type="application/json"), None)
    assert len(smtp.messages) == 2


def test_send_later_is_scheduled_and_cancel_stops_it(
    api,
    people,
    email,
    smtp,
    django_capture_on_commit_callbacks,
):
    client = api("marketing")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        answer = post(client, f"{BASE}{email.pk}/send/", {"scheduled_at": "2030-01-01T09:00:00+07:00"})
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "scheduled"
    assert answer.json()["scheduled_at"].startswith("2030-01-01T09:00:00")
    assert callbacks == [] and smtp.messages == []  # not now: the minute job starts it when due
    cancelled = post(client, f"{BASE}{email.pk}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert_400(post(client, f"{BASE}{email.pk}/cancel/"), None)
    assert_400(post(client, f"{BASE}{email.pk}/send/"), None)
    assert smtp.messages == [] and EmailCampaign.objects.get(pk=email.pk).status == "cancelled"


def test_the_test_action_sends_one_copy(api, org, people, email, smtp):
    client = api("marketing")
    answer = post(client, f"{BASE}{email.pk}/test/", {"to": "me@senco.vn"})
    assert answer.status_code == 200 and answer.json() == {"to": "me@senco.vn"}
    assert [m["To"] for m in smtp.messages] == ["me@senco.vn"]
    assert "Nguyễn Văn An" in html_of(smtp.messages[0])  # merged with the first person of the audience
    # Without `to`: the caller's own address.
    assert post(client, f"{BASE}{email.pk}/test/").json() == {"to": org["marketing"].email}
    for bad in ("not an address", ["me@senco.vn"], 12, "a@b.c\r\nBcc: x@evil.example"):
        assert_400(post(client, f"{BASE}{email.pk}/test/", {"to": bad}), "to")
    assert len(smtp.messages) == 2
    assert EmailCampaign.objects.get(pk=email.pk).sent == 0  # tests are not results


# --- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"segment": 999999}, "segment"),
        ({"segment": 10**20}, "segment"),
        ({"segment": -1}, "segment"),
        ({"segment": "abc"}, "segment"),
        ({"segment": [1]}, "segment"),
        ({"subject": "{{ settings.SECRET_KEY }}"}, "subject"),
        ({"body": "{{ settings.SECRET_KEY }}"}, "body"),
        ({"body": "{{ ''.__class__ }}"}, "body"),
        ({"body": "{{ ''.__class__.__mro__[1].__subclasses__() }}"}, "body"),
        ({"body": "{% include 'base.html' %}"}, "body"),
        ({"body": "{{ contact.name"}, "body"),
        ({"body": ""}, "body"),
        ({"body": "   "}, "body"),
        ({"body": "x" * 200_001}, "body"),
        ({"body": {"html": "x"}}, "body"),
        ({"subject": ""}, "subject"),
        ({"subject": "x" * 301}, "subject"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"owner": "abc"}, "owner"),
        ({"owner": 10**20}, "owner"),
        ({"version": "abc"}, "version"),
        ({"unknown": 1, "body": ""}, "body"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, segment, changes, field):
    response = post(api("marketing"), BASE, new(segment.pk, **changes))
    assert_400(response, field)
    assert not EmailCampaign.all_objects.exists()


def test_the_longest_body_fits(api, segment):
    body = "<p>" + "x" * (200_000 - 7) + "</p>"
    response = post(api("marketing"), BASE, new(segment.pk, body=body))
    assert response.status_code == 201, response.content[:300]


def test_a_segment_out_of_reach_answers_like_a_missing_one(api, org, segment):
    """The manager's grants are their team's: the marketing user's segment is outside them."""
    client = api("manager")
    theirs = post(client, BASE, new(segment.pk))
    missing_pk = segment.pk + 1000
    missing = post(client, BASE, new(missing_pk))
    assert_400(theirs, "segment")
    assert_400(missing, "segment")
    words = theirs.json()["errors"]["segment"][0].replace(str(segment.pk), "N")
    assert words == missing.json()["errors"]["segment"][0].replace(str(missing_pk), "N")
    # Their own segment is fine.
    own = segment_create(actor=org["manager"], data={"name": "Của đội", "rules": segment.rules})
    assert post(client, BASE, new(own.pk)).status_code == 201
    assert EmailCampaign.objects.filter(segment=segment).count() == 0


def test_a_campaign_out_of_reach_is_a_404(api, email):
    client = api("manager")
    assert client.get(f"{BASE}{email.pk}/").status_code == 404
    for action in ("send", "cancel", "test"):
        assert post(client, f"{BASE}{email.pk}/{action}/").status_code == 404
    assert EmailCampaign.objects.get(pk=email.pk).status == "draft"


@pytest.mark.parametrize(
    "when",
    [
        "garbage",
        "0102-01-01T09:00:00+07:00",
        "9999-12-31T23:59:59",
        "2026-02-31T10:00:00",
        "2026-13-01T10:00:00",
        "2030-01-01T00:00:00+25:00",
        "2020-01-01T09:00:00+07:00",
        12345,
        ["2030-01-01T09:00:00"],
        {"at": "2030-01-01"},
    ],
)
def test_send_with_a_bad_time_is_a_400(api, email, smtp, when):
    response = post(api("marketing"), f"{BASE}{email.pk}/send/", {"scheduled_at": when})
    assert_400(response, "scheduled_at")
    assert EmailCampaign.objects.get(pk=email.pk).status == "draft" and smtp.messages == []


def test_send_without_a_segment_is_a_400(api, org):
    client = api("marketing")
    created = post(client, BASE, new(None))
    assert created.status_code == 201 and created.json()["segment"] is None
    assert_400(post(client, f"{BASE}{created.json()['id']}/send/"), "segment")
    assert EmailCampaign.objects.get().status == "draft"


@pytest.mark.parametrize("pk", ["99999999999999999999", "-1", "0", "abc", "1.5", "%00"])
def test_odd_ids_are_404s(api, email, pk):
    client = api("marketing")
    assert client.get(f"{BASE}{pk}/").status_code == 404
    for action in ("send", "cancel", "test"):
        assert post(client, f"{BASE}{pk}/{action}/").status_code == 404
    assert client.patch(f"{BASE}{pk}/", {"name": "X"}, content_type="application/json").status_code == 404


def test_a_body_that_is_not_json_is_a_400(api, email):
    client = api("marketing")
    for url in (BASE, f"{BASE}{email.pk}/send/", f"{BASE}{email.pk}/test/"):
        response = client.post(url, "{not json", content_type="application/json")
        assert response.status_code == 400, (url, response.status_code)
        assert response.json()["code"] == "parse_error"
    assert client.patch(f"{BASE}{email.pk}/", "[", content_type="application/json").status_code == 400
    # A JSON body that is not an object: nothing to read, nothing breaks.
    assert_400(client.post(BASE, "[1, 2]", content_type="application/json"), None)
    assert EmailCampaign.objects.get(pk=email.pk).status == "draft"


def test_list_parameters_are_checked(api, email):
    client = api("marketing")
    assert_400(client.get(BASE, {"page_size": "abc"}), "page_size")
    assert_400(client.get(BASE, {"cursor": "garbage"}), "cursor")
    assert client.get(BASE, {"ordering": "-scheduled_at"}).status_code == 200
    assert client.get(BASE, {"ordering": "body"}).status_code == 400


# --- roles -----------------------------------------------------------------------------------------


def test_sales_reads_but_cannot_create_send_or_cancel(api, email, segment, smtp):
    """Sales may view marketing's records (campaigns are named on their leads), nothing more."""
    client = api("sales1")
    assert client.get(BASE).status_code == 200
    assert client.get(f"{BASE}{email.pk}/").json()["id"] == email.pk
    assert post(client, BASE, new(segment.pk)).status_code == 403
    assert post(client, f"{BASE}{email.pk}/send/").status_code == 403
    assert post(client, f"{BASE}{email.pk}/cancel/").status_code == 403
    assert post(client, f"{BASE}{email.pk}/test/", {"to": "x@khach.vn"}).status_code == 403
    patched = client.patch(f"{BASE}{email.pk}/", {"name": "X"}, content_type="application/json")
    assert patched.status_code == 403
    assert client.delete(f"{BASE}{email.pk}/").status_code == 403
    assert EmailCampaign.objects.get(pk=email.pk).status == "draft" and smtp.messages == []


@pytest.mark.parametrize("username", ["board", "care", "tech", "accountant"])
def test_roles_without_the_marketing_module_see_nothing(api, email, segment, username):
    client = api(username)
    assert client.get(BASE).status_code == 403
    assert client.get(f"{BASE}{email.pk}/").status_code in (403, 404)
    assert post(client, BASE, new(segment.pk)).status_code == 403
    for action in ("send", "cancel", "test"):
        assert post(client, f"{BASE}{email.pk}/{action}/").status_code in (403, 404)
    assert EmailCampaign.objects.count() == 1


def test_anonymous_is_refused(client, email):
    response = client.get(BASE)
    assert response.status_code in (401, 403)
    assert not re.search(r"Bảo dưỡng", response.content.decode())


@pytest.mark.parametrize("version", [10**30, -5, "abc", True, None, [1]])
def test_send_takes_any_version_without_breaking(api, email, version):
    response = post(api("marketing"), f"{BASE}{email.pk}/send/", {"scheduled_at": "2030-01-01T09:00:00Z",
                                                                  "version": version})  # fmt: skip
    assert response.status_code in (200, 409), response.content[:300]


def test_a_template_that_fails_when_it_runs_is_a_400_at_the_test_send(api, people, segment, smtp):
    """Dividing by zero, or building a huge text, passes the check before running: it is refused when it
    runs, naming the body (a test send, the preview), and nothing is sent."""
    client = api("marketing")
    for body in ("{{ 1 / 0 }}", "{{ 'x' * 10**9 }}", "{% for i in range(10**9) %}x{% endfor %}"):
        created = post(client, BASE, new(segment.pk, body=body))
        assert created.status_code == 201
        pk = created.json()["id"]
        assert_400(post(client, f"{BASE}{pk}/test/", {"to": "me@senco.vn"}), "body")
        assert client.get(f"/emails/{pk}/preview/").status_code == 400
    assert smtp.messages == []
