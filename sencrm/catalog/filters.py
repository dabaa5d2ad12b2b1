from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from sencrm.catalog.models import Product, ProductKind
from sencrm.core.filters import ScopedFilterSet
from sencrm.core.vat import VatRate


class ProductFilter(ScopedFilterSet):
    kind = django_filters.ChoiceFilter(label=_("Type"), choices=ProductKind.choices)
    vat_rate = django_filters.ChoiceFilter(label=_("VAT rate"), choices=VatRate.choices)
    code = django_filters.CharFilter(label=_("Code"), lookup_expr="iexact")
    active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Product
        fields = ["kind", "vat_rate", "code", "category", "supplier", "active"]
