from sencrm.core.record_views import (
    RecordDeleteView,
    RecordDetailView,
    RecordForm,
    RecordListView,
    RecordUpdateView,
)
from sencrm.events.services import record_delete, record_update

from .models import Gadget


class GadgetForm(RecordForm):
    class Meta:
        model = Gadget
        fields = ["name", "amount", "note"]


class GadgetListView(RecordListView):
    model = Gadget
    template_name = "testapp/gadget_list.html"


class GadgetDetailView(RecordDetailView):
    model = Gadget
    template_name = "testapp/gadget_detail.html"


class GadgetUpdateView(RecordUpdateView):
    model = Gadget
    form_class = GadgetForm
    template_name = "testapp/gadget_form.html"
    update_service = staticmethod(record_update)


class GadgetDeleteView(RecordDeleteView):
    model = Gadget
    delete_service = staticmethod(record_delete)
