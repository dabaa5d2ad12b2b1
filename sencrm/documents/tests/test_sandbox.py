"""The template sandbox: what administrators' templates may and may not do, and the filters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation

from sencrm.documents import services
from sencrm.documents.context import build_context, plain, sample_context
from sencrm.documents.filters import date_filter, money_filter, quantity_filter, vat_filter, words_filter
from sencrm.documents.sandbox import TemplateProblem, check_source, render_html


@pytest.fixture(autouse=True)
def _english():
    """The checks' messages are matched in English here (test_template_views shows them in Vietnamese)."""
    with translation.override("en"):
        yield


@pytest.fixture
def context(db):
    return sample_context("quote")


ESCAPES = [
    ("{{ settings.SECRET_KEY }}", "settings"),
    ("{{ config }}", "config"),
    ("{{ request.user.password }}", "request"),
    ("{{ ''.__class__.__mro__ }}", "__mro__"),
    ("{{ lipsum.__globals__ }}", "__globals__"),
    ("{{ ''['__class__'] }}", "__class__"),
    ("{{ company|attr('__class__') }}", "__class__"),
    ("{{ lines|map(attribute='__class__')|list }}", "__class__"),
    ("{{ lines|selectattr('no.__class__') }}", "__class__"),
    ("{{ cycler.__init__.__globals__.os }}", "__globals__"),
    ("{{ self._TemplateReference__context }}", "_TemplateReference__context"),
    ("{% include '/etc/passwd' %}", "include"),
    ("{% extends 'base.html' %}", "extend"),
    ("{% import 'x' as y %}", "import"),
    ("{% from 'x' import y %}", "import"),
]


@pytest.mark.parametrize(("source", "named"), ESCAPES)
def test_escapes_are_refused_with_their_line(context, source, named):
    with pytest.raises(TemplateProblem) as info:
        render_html(f"<p>first line</p>\n{source}", context)
    assert info.value.line == 2
    assert named in str(info.value)
    assert settings.SECRET_KEY not in str(info.value)


@pytest.mark.parametrize(
    "source",
    [
        "{{ company.name.encode() }}",  # any method outside the short list of string helpers
        "{{ document.date.strftime('%Y') }}",
        "{{ '{0.__class__}'.format(1) }}",  # str.format reads attributes by itself
        "{{ lines.append(1) }}",  # lists and dicts cannot be changed
        "{{ totals.vat_by_rate.update({'x': 1}) }}",
        "{{ lines|attr('pop') }}",
        "{% set n = '_' ~ '_class__' %}{{ company|attr(n) }}",  # a private name built at run time
    ],
)
def test_calls_and_changes_are_refused_when_rendering(context, source):
    with pytest.raises(TemplateProblem) as info:
        render_html(source, context)
    assert info.value.line == 1
    assert "Not allowed" in info.value.reason or "not allowed" in info.value.reason


DOUBLING = (
    "{%% set ns = namespace(s='0123456789') %%}{%% for i in range(40) %%}%s{%% endfor %%}{{ ns.s|length }}"
)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{% for i in range(15000) %}{% endfor %}{% for i in range(15000) %}{% endfor %}", "range()"),
        ("{{ 'a' * 100000000 }}", "characters"),
        ("{{ [1] * 100000000 }}", "characters"),
        ("{{ 2 ** 100000 }}", "power"),
        (DOUBLING % "{% set ns.s = ns.s ~ ns.s %}", "characters"),  # 10 × 2^40 characters if let run
        (DOUBLING % "{% set ns.s = ns.s + ns.s %}", "characters"),
        (DOUBLING % "{% set ns.s = ns.s|replace('0', ns.s) %}", "characters"),
        (DOUBLING % "{% set ns.s = ns.s.replace('0', ns.s) %}", "characters"),
        (DOUBLING % "{% set ns.s = ns.s.join([ns.s, ns.s]) %}", "characters"),
        (
            "{% macro f(s, n) %}{{ f(s ~ s, n - 1) if n else s|length }}{% endmacro %}"
            "{{ f('0123456789', 40) }}",
            "characters",
        ),
        ("{{ 'x'|center(1000000000) }}", "number above"),
        ("{{ 'x'|indent(1000000000) }}", "number above"),
        ("{{ lines|batch(1000000000, 'x')|list }}", "number above"),
        ("{{ 'x'.center(1000000000) }}", "calling center()"),
        ("{{ 'x'.ljust(1000000000) }}", "calling ljust()"),
        ("{{ '%0999999999d' % 1 }}", "formatting"),
    ],
)
def test_a_template_cannot_hold_the_worker_or_fill_its_memory(context, source, message):
    with pytest.raises(TemplateProblem, match=message.replace("(", r"\(").replace(")", r"\)")):
        render_html(source, context)


