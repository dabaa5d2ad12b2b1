"""Sales settings pages (administrators only): pipelines and stages, scoring rules, web forms."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from sencrm.events.models import Event
from sencrm.sales.models import Pipeline, ScoringRule, Stage, WebForm
from sencrm.sales.services import settings as settings_services

XSS = '"><img src=x onerror=alert(1)>'
DENIED_ROLES = ["manager", "sales1", "marketing", "care", "tech", "board"]


@pytest.fixture
def webform(org, pipelines):
    from sencrm.customers.models import SourceChannel

    return settings_services.webform_save(
        actor=org["admin"],
        name="Trang chủ",
        title="Đăng ký tư vấn điều hòa",
        fields=["phone", "email", "interest"],
        required_fields=["phone"],
        owner=org["sales1"],
        source=SourceChannel.objects.get(code="website"),
    )


def _pages(retail: Pipeline, webform: WebForm) -> list[str]:
    rule = ScoringRule.objects.first()
    return [
        reverse("sales:settings_pipelines"),
        reverse("sales:settings_pipeline_create"),
        reverse("sales:settings_pipeline_edit", args=[retail.pk]),
        reverse("sales:settings_scoring"),
        reverse("sales:settings_scoring_create"),
        reverse("sales:settings_scoring_edit", args=[rule.pk]),
        reverse("sales:settings_scoring_value") + "?kind=source",
        reverse("sales:webform_list"),
        reverse("sales:webform_create"),
        reverse("sales:webform_edit", args=[webform.pk]),
    ]


def test_admin_opens_every_settings_page(client_as, retail, webform):
    client = client_as("admin")
    for url in _pages(retail, webform):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("username", DENIED_ROLES)
def test_other_roles_get_403_on_every_settings_page(client_as, retail, webform, username):
    client = client_as(username)
    for url in _pages(retail, webform):
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("username", DENIED_ROLES)
def test_other_roles_cannot_write_settings(client_as, retail, webform, username):
    client = client_as(username)
    rule = ScoringRule.objects.first()
    posts = [
        (reverse("sales:settings_pipeline_create"), {"name": "Chen ngang", "is_active": "on"}),
        (reverse("sales:settings_pipeline_edit", args=[retail.pk]), _pipeline_post(retail, name="Đổi tên")),
        (
            reverse("sales:settings_scoring_create"),
            {"name": "x", "kind": "recency", "value": "3", "points": "5"},
        ),
        (reverse("sales:settings_scoring_delete", args=[rule.pk]), {}),
        (reverse("sales:webform_create"), {"name": "x", "asked_fields": ["phone"], "owner": "1"}),
        (reverse("sales:webform_delete", args=[webform.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert not Pipeline.objects.filter(name__in=["Chen ngang", "Đổi tên"]).exists()
    assert ScoringRule.objects.filter(pk=rule.pk).exists()
    assert WebForm.objects.filter(pk=webform.pk).exists()


def test_anonymous_is_sent_to_login(client, retail, webform):
    for url in _pages(retail, webform):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def test_settings_posts_need_the_csrf_token(org, retail):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org["admin"])
    response = client.post(reverse("sales:settings_pipeline_create"), {"name": "Không token"})
    assert response.status_code == 403
    assert not Pipeline.objects.filter(name="Không token").exists()


def test_administration_tabs_link_the_sales_settings(client_as, pipelines):
    html = client_as("admin").get(reverse("users:user_list")).content.decode()
    for name in ("sales:settings_pipelines", "sales:settings_scoring", "sales:webform_list"):
        assert reverse(name) in html


# ---------------------------------------------------------------------------------------------
# Pipelines and stages


def _pipeline_post(pipeline: Pipeline, new: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
    """The edit form as the page sends it, with `changes` to the pipeline and to stages by name."""
    stage_changes = changes.pop("stages", {})
    data: dict[str, Any] = {"name": pipeline.name, "is_active": "on" if pipeline.is_active else ""}
    if pipeline.is_default:
        data["is_default"] = "on"
    data.update(changes)
    stages = list(pipeline.stages.order_by("position", "id"))
    rows = []
    for stage in stages:
        row = {
            "id": stage.pk,
            "name": stage.name,
            "position": stage.position,
            "probability": stage.probability,
            "is_won": "on" if stage.is_won else "",
            "is_lost": "on" if stage.is_lost else "",
        }
        row.update(stage_changes.get(stage.name, {}))
        rows.append(row)
    rows.append(new or {"id": "", "name": "", "position": "", "probability": ""})
    data.update(
        {
            "stages-TOTAL_FORMS": len(rows),
            "stages-INITIAL_FORMS": len(stages),
            "stages-MIN_NUM_FORMS": 0,
            "stages-MAX_NUM_FORMS": 50,
        }
    )
    for i, row in enumerate(rows):
        for key, value in row.items():
            if value is not None and value is not False and value != "":
                data[f"stages-{i}-{key}"] = value
    return {k: v for k, v in data.items() if v != ""}


def test_pipeline_list_shows_pipelines_and_stages(client_as, pipelines, django_assert_max_num_queries):
    client = client_as("admin")
    with django_assert_max_num_queries(12):
        html = client.get(reverse("sales:settings_pipelines")).content.decode()
    assert "Bán lẻ" in html and "Dự án" in html and "Đàm phán · 75%" in html


def test_create_a_pipeline_with_starting_stages(client_as, org, pipelines):
    response = client_as("admin").post(
        reverse("sales:settings_pipeline_create"), {"name": "Bảo trì định kỳ", "is_active": "on"}
    )
    pipeline = Pipeline.objects.get(name="Bảo trì định kỳ")
    assert response.status_code == 302 and response["Location"].endswith(
        f"/settings/pipelines/{pipeline.pk}/"
    )
    stages = list(pipeline.stages.order_by("position"))
    assert len(stages) == 3 and stages[1].is_won and stages[2].is_lost
    event = Event.objects.get(type="pipeline.created", subject_id=pipeline.pk)
    assert event.actor == org["admin"]


def test_duplicate_pipeline_name_is_refused(client_as, retail):
    response = client_as("admin").post(reverse("sales:settings_pipeline_create"), {"name": retail.name})
    assert response.status_code == 400
    assert Pipeline.objects.filter(name=retail.name).count() == 1


def test_edit_rename_probability_and_add_a_stage(client_as, org, retail, make_opportunity):
    deal = make_opportunity()
    assert deal.stage.name == "Mới" and deal.probability == 10
    data = _pipeline_post(
        retail,
        name="Bán lẻ & dự án nhỏ",
        stages={"Mới": {"probability": 15}},
        new={"name": "Chờ thanh toán", "position": 4, "probability": 90},
    )
    response = client_as("admin").post(reverse("sales:settings_pipeline_edit", args=[retail.pk]), data)
    assert response.status_code == 302
    retail.refresh_from_db()
    assert retail.name == "Bán lẻ & dự án nhỏ"
    names = list(retail.stages.order_by("position").values_list("name", flat=True))
    assert names.index("Đàm phán") < names.index("Chờ thanh toán") < names.index("Thắng")
    assert Stage.objects.get(pipeline=retail, name="Mới").probability == 15
    deal.refresh_from_db()
    assert deal.probability == 10  # existing deals keep theirs
    event = Event.objects.filter(type="pipeline.updated", subject_id=retail.pk).latest("id")
    assert event.actor == org["admin"]
    assert event.data["changes"]["name"] == ["Bán lẻ", "Bán lẻ & dự án nhỏ"]
    assert event.data["stages"]["added"] == ["Chờ thanh toán"]
    assert event.data["stages"]["changed"]["Mới"]["probability"] == [10, 15]
    assert [10, 15] in event.data["changes"].values()  # the activity log shows stage edits too


def test_the_edit_page_says_deals_keep_their_probability(client_as, retail):
    from django.utils import translation
    from django.utils.html import escape

    html = client_as("admin").get(reverse("sales:settings_pipeline_edit", args=[retail.pk])).content.decode()
    source = (
        "Stages are shown in the order of their numbers; a stage given the number of another goes before it."
        " Changing a stage's probability applies to deals that enter it from now on: existing deals keep"
        " their probability. A stage that has deals cannot be deleted: move its opportunities first. A"
        " pipeline needs at least one open stage, a won stage and a lost stage."
    )
    with translation.override("vi"):
        vietnamese = translation.gettext(source)
    assert vietnamese != source  # the admin reads Vietnamese: the whole sentence, translated
    assert escape(vietnamese) in html


@pytest.mark.parametrize(
    ("stages", "message"),
    [
        ({"Mới": {"probability": 150}}, "100"),
        ({"Mới": {"probability": -5}}, "0"),
        ({"Mới": {"is_won": "on", "is_lost": "on"}}, "both won and lost"),
        ({"Thắng": {"is_won": ""}}, "won stage"),
        ({"Thua": {"is_lost": ""}}, "lost stage"),
        ({"Mới": {"name": ""}}, "required"),
        ({"Mới": {"name": "x" * 81}}, "80"),
        ({"Mới": {"name": "Đàm phán"}}, "Two stages"),
    ],
)
def test_bad_stage_edits_answer_400_and_change_nothing(client_as, retail, stages, message, in_english):
    in_english("admin")
    before = list(retail.stages.order_by("id").values_list("name", "probability", "is_won", "is_lost"))
    response = client_as("admin").post(
        reverse("sales:settings_pipeline_edit", args=[retail.pk]), _pipeline_post(retail, stages=stages)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert (
        list(retail.stages.order_by("id").values_list("name", "probability", "is_won", "is_lost")) == before
    )


def test_a_pipeline_keeps_an_open_stage(client_as, org, pipelines, in_english):
    in_english("admin")
    pipeline = settings_services.pipeline_create(actor=org["admin"], name="Thử")
    response = client_as("admin").post(
        reverse("sales:settings_pipeline_edit", args=[pipeline.pk]),
        _pipeline_post(pipeline, stages={"New": {"DELETE": "on"}, "Mới": {"DELETE": "on"}}),
    )
    assert response.status_code == 400
    assert "open stage" in response.content.decode()
    assert pipeline.stages.count() == 3


def test_deleting_a_stage_with_opportunities_is_refused(client_as, retail, make_opportunity, in_english):
    in_english("admin")
    make_opportunity()  # in "Mới"
    response = client_as("admin").post(
        reverse("sales:settings_pipeline_edit", args=[retail.pk]),
        _pipeline_post(retail, stages={"Mới": {"DELETE": "on"}}),
    )
    assert response.status_code == 400
    assert "move its opportunities first" in response.content.decode()
    assert retail.stages.filter(name="Mới").exists()


def test_deleting_an_empty_stage(client_as, retail):
    response = client_as("admin").post(
        reverse("sales:settings_pipeline_edit", args=[retail.pk]),
        _pipeline_post(retail, stages={"Đã tư vấn": {"DELETE": "on"}}),
    )
    assert response.status_code == 302
    assert not retail.stages.filter(name="Đã tư vấn").exists()
    assert list(retail.stages.order_by("position").values_list("position", flat=True)) == [1, 2, 3, 4, 5]


def test_a_stage_of_another_pipeline_cannot_be_edited_through_this_one(client_as, pipelines):
    retail, projects = pipelines
    data = _pipeline_post(retail)
    data["stages-0-id"] = projects.stages.first().pk
    response = client_as("admin").post(reverse("sales:settings_pipeline_edit", args=[retail.pk]), data)
    assert response.status_code == 400
    assert projects.stages.first().name == "Tiếp cận"


@pytest.mark.parametrize("tamper", ["no-management-form", "too-many-rows"])
def test_a_tampered_stage_table_answers_400(client_as, retail, tamper):
    data = _pipeline_post(retail, name="Không đổi")
    if tamper == "no-management-form":
        data = {k: v for k, v in data.items() if "_FORMS" not in k}
    else:
        data["stages-TOTAL_FORMS"] = 5000
    response = client_as("admin").post(reverse("sales:settings_pipeline_edit", args=[retail.pk]), data)
    assert response.status_code == 400
    retail.refresh_from_db()
    assert retail.name == "Bán lẻ"


def test_default_pipeline_moves_and_stays_active(client_as, pipelines):
    retail, projects = pipelines
    client = client_as("admin")
    url = reverse("sales:settings_pipeline_edit", args=[projects.pk])
    assert client.post(url, _pipeline_post(projects, is_default="on")).status_code == 302
    retail.refresh_from_db()
    projects.refresh_from_db()
    assert projects.is_default and not retail.is_default
    # Unticking "default" on the default pipeline, or deactivating it, is refused with a reason.
    response = client.post(url, _pipeline_post(projects, is_default=""))
    assert response.status_code == 400 and "default" in response.content.decode()
    response = client.post(url, _pipeline_post(projects, is_active=""))
    assert response.status_code == 400
    projects.refresh_from_db()
    assert projects.is_default and projects.is_active
    # Another pipeline can be deactivated.
    response = client.post(
        reverse("sales:settings_pipeline_edit", args=[retail.pk]), _pipeline_post(retail, is_active="")
    )
    assert response.status_code == 302
    retail.refresh_from_db()
    assert not retail.is_active


def test_pipeline_and_stage_names_are_escaped(client_as, retail):
    client = client_as("admin")
    data = _pipeline_post(retail, name=XSS, stages={"Mới": {"name": "<svg/onload=alert(1)>"}})
    assert client.post(reverse("sales:settings_pipeline_edit", args=[retail.pk]), data).status_code == 302
    for url in (
        reverse("sales:settings_pipelines"),
        reverse("sales:settings_pipeline_edit", args=[retail.pk]),
    ):
        html = client.get(url).content.decode()
        assert "<img src=x" not in html and "<svg/onload" not in html
        assert "&lt;svg/onload=alert(1)&gt;" in html


# ---------------------------------------------------------------------------------------------
# Scoring rules


def test_scoring_list_shows_rules_with_readable_values(client_as, pipelines, django_assert_max_num_queries):
    client = client_as("admin")
    with django_assert_max_num_queries(12):
        html = client.get(reverse("sales:settings_scoring")).content.decode()
    assert "Được giới thiệu" in html and "+20" in html and "-5" in html
    assert "Website" in html  # the source channel's name, not its code


def test_adding_a_rule_rescores_the_leads(
    client_as, org, make_lead, hanoi, django_capture_on_commit_callbacks
):
    from sencrm.sales.scoring import lead_rescore

    lead = make_lead(province=hanoi)
    before = lead_rescore(lead.pk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as("admin").post(
            reverse("sales:settings_scoring_create"),
            {
                "name": "Khách Hà Nội",
                "kind": "province",
                "value": "ha-noi",
                "points": "40",
                "is_active": "on",
            },
        )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.score == before + 40
    assert "Khách Hà Nội" in [name for _id, name, _points in lead.score_details]
    page = client_as("admin").get(reverse("sales:settings_scoring"))
    assert "recomputed" in page.content.decode() or "tính lại" in page.content.decode()
    rule = ScoringRule.objects.get(name="Khách Hà Nội")
    assert Event.objects.filter(type="scoringrule.created", subject_id=rule.pk, actor=org["admin"]).exists()


def test_editing_and_removing_a_rule_rescores(
    client_as, make_lead, hanoi, django_capture_on_commit_callbacks
):
    lead = make_lead(phones=("0903 111 222",))
    rule = ScoringRule.objects.get(kind="field_present", value="phone")
    client = client_as("admin")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("sales:settings_scoring_edit", args=[rule.pk]),
            {"name": rule.name, "kind": "field_present", "value": "phone", "points": "50", "is_active": "on"},
        )
    assert response.status_code == 302
    lead.refresh_from_db()
    with_rule = lead.score
    assert [p for i, _n, p in lead.score_details if i == rule.pk] == [50]
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("sales:settings_scoring_delete", args=[rule.pk])).status_code == 302
    lead.refresh_from_db()
    assert lead.score == with_rule - 50
    assert not ScoringRule.objects.filter(pk=rule.pk).exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "source", "value": "atlantis"}, "value"),
        ({"kind": "province", "value": "paris"}, "value"),
        ({"kind": "field_present", "value": "salary"}, "value"),
        ({"kind": "email_domain", "value": "not a domain"}, "value"),
        ({"kind": "email_domain", "value": ""}, "value"),
        ({"kind": "activity_count", "value": "-1"}, "value"),
        ({"kind": "recency", "value": "abc"}, "value"),
        ({"kind": "recency", "value": "2.5"}, "value"),
        ({"kind": "bogus", "value": "1"}, "kind"),
        ({"kind": "recency", "value": "3", "points": "150"}, "points"),
        ({"kind": "recency", "value": "3", "points": "-101"}, "points"),
        ({"kind": "recency", "value": "3", "name": ""}, "name"),
    ],
)
def test_bad_rule_values_answer_400_with_a_message(client_as, pipelines, data, field):
    count = ScoringRule.objects.count()
    post = {"name": "Quy tắc thử", "points": "10", "is_active": "on", **data}
    response = client_as("admin").post(reverse("sales:settings_scoring_create"), post)
    assert response.status_code == 400
    assert f'data-testid="error-{field}"' in response.content.decode()
    assert ScoringRule.objects.count() == count


def test_email_domains_are_normalised(client_as, pipelines):
    response = client_as("admin").post(
        reverse("sales:settings_scoring_create"),
        {
            "name": "Doanh nghiệp",
            "kind": "email_domain",
            "value": "@Viettel.vn, fpt.com.vn,, viettel.vn",
            "points": "5",
        },
    )
    assert response.status_code == 302
    assert ScoringRule.objects.get(name="Doanh nghiệp").value == "viettel.vn, fpt.com.vn"


def test_value_input_follows_the_kind(client_as, pipelines):
    client = client_as("admin")
    html = client.get(reverse("sales:settings_scoring_value"), {"kind": "source"}).content.decode()
    assert "<select" in html and 'value="website"' in html
    html = client.get(reverse("sales:settings_scoring_value"), {"kind": "province"}).content.decode()
    assert 'value="ha-noi"' in html
    html = client.get(reverse("sales:settings_scoring_value"), {"kind": "recency"}).content.decode()
    assert 'type="number"' in html
    html = client.get(reverse("sales:settings_scoring_create")).content.decode()
    assert 'hx-get="/settings/scoring/value-field/"' in html


def test_rule_names_are_escaped(client_as, pipelines):
    client = client_as("admin")
    client.post(
        reverse("sales:settings_scoring_create"),
        {"name": XSS, "kind": "recency", "value": "3", "points": "5"},
    )
    html = client.get(reverse("sales:settings_scoring")).content.decode()
    assert "<img src=x" not in html and "&lt;img src=x" in html


# ---------------------------------------------------------------------------------------------
# Web forms


def _webform_post(org: dict[str, Any], **changes: Any) -> dict[str, Any]:
    from sencrm.customers.models import SourceChannel

    data = {
        "name": "Form Fanpage",
        "is_active": "on",
        "title": "Nhận tư vấn miễn phí",
        "asked_fields": ["phone", "email", "province"],
        "required_fields": ["phone"],
        "thank_you": "Cảm ơn anh/chị!",
        "consent_text": "Tôi đồng ý được liên hệ.",
        "owner": org["sales1"].pk,
        "source": SourceChannel.objects.get(code="website").pk,
        "campaign": "Fanpage tháng 8",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_create_and_edit_a_web_form(client_as, org, pipelines):
    client = client_as("admin")
    response = client.post(reverse("sales:webform_create"), _webform_post(org))
    webform = WebForm.objects.get(name="Form Fanpage")
    assert response.status_code == 302 and response["Location"] == reverse(
        "sales:webform_edit", args=[webform.pk]
    )
    assert webform.fields == ["phone", "email", "province"] and webform.required_fields == ["phone"]
    assert webform.owner == org["sales1"] and webform.source.code == "website"
    assert Event.objects.filter(type="webform.created", subject_id=webform.pk, actor=org["admin"]).exists()
    team = org["sales1"].teams.get()  # ids differ between databases: never a literal id
    response = client.post(
        reverse("sales:webform_edit", args=[webform.pk]),
        _webform_post(org, is_active=None, owner=None, team=team.pk),
    )
    assert response.status_code == 302
    webform.refresh_from_db()
    assert not webform.is_active and webform.owner is None and webform.team_id == team.pk
    assert Event.objects.filter(type="webform.updated", subject_id=webform.pk).exists()


def test_the_new_form_page_offers_sensible_defaults(client_as, pipelines):
    html = client_as("admin").get(reverse("sales:webform_create")).content.decode()
    assert "I agree to be contacted" in html or "đồng ý" in html
    assert 'value="website" ' not in html  # the source select holds ids
    assert "selected" in html


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"asked_fields": ["company"], "required_fields": []}, "asked_fields"),
        ({"asked_fields": ["phone"], "required_fields": ["email"]}, "required_fields"),
        ({"owner": None}, "owner"),
        ({"owner": 999999}, "owner"),
        ({"asked_fields": ["phone", "salary"]}, "asked_fields"),
        ({"name": ""}, "name"),
        ({"name": "x" * 121}, "name"),
    ],
)
def test_bad_web_form_settings_answer_400(client_as, org, pipelines, changes, field):
    response = client_as("admin").post(reverse("sales:webform_create"), _webform_post(org, **changes))
    assert response.status_code == 400
    assert f'data-testid="error-{field}"' in response.content.decode()
    assert not WebForm.objects.exists()


def test_a_user_without_lead_rights_cannot_own_web_leads(client_as, org, pipelines):
    response = client_as("admin").post(
        reverse("sales:webform_create"), _webform_post(org, owner=org["care"].pk)
    )
    assert response.status_code == 400
    assert not WebForm.objects.exists()


def test_edit_page_shows_the_public_address_and_snippets(client_as, webform):
    response = client_as("admin").get(reverse("sales:webform_edit", args=[webform.pk]))
    url = f"http://testserver/f/{webform.key}/"
    assert response.context["public_url"] == url
    assert response.context["iframe"].startswith(f'<iframe src="{url}"')
    assert response.context["script"].startswith('<script src="http://testserver/static/js/senform-embed.js"')
    assert f'data-form="{url}"' in response.context["script"]
    html = response.content.decode()
    assert "&lt;iframe src=&quot;" in html  # shown as text to copy, not rendered
    assert 'data-testid="submission-log"' in html


def test_web_form_list_counts_leads_and_keeps_queries_flat(
    client_as, org, webform, django_assert_max_num_queries
):
    from sencrm.sales.services.webforms import submission_log

    for i in range(5):
        extra = settings_services.webform_save(
            actor=org["admin"], name=f"Form {i}", fields=["email"], owner=org["sales1"]
        )
        submission_log(extra, "10.0.0.1", "spam")
    submission_log(webform, "10.0.0.1", "created")
    client = client_as("admin")
    with django_assert_max_num_queries(12):
        response = client.get(reverse("sales:webform_list"))
    rows = {f.name: f for f in response.context["forms"]}
    assert rows["Trang chủ"].leads_created == 1 and rows["Form 0"].leads_created == 0
    assert rows["Form 0"].last_submission is not None


def test_delete_a_web_form(client_as, webform):
    response = client_as("admin").post(reverse("sales:webform_delete", args=[webform.pk]))
    assert response.status_code == 302
    assert not WebForm.objects.filter(pk=webform.pk).exists()
    assert Event.objects.filter(type="webform.deleted", subject_id=webform.pk).exists()


def test_unknown_settings_records_answer_404(client_as, pipelines):
    client = client_as("admin")
    assert client.get(reverse("sales:settings_pipeline_edit", args=[999999])).status_code == 404
    assert client.get(reverse("sales:settings_scoring_edit", args=[999999])).status_code == 404
    assert client.get(reverse("sales:webform_edit", args=[999999])).status_code == 404
    assert client.post(reverse("sales:webform_delete", args=[999999])).status_code == 404
