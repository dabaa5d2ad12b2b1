from __future__ import annotations

from django.db import models
from django.urls import reverse

from sencrm.core.models import Record
from sencrm.core.modules import Module


class Gadget(Record):
    """A stand-in business record (tests only): exercises the gate, the spine and the base views."""

    access_module = Module.CUSTOMERS

    name = models.CharField("name", max_length=100)
    amount = models.DecimalField("amount", max_digits=18, decimal_places=0, default=0)
    note = models.TextField("note", blank=True)

    class Meta:
        verbose_name = "gadget"
        verbose_name_plural = "gadgets"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("testapp:gadget_detail", args=[self.pk])

    def event_customer(self) -> Gadget:
        return self
