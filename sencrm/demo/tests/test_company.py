from __future__ import annotations

import io

import pypdf
import pytest

from sencrm.demo.company import COMPANY, load_company
from sencrm.documents.context import sample_context
from sencrm.documents.pdf import render_pdf
from sencrm.documents.selectors import company_profile
from sencrm.events.models import Event


@pytest.mark.django_db(transaction=True)
def test_the_demo_company_prints_on_its_documents(org, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    assert load_company(org) is True
    assert load_company(org) is False  # loaded once; an administrator's edits are kept
    assert Event.objects.filter(type="company.updated").count() == 1
    profile = company_profile()
    assert (profile.name, profile.tax_code, profile.bank_bin) == (COMPANY["name"], "0109876543", "970436")
    reader = pypdf.PdfReader(io.BytesIO(render_pdf("contract", sample_context("contract"))))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Công ty TNHH Điều hòa Sen" in text and "Phạm Quốc Huy" in text and "0011004567890" in text
    assert len(reader.pages[0].images) == 1  # the logo