@pytest.mark.parametrize("source", ["{{ 'x'|format() }}", "{{ lines|pprint }}", "{{ company|xmlattr }}"])
def test_some_of_jinjas_filters_are_not_offered(context, source):
    with pytest.raises(TemplateProblem, match="No filter named"):
        render_html(source, context)


def test_the_output_size_is_bounded(context, monkeypatch):
    from sencrm.documents import sandbox

    monkeypatch.setattr(sandbox, "MAX_OUTPUT_CHARS", 1000)
    with pytest.raises(TemplateProblem, match="too large"):
        render_html("{% for i in range(100) %}{{ lines }}{% endfor %}", context)


def test_syntax_errors_name_their_line(context):
    with pytest.raises(TemplateProblem) as info:
        render_html("<p>ok</p>\n<p>ok</p>\n{% if %}", context)
    assert info.value.line == 3
    assert str(info.value).startswith("Line 3")


def test_what_templates_need_works(context):
    html = render_html(
        "{% set ns = namespace(n=0) %}{% for line in lines %}{% set ns.n = ns.n + 1 %}"
        "{{ loop.cycle('odd', 'even') }}{% endfor %}|{{ ns.n }}|{{ company.name|upper }}"
        "|{{ customer.name.upper() }}|"
        "{% for rate, vat in totals.vat_by_rate.items() %}{{ rate|vat }}{% endfor %}"
        "|{% macro cell(x) %}<td>{{ x }}</td>{% endmacro %}{{ cell(lines[0].quantity|quantity) }}"
        "|{{ lines|map(attribute='unit')|join(',') }}|{{ document.date.year }}",
        context,
    )
    year = context["document"]["date"].year
    assert html == (
        f"oddevenoddevenodd|5||CÔNG TY TNHH THƯƠNG MẠI HUỲNH ĐẶNG|8%10%|<td>4</td>|bộ,bộ,bộ,m,gói|{year}"
    )


def test_values_are_escaped(db):
    context = build_context("quote", {"customer": {"name": '"><img src=x onerror=alert(1)>'}})
    html = render_html("<p>{{ customer.name }}</p>", context)
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_the_context_holds_plain_values_only(db, org):
    context = build_context("order", {"document": {"owner": org["sales1"], "date": dt.date(2026, 3, 5)}})
    assert context["document"]["owner"] == str(org["sales1"])
    assert context["document"]["date"] == dt.date(2026, 3, 5)
    assert plain({"a": [object]})["a"][0].startswith("<class")
    assert set(context) >= {
        "company",
        "document",
        "customer",
        "lines",
        "sections",
        "totals",
        "total_in_words",
    }


def test_saving_a_template_runs_the_checks(db, org):
    with pytest.raises(ValidationError) as info:
        services.template_save(
            actor=org["admin"],
            kind="quote",
            body="<h1>{{ document.number }}</h1>\n{{ settings.SECRET_KEY }}",
            version=0,
        )
    assert "Line 2" in str(info.value.message_dict["body"])


@translation.override("vi")
def test_filters_format_the_vietnamese_way():
    assert money_filter(Decimal("50000000")) == "50.000.000 ₫"
    assert money_filter(1234567.5) == "1.234.568 ₫"  # VND has no minor unit: rounded half-up
    assert money_filter(None) == "" and money_filter("abc") == ""
    assert date_filter(dt.date(2026, 3, 5)) == "05/03/2026"
    assert date_filter("2026-12-31") == "31/12/2026"
    aware = dt.datetime(2026, 12, 31, 18, 30, tzinfo=dt.UTC)  # 01:30 next day in Hồ Chí Minh City
    assert date_filter(aware) == "01/01/2027"
    assert date_filter(None) == ""
    assert quantity_filter(Decimal("1234.500")) == "1.234,5"
    assert quantity_filter(Decimal("2.000")) == "2"
    assert quantity_filter("0.125") == "0,125"
    assert quantity_filter(Decimal("1.0005")) == "1,001"
    assert quantity_filter(-3) == "-3"
    assert words_filter(Decimal("50000000")) == "Năm mươi triệu đồng"
    assert words_filter(10**16) == ""
    assert vat_filter("10") == "10%" and vat_filter("KCT") == "KCT"


def test_check_source_accepts_every_default_template(db):
    from sencrm.documents.choices import DocumentKind
    from sencrm.documents.selectors import default_source

    for kind in DocumentKind:
        check_source(default_source(kind))
        assert "<html" in render_html(default_source(kind), sample_context(kind))
