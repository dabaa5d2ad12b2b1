"""What a column can be mapped to, per record type, and the mapping proposed from the file's headers.

Headers are matched folded (no accents, no case, no punctuation: "SĐT", "Số ĐT", "so dien thoai" are
all found), in Vietnamese and English, including the column names of our own exports (in every
language) and the labels and keys of custom fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from sencrm.core.text import fold
from sencrm.customfields.models import CustomField
from sencrm.imports.models import ImportTarget


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str | Promise
    kind: str = "text"
    multi: bool = False  # several columns may feed it (phones, emails, tags)
    synonyms: tuple[str, ...] = ()
    custom: CustomField | None = None


# Export column names (msgids) per field: exports use these, so an exported file maps back in any
# language (sencrm/customers/exports.py, sencrm/sales/lead_exports.py).
EXPORT_HEADERS: dict[str, list[str]] = {
    "full_name": [gettext_noop("Full name")],
    "name": [gettext_noop("Name")],
    "phones": [gettext_noop("Phone")],
    "emails": [gettext_noop("Email")],
    "street": [gettext_noop("Street address")],
    "ward": [gettext_noop("Ward")],
    "province": [gettext_noop("Province")],
    "date_of_birth": [gettext_noop("Date of birth")],
    "gender": [gettext_noop("Gender")],
    "title": [gettext_noop("Job title")],
    "account": [gettext_noop("Account")],
    "customer_group": [gettext_noop("Customer group")],
    "source": [gettext_noop("Source")],
    "lifecycle_stage": [gettext_noop("Lifecycle stage")],
    "tags": [gettext_noop("Tags")],
    "owner": [gettext_noop("Owner")],
    "tax_code": [gettext_noop("Tax code")],
    "industry": [gettext_noop("Industry")],
    "website": [gettext_noop("Website")],
    "company": [gettext_noop("Company")],
    "campaign": [gettext_noop("Campaign")],
    "first_touch_at": [gettext_noop("First touch")],
    "interest": [gettext_noop("Interest")],
    "status": [gettext_noop("Status")],
    "next_action": [gettext_noop("Next action")],
    "next_action_at": [gettext_noop("Next action at")],
    "id": ["ID"],
    # products (sencrm/catalog/exports.py)
    "code": [gettext_noop("Code")],
    "category": [gettext_noop("Category")],
    "unit": [gettext_noop("Unit")],
    "kind": [gettext_noop("Type")],
    "list_price": [gettext_noop("List price")],
    "vat_rate": [gettext_noop("VAT rate")],
    "vat_reducible": [gettext_noop("VAT reduction applies")],
    "warranty_months": [gettext_noop("warranty (months)")],
    "maintenance_months": [gettext_noop("maintenance interval (months)")],
    "supplier": [gettext_noop("Supplier")],
    "active": [gettext_noop("Active")],
    "description": [gettext_noop("Description")],
}

PHONE = (
    "Số điện thoại",
    "SĐT",
    "SĐT di động",
    "Điện thoại",
    "Điện thoại di động",
    "Di động",
    "Số ĐT",
    "ĐT",
    "Số di động",
    "Zalo",
    "Phone",
    "Phone number",
    "Mobile",
    "Mobile phone",
    "Telephone",
    "Tel",
    "Cell",
)
EMAIL = ("Email", "E-mail", "Thư điện tử", "Địa chỉ email", "Mail", "Email address")
STREET = (
    "Địa chỉ",
    "Địa chỉ chi tiết",
    "Số nhà",
    "Số nhà, đường",
    "Đường",
    "Address",
    "Street",
    "Street address",
)
WARD = ("Phường/Xã", "Phường", "Xã", "Phường xã", "Ward", "Commune")
PROVINCE = (
    "Tỉnh/Thành phố",
    "Tỉnh",
    "Thành phố",
    "Tỉnh/TP",
    "Tỉnh thành",
    "Tỉnh / Thành",
    "Province",
    "City",
)
GROUP = ("Nhóm khách hàng", "Nhóm KH", "Nhóm", "Loại khách hàng", "Customer group", "Group")
SOURCE = ("Nguồn", "Nguồn khách hàng", "Nguồn KH", "Kênh", "Source", "Channel", "Lead source")
STAGE = ("Giai đoạn khách hàng", "Giai đoạn", "Lifecycle stage", "Stage")
NOTES = ("Ghi chú", "Mô tả", "Note", "Notes", "Description")
OWNER = (
    "Người phụ trách",
    "Nhân viên phụ trách",
    "NV phụ trách",
    "Phụ trách",
    "Nhân viên",
    "Owner",
    "Assigned to",
    "Salesperson",
)
FAMILY = ("Họ", "Last name", "Family name", "Surname")
MIDDLE = ("Tên đệm", "Đệm", "Middle name")
GIVEN = ("First name", "Given name", "Tên riêng")
ID = ("ID", "Mã Sen CRM", "Record ID")  # our own ids only: other CRMs' codes are not ours

COMMON_PEOPLE = [
    ("id", _("Record ID (Sen CRM)"), "id", False, ID),
    ("full_name", _("Full name"), "text", False,
     ("Họ và tên", "Họ tên", "Tên khách hàng", "Tên KH", "Khách hàng", "Tên", "Tên liên hệ", "Người liên hệ",
      "Full name", "Name", "Customer name", "Contact name", "Contact")),
    ("family_name", _("Family name (họ)"), "name_part", False, FAMILY),
    ("middle_name", _("Middle name (tên đệm)"), "name_part", False, MIDDLE),
    ("given_name", _("Given name (tên)"), "name_part", False, GIVEN),
    ("phones", _("Phone"), "phone", True, PHONE),
    ("emails", _("Email"), "email", True, EMAIL),
]  # fmt: skip

# Consent columns (yes/no per channel, marketing): a file without them records no consent at all.
CONSENTS = [
    ("consent_email", _("Consent: email"), "consent", False,
     ("Đồng ý nhận email", "Đồng ý email", "Consent email", "Email consent", "Email opt-in")),
    ("consent_sms", _("Consent: SMS"), "consent", False,
     ("Đồng ý nhận SMS", "Đồng ý SMS", "Consent SMS", "SMS consent", "SMS opt-in")),
    ("consent_phone", _("Consent: phone call"), "consent", False,
     ("Đồng ý nhận cuộc gọi", "Đồng ý gọi điện", "Consent phone", "Phone consent", "Call consent")),
    ("consent_zalo", _("Consent: Zalo"), "consent", False,
     ("Đồng ý nhận Zalo", "Đồng ý Zalo", "Consent Zalo", "Zalo consent", "Zalo opt-in")),
]  # fmt: skip

TARGET_FIELDS: dict[str, list[tuple[str, Any, str, bool, tuple[str, ...]]]] = {
    ImportTarget.CONTACTS: [
        *COMMON_PEOPLE,
        ("street", _("Street address"), "text", False, STREET),
        ("ward", _("Ward"), "text", False, WARD),
        ("province", _("Province"), "province", False, PROVINCE),
        ("date_of_birth", _("Date of birth"), "date", False, ("Ngày sinh", "Sinh nhật", "Ngày tháng năm sinh",
                                                               "Date of birth", "Birthday", "DOB")),
        ("gender", _("Gender"), "gender", False, ("Giới tính", "Gender", "Sex")),
        ("title", _("Job title"), "text", False, ("Chức danh", "Chức vụ", "Job title", "Title", "Position")),
        ("account", _("Account (company)"), "account", False,
         ("Công ty", "Tên công ty", "Khách hàng tổ chức", "Tổ chức", "Account", "Company", "Organisation")),
        ("customer_group", _("Customer group"), "group", False, GROUP),
        ("source", _("Source"), "source", False, SOURCE),
        ("lifecycle_stage", _("Lifecycle stage"), "lifecycle", False, STAGE),
        ("tags", _("Tags"), "tags", True, ("Thẻ", "Nhãn", "Tags", "Tag", "Labels")),
        ("notes", _("Notes"), "notes", False, NOTES),
        ("owner", _("Owner"), "owner", False, OWNER),
        *CONSENTS,
    ],
    ImportTarget.ACCOUNTS: [
        ("id", _("Record ID (Sen CRM)"), "id", False, ID),
        ("name", _("Name"), "text", False,
         ("Tên", "Tên công ty", "Tên doanh nghiệp", "Công ty", "Tên khách hàng", "Khách hàng", "Tên tổ chức",
          "Name", "Company", "Company name", "Account", "Account name", "Organisation")),
        ("tax_code", _("Tax code"), "tax_code", False, ("Mã số thuế", "MST", "Mã số DN", "Mã số doanh nghiệp",
                                                        "Tax code", "Tax ID", "VAT number")),
        ("industry", _("Industry"), "text", False, ("Ngành nghề", "Ngành", "Lĩnh vực", "Industry")),
        ("phones", _("Phone"), "phone", True, PHONE),
        ("emails", _("Email"), "email", True, EMAIL),
        ("website", _("Website"), "url", False, ("Website", "Trang web", "Web", "URL")),
        ("street", _("Street address"), "text", False, STREET),
        ("ward", _("Ward"), "text", False, WARD),
        ("province", _("Province"), "province", False, PROVINCE),
        ("customer_group", _("Customer group"), "group", False, GROUP),
        ("source", _("Source"), "source", False, SOURCE),
        ("lifecycle_stage", _("Lifecycle stage"), "lifecycle", False, STAGE),
        ("notes", _("Notes"), "notes", False, NOTES),
        ("owner", _("Owner"), "owner", False, OWNER),
    ],
    ImportTarget.LEADS: [
        *COMMON_PEOPLE,
        ("company", _("Company"), "text", False, ("Công ty", "Tên công ty", "Doanh nghiệp", "Company",
                                                  "Organisation")),
        ("title", _("Job title"), "text", False, ("Chức danh", "Chức vụ", "Job title", "Title", "Position")),
        ("province", _("Province"), "province", False, PROVINCE),
        ("source", _("Source"), "source", False, SOURCE),
        ("campaign", _("Campaign"), "text", False, ("Chiến dịch", "Campaign")),
        ("first_touch_at", _("First touch"), "datetime", False,
         ("Lần tiếp cận đầu tiên", "Ngày tiếp cận", "Ngày liên hệ", "First touch", "First contact")),
        ("interest", _("Interest"), "notes", False, ("Nhu cầu", "Quan tâm", "Sản phẩm quan tâm", "Ghi chú",
                                                     "Interest", "Needs", "Notes")),
        ("status", _("Status"), "lead_status", False, ("Trạng thái", "Tình trạng", "Status")),
        ("next_action", _("Next action"), "text", False, ("Việc tiếp theo", "Hành động tiếp theo",
                                                          "Next action", "Next step")),
        ("next_action_at", _("Next action at"), "datetime", False, ("Hạn việc tiếp theo", "Ngày hẹn",
                                                                    "Next action at", "Follow-up date")),
        ("owner", _("Owner"), "owner", False, OWNER),
        *CONSENTS,
    ],
    ImportTarget.PRODUCTS: [
        ("code", _("Code"), "code", False,
         ("Mã", "Mã sản phẩm", "Mã SP", "Mã hàng", "Mã hàng hóa", "Mã dịch vụ", "Mã vật tư", "SKU", "Code",
          "Product code", "Item code")),
        ("name", _("Name"), "text", False,
         ("Tên", "Tên sản phẩm", "Tên SP", "Tên hàng", "Tên hàng hóa", "Tên dịch vụ", "Sản phẩm", "Name",
          "Product name", "Product", "Item")),
        ("category", _("Category"), "category", False,
         ("Danh mục", "Nhóm hàng", "Nhóm sản phẩm", "Ngành hàng", "Category", "Product category")),
        ("unit", _("Unit"), "text", False,
         ("Đơn vị tính", "ĐVT", "Đơn vị", "Unit", "UOM", "Unit of measure")),
        ("kind", _("Type"), "product_kind", False,
         ("Loại", "Loại hàng", "Hàng hóa/Dịch vụ", "Phân loại", "Type", "Kind")),
        ("list_price", _("List price"), "price", False,
         ("Giá niêm yết", "Giá bán", "Giá bán lẻ", "Đơn giá", "Giá", "List price", "Price", "Unit price")),
        ("vat_rate", _("VAT rate"), "vat_rate", False,
         ("Thuế suất", "Thuế suất GTGT", "Thuế GTGT", "Thuế", "VAT", "VAT rate", "Tax rate")),
        ("vat_reducible", _("VAT reduction applies"), "yes_no", False,
         ("Giảm thuế", "Được giảm thuế", "Giảm thuế GTGT", "VAT reduction", "Reduced VAT")),
        ("warranty_months", capfirst(_("warranty (months)")), "months", False,
         ("Bảo hành", "Thời gian bảo hành", "Số tháng bảo hành", "Bảo hành (tháng)", "Warranty",
          "Warranty months")),
        ("maintenance_months", capfirst(_("maintenance interval (months)")), "months", False,
         ("Bảo trì", "Chu kỳ bảo trì", "Bảo dưỡng", "Chu kỳ bảo dưỡng", "Bảo trì (tháng)", "Maintenance",
          "Maintenance interval")),
        ("supplier", _("Supplier"), "supplier", False,
         ("Nhà cung cấp", "NCC", "Hãng cung cấp", "Supplier", "Vendor")),
        ("active", _("Active"), "yes_no", False, ("Đang bán", "Đang kinh doanh", "Còn bán", "Active")),
        ("description", _("Description"), "notes", False,
         ("Mô tả", "Mô tả sản phẩm", "Ghi chú", "Description", "Notes")),
    ],
}  # fmt: skip

# Keys a row can be matched on, per record type (in the order they are tried).
MATCH_KEYS: dict[str, list[str]] = {
    ImportTarget.CONTACTS: ["id", "phone", "email"],
    ImportTarget.ACCOUNTS: ["id", "tax_code", "phone", "email"],
    ImportTarget.LEADS: ["id", "phone", "email"],
    ImportTarget.PRODUCTS: ["code"],  # the product's code: what finds it again (our exports carry it)
}
MATCH_LABELS = {
    "id": _("Record ID"),
    "phone": _("Phone"),
    "email": _("Email"),
    "tax_code": _("Tax code"),
    "code": _("Code"),
}
REQUIRED_NAME: dict[str, str] = {
    ImportTarget.CONTACTS: "full_name",
    ImportTarget.ACCOUNTS: "name",
    ImportTarget.LEADS: "full_name",
    ImportTarget.PRODUCTS: "name",
}
# Fields a row must fill besides the name (their column must be mapped too).
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {ImportTarget.PRODUCTS: ("code",)}


def header_key(text: Any) -> str:
    """The folded form headers are compared in: "Tỉnh/Thành phố (*)" → "tinh thanh pho"."""
    return re.sub(r"[^0-9a-z]+", " ", fold(str(text or ""))).strip()


def model_for(target: str) -> Any:
    if target == ImportTarget.CONTACTS:
        from sencrm.customers.models import Contact

        return Contact
    if target == ImportTarget.ACCOUNTS:
        from sencrm.customers.models import Account

        return Account
    if target == ImportTarget.PRODUCTS:
        from sencrm.catalog.models import Product

        return Product
    from sencrm.sales.models import Lead

    return Lead


@lru_cache(maxsize=8)
def _builtin(target: str) -> tuple[FieldSpec, ...]:
    specs = []
    for key, label, kind, multi, synonyms in TARGET_FIELDS[target]:
        names = set(synonyms)
        for msgid in EXPORT_HEADERS.get(key, []):
            names.add(msgid)
            for code, _name in settings.LANGUAGES:
                with translation.override(code):
                    names.add(translation.gettext(msgid))
        specs.append(FieldSpec(key, label, kind, multi, tuple(sorted(names))))
    return tuple(specs)


def field_specs(target: str, custom: list[CustomField] | None = None) -> list[FieldSpec]:
    """Every field of the record type a column can feed, custom fields last ("cf:<key>")."""
    from sencrm.customfields import custom_fields

    model = model_for(target)
    if not any(f.name == "custom_field_data" for f in model._meta.concrete_fields):
        defs: list[CustomField] = []  # products have no custom fields
    else:
        defs = custom if custom is not None else custom_fields.definitions(model)
    extra = [FieldSpec(f"cf:{f.key}", f.label, "custom", False, (f.label, f.key), f) for f in defs]
    return [*_builtin(target), *extra]


def _index(specs: list[FieldSpec]) -> dict[str, str]:
    index: dict[str, str] = {}
    for spec in specs:
        for name in spec.synonyms:
            for key in (header_key(name), header_key(name).replace(" ", "")):
                # Custom field labels win over built-in synonyms: the administrator named them.
                if key and (key not in index or spec.kind == "custom"):
                    index[key] = spec.key
    return index


def match_header(header: str, specs: list[FieldSpec], index: dict[str, str] | None = None) -> str:
    index = index if index is not None else _index(specs)
    key = header_key(header)
    if not key:
        return ""
    for candidate in (key, key.replace(" ", ""), re.sub(r"\s*\d+$", "", key)):
        if candidate in index:
            return index[candidate]
    return ""


def propose_mapping(columns: list[str], specs: list[FieldSpec]) -> list[str]:
    """A field per column ("" = ignore); a single-valued field is given to its first column only."""
    index = _index(specs)
    multi = {s.key for s in specs if s.multi}
    keys = [match_header(c, specs, index) for c in columns]
    # "Họ" + "Tên" columns: "Tên" is then the given name, not the full name.
    if "family_name" in keys:
        keys = [
            "given_name" if k == "full_name" and header_key(c) == "ten" else k
            for k, c in zip(keys, columns, strict=True)
        ]
    used: set[str] = set()
    result = []
    for key in keys:
        if key and key not in multi and key in used:
            key = ""
        used.add(key)
        result.append(key)
    return result


def header_score(cells: list[str], specs: list[FieldSpec], index: dict[str, str]) -> int:
    return len({k for k in (match_header(c, specs, index) for c in cells) if k})


def find_header(rows: list[list[str]], specs: list[FieldSpec]) -> int:
    """Index of the header among the first rows: the one naming the most known fields (title rows above
    it are skipped). A single known name further down may be a data cell ("Ghi chú" in a notes column):
    then, as without any known name, the first row that is as wide as the data."""
    index = _index(specs)
    best, best_score = -1, 0
    for i, cells in enumerate(rows):
        score = header_score(cells, specs, index)
        if score > best_score:
            best, best_score = i, score
    widths = [sum(1 for c in cells if c.strip()) for cells in rows]
    widest = max(widths, default=0)
    first_wide = next((i for i, w in enumerate(widths) if w == widest and w > 0), 0)
    if best >= 0 and (best_score >= 2 or best <= first_wide):
        return best
    return first_wide


def template_mapping(columns: list[str], template: dict[str, str], specs: list[FieldSpec]) -> list[str]:
    """Apply a saved template (folded header → field); headers it does not know get the proposal."""
    proposal = propose_mapping(columns, specs)
    known = {s.key for s in specs}
    return [
        (template[header_key(c)] if template[header_key(c)] in known else "")
        if header_key(c) in template
        else p
        for c, p in zip(columns, proposal, strict=True)
    ]
