from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pathways.models import Enrollment
from patients.forms import DateInput


class DeclineForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}),
                             label=_("Reason (sent to the GP)"))


class PhoneAgreementForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}),
                           label=_("Note of the call"))


class IncludeForm(forms.Form):
    on = forms.DateField(label=_("Inclusion date"), widget=DateInput())


class ExitForm(forms.Form):
    reason = forms.ChoiceField(choices=Enrollment.ExitReason.choices, label=_("Reason"))
    on = forms.DateField(label=_("Exit date"), widget=DateInput())
    note = forms.CharField(required=False, label=_("Note"))
