"""Administration → Document templates: list, edit, preview as PDF, reset; errors are form errors."""

from __future__ import annotations

import io

import pypdf
import pytest
from django.conf import settings

from sencrm.documents import services
from sencrm.documents.models import DocumentTemplate
from sencrm.documents.selectors import default_source
from sencrm.events.models import Event

LIST = "/settings/document-templates/"
EDIT = "/settings/document-templates/quote/"
PREVIEW = "/settings/document-templates/quote/preview/"
RESET = "/settings/document-templates/quote/reset/"
CUSTOM = (
    "<html><body><h1>BÁO GIÁ RIÊNG</h1>"
    "<p>{{ customer.representative }} — {{ totals.total|money }}</p></body></html>"
)


def _text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(response.content)).pages)


def test_the_list_shows_every_kind_with_its_state(client_as, org):
    services.template_save(actor=org["admin"], kind="order", body=CUSTOM, version=0)
    page = client_as("admin").get(LIST)
    assert page.status_code == 200
    html = page.content.decode()
    for kind in ("quote", "order", "contract", "invoice", "receipt"):
        assert f"/settings/document-templates/{kind}/" in html
    assert html.count("badge text-bg-info") == 1  # the order's is edited
    assert 'data-testid="admin-tab-document-templates"' in html


def test_the_edit_page_starts_from_the_default(client_as):
    page = client_as("admin").get(EDIT)
    assert page.status_code == 200
    assert "BÁO GIÁ" in page.content.decode()
    assert page.context["form"].initial["body"] == default_source("quote")


def test_an_administrator_saves_previews_and_resets(client_as):
    client = client_as("admin")
    response = client.post(EDIT, {"body": CUSTOM, "version": 0})
    assert response.status_code == 302
    stored = DocumentTemplate.objects.get(kind="quote")
    assert stored.body == CUSTOM and stored.version == 1
    event = Event.objects.get(type="documenttemplate.updated")
    assert "+<html><body><h1>BÁO GIÁ RIÊNG" in event.data["diff"]
    # The stored template previews with the sample document.
    text = _text(client.get(PREVIEW))
    assert "BÁO GIÁ RIÊNG" in text and "Nguyễn Thị Ánh Tuyết — 89.547.360 ₫" in text
    # Reset: the default is back, the removed text kept in the log.
    assert client.post(RESET).status_code == 302
    assert not DocumentTemplate.objects.exists()
    assert Event.objects.get(type="documenttemplate.reset").data["removed"] == CUSTOM
    assert "BÁO GIÁ RIÊNG" not in _text(client.get(PREVIEW))


def test_the_preview_renders_the_unsaved_text(client_as):
    response = client_as("admin").post(PREVIEW, {"body": CUSTOM.replace("RIÊNG", "THỬ"), "version": 0})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('inline; filename="BG-2026-00001.pdf"')
    assert "BÁO GIÁ THỬ" in _text(response)
    assert not DocumentTemplate.objects.exists()  # a preview saves nothing


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("<p>ok</p>\n<p>{{ settings.SECRET_KEY }}</p>", "Dòng 2"),
        ("<p>ok</p>\n\n{{ ''.__class__.__mro__[1].__subclasses__() }}", "Dòng 3"),
        ("{{ lipsum.__globals__.os.popen('id').read() }}", "Dòng 1"),
        ("<p>ok</p>\n{{ document.date.strftime('%Y') }}", "Dòng 2"),
        ("<p>\n{% for x in lines %}", "Dòng 2"),
        ("{% include '/etc/passwd' %}", "Dòng 1"),
    ],
)
@pytest.mark.parametrize("url", [EDIT, PREVIEW])
def test_template_errors_are_form_errors_with_their_line(client_as, body, message, url):
    response = client_as("admin").post(url, {"body": body, "version": 0})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="error-body"' in html and message in html
    assert settings.SECRET_KEY not in html
    assert not DocumentTemplate.objects.exists()


def test_an_empty_template_is_refused(client_as):
    response = client_as("admin").post(EDIT, {"body": "   ", "version": 0})
    assert response.status_code == 400
    assert not DocumentTemplate.objects.exists()


def test_a_stale_edit_is_a_409(client_as, org):
    services.template_save(actor=org["admin"], kind="quote", body=CUSTOM, version=0)
    response = client_as("admin").post(EDIT, {"body": CUSTOM + " ", "version": 0})
    assert response.status_code == 409
    assert DocumentTemplate.objects.get(kind="quote").body == CUSTOM


def test_an_unknown_kind_is_a_404(client_as):
    client = client_as("admin")
    assert client.get("/settings/document-templates/payslip/").status_code == 404
    assert client.post("/settings/document-templates/payslip/reset/").status_code == 404


@pytest.mark.parametrize("username", ["manager", "sales1", "marketing", "care", "tech", "board"])
def test_other_roles_get_a_403_and_change_nothing(client_as, org, username):
    services.template_save(actor=org["admin"], kind="quote", body=CUSTOM, version=0)
    client = client_as(username)
    assert client.get(LIST).status_code == 403
    assert client.get(EDIT).status_code == 403
    assert client.get(PREVIEW).status_code == 403
    assert client.post(PREVIEW, {"body": CUSTOM, "version": 1}).status_code == 403
    assert client.post(EDIT, {"body": "<p>mine</p>", "version": 1}).status_code == 403
    assert client.post(RESET).status_code == 403
    assert DocumentTemplate.objects.get(kind="quote").body == CUSTOM


def test_reset_needs_a_post(client_as, org):
    services.template_save(actor=org["admin"], kind="quote", body=CUSTOM, version=0)
    assert client_as("admin").get(RESET).status_code == 405
    assert DocumentTemplate.objects.filter(kind="quote").exists()
