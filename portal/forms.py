from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from patients.forms import DateInput
from patients.models import Patient


class ReferralIdentityForm(forms.Form):
    birth_name = forms.CharField(max_length=100, label=_("Birth name"))
    used_name = forms.CharField(max_length=100, required=False, label=_("Used name"))
    first_names = forms.CharField(max_length=150, label=_("First names"))
    sex = forms.ChoiceField(choices=Patient.Sex.choices, label=_("Sex"))
    birth_date = forms.DateField(label=_("Birth date"), widget=DateInput())
    ins = forms.CharField(max_length=21, required=False, label=_("INS (if known)"))
    phone = forms.CharField(max_length=32, required=False, label=_("Phone"))
    email = forms.EmailField(required=False, label=_("E-mail"))

    def identity(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if v not in ("", None)}


class AgreementForm(forms.Form):
    answer = forms.ChoiceField(choices=[("agree", _("I agree to the inclusion")),
                                        ("oppose", _("I oppose the inclusion"))],
                               widget=forms.RadioSelect, label=_("Your answer"))
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                              label=_("Comment"))


class SetPasswordForm(forms.Form):
    password1 = forms.CharField(widget=forms.PasswordInput, label=_("Choose a password"),
                                help_text=_("At least 10 characters."))
    password2 = forms.CharField(widget=forms.PasswordInput, label=_("Type it again"))

    def clean(self):
        data = super().clean()
        if data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


class PortalConsentForm(forms.Form):
    read_notice = forms.BooleanField(label=_("I have read the information notice"))
    agree = forms.BooleanField(label=_("I agree to take part in the programme"))
