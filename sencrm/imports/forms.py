"""Forms of the import wizard: upload, file settings, column mapping."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from sencrm.imports.detect import column_label
from sencrm.imports.fields import MATCH_KEYS, MATCH_LABELS, field_specs
from sencrm.imports.files import max_upload_bytes
from sencrm.imports.models import DedupeMode, ImportJob, ImportMapping
from sencrm.imports.reader import REPAIR

ENCODING_CHOICES = [
    ("", _("Detect automatically")),
    ("utf-8", "UTF-8"),
    ("utf-16", "UTF-16"),
    ("cp1258", _("Windows-1258 (Vietnamese)")),
    ("cp1252", _("Windows-1252 (Western European)")),
    ("latin-1", "ISO-8859-1 (Latin-1)"),
    (REPAIR, _("UTF-8, repair double-encoded text (“Ã”, “á»”)")),
]
DELIMITER_CHOICES = [
    ("", _("Detect automatically")),
    (",", _("Comma ,")),
    (";", _("Semicolon ;")),
    ("\t", _("Tab")),
    ("|", _("Vertical bar |")),
]


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File (CSV or Excel .xlsx)"))
    encoding = forms.ChoiceField(label=_("Encoding (CSV)"), choices=ENCODING_CHOICES, required=False)
    template = forms.ModelChoiceField(
        label=_("Saved mapping"), queryset=ImportMapping.objects.none(), required=False, empty_label=_("None")
    )

    def __init__(self, *args: Any, target: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        template = cast("forms.ModelChoiceField[ImportMapping]", self.fields["template"])
        template.queryset = ImportMapping.objects.filter(target=target)
        self.fields["file"].widget.attrs["accept"] = ".csv,.txt,.tsv,.xlsx"

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > max_upload_bytes():
            raise forms.ValidationError(
                _("The file is too large (at most %(mb)s MB).") % {"mb": max_upload_bytes() // (1024 * 1024)}
            )
        return upload


class LayoutForm(forms.Form):
    encoding = forms.ChoiceField(label=_("Encoding"), choices=ENCODING_CHOICES, required=False)
    delimiter = forms.ChoiceField(label=_("Delimiter"), choices=DELIMITER_CHOICES, required=False)
    sheet = forms.ChoiceField(label=_("Sheet"), choices=[], required=False)
    header_row = forms.IntegerField(label=_("Header row"), min_value=1, max_value=30, required=False)

    def __init__(self, *args: Any, sheets: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["sheet"]).choices = [(s, s) for s in sheets or []]


class MappingForm(forms.Form):
    dedupe_mode = forms.ChoiceField(
        label=_("When a row matches an existing record"), choices=DedupeMode.choices, widget=forms.RadioSelect
    )
    match_keys = forms.MultipleChoiceField(
        label=_("Match rows to existing records by"), required=False, widget=forms.CheckboxSelectMultiple
    )
    reject_warnings = forms.BooleanField(
        label=_("Reject rows with warnings"),
        required=False,
        help_text=_(
            "Off: a value that cannot be placed (an unknown province or source, a wrong date of birth…) "
            "is kept as typed in the address or the notes, and the row is imported with a warning. "
            "On: such rows are rejected."
        ),
    )
    template_name = forms.CharField(  # type: ignore[assignment]  # a form field, not BaseForm.template_name
        label=_("Save this mapping as"), max_length=80, required=False
    )

    def __init__(self, *args: Any, job: ImportJob, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "dedupe_mode": job.dedupe_mode,
                "match_keys": job.match_keys,
                "reject_warnings": job.reject_warnings,
                **{f"col_{i}": m for i, m in enumerate(job.mapping)},
            },
        )
        super().__init__(*args, **kwargs)
        self.job = job
        choices = [("", _("— do not import —"))] + [(s.key, s.label) for s in field_specs(job.target)]
        self.column_names = []
        for index in range(len(job.columns)):
            name = f"col_{index}"
            self.fields[name] = forms.ChoiceField(
                label=column_label(job.columns, index), choices=choices, required=False
            )
            self.column_names.append(name)
        match_keys = cast(forms.MultipleChoiceField, self.fields["match_keys"])
        match_keys.choices = [(k, MATCH_LABELS[k]) for k in MATCH_KEYS[job.target]]

    def mapping(self) -> list[str]:
        return [self.cleaned_data.get(name) or "" for name in self.column_names]

    def columns(self) -> list[tuple[Any, list[str]]]:
        """(bound field, sample values) per column, for the mapping table."""
        return [
            (self[name], [row[i] if i < len(row) else "" for row in self.job.preview.get("sample", [])])
            for i, name in enumerate(self.column_names)
        ]
