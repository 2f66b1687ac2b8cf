"""Forms of the patients app; validation of substance is in the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from patients import eligibility
from patients.models import Consent, Pathology, Patient, Professional


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class PatientForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = [
            "birth_name", "used_name", "first_names", "sex", "birth_date", "birth_place_code",
            "ins", "identity_status", "address", "phone", "email", "carer_name", "carer_phone",
            "site", "gp", "weight_kg", "height_cm", "antidepressant_treatment",
        ]
        widgets = {"birth_date": DateInput(), "address": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        from constel.models import Site

        self.fields["site"].queryset = Site.objects.for_tenant(tenant)
        self.fields["gp"].queryset = Professional.objects.for_tenant(tenant).filter(
            kind=Professional.Kind.GP)

    def _post_clean(self):
        # Model validation (INS, duplicates…) runs in the services, with field messages.
        pass


class DiagnosisForm(forms.Form):
    pathology = forms.ModelChoiceField(queryset=Pathology.objects.none(), label=_("Pathology"))
    diagnosed_on = forms.DateField(label=_("Diagnosed on"), widget=DateInput())
    oral_therapy = forms.BooleanField(label=_("Under oral therapy (cancers)"), required=False)

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pathology"].queryset = Pathology.objects.for_tenant(tenant)


class ConsentForm(forms.Form):
    kind = forms.ChoiceField(choices=Consent.Kind.choices, label=_("What"))
    granted = forms.TypedChoiceField(
        choices=[("1", _("Yes")), ("0", _("No"))], coerce=lambda v: v == "1",
        widget=forms.RadioSelect, label=_("Answer"))
    method = forms.ChoiceField(choices=Consent.Method.choices, label=_("How"))
    notice_version = forms.CharField(required=False, max_length=32,
                                     label=_("Information notice version"))
    evidence = forms.FileField(required=False, label=_("Scanned signed form (PDF or image)"))

    def clean_evidence(self):
        f = self.cleaned_data.get("evidence")
        if f is None:
            return None
        if f.size > 10 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        head = f.read(8)
        f.seek(0)
        if not (head.startswith(b"%PDF") or head.startswith(b"\x89PNG")
                or head.startswith(b"\xff\xd8\xff")):
            raise forms.ValidationError(_("Only PDF, PNG or JPEG files are accepted."))
        return f


def _choices(mapping) -> list[tuple[str, str]]:
    return [(code, label) for code, label in mapping.items()]


class EligibilityForm(forms.Form):
    """The eligibility questionnaire (§III.2), used by both doors."""

    pathologies = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple,
        label=_("In-scope pathologies (Table 4), besides those already recorded"))
    oral_therapy = forms.BooleanField(required=False,
                                      label=_("The cancer is treated by oral therapy"))
    therapeutic_failure = forms.BooleanField(
        required=False, label=_("Therapeutic failure despite classic follow-up (MONO)"))
    mono_criteria = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple,
        label=_("Medical criteria (§III.2.a), for a single pathology"))
    medico_social = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple,
        choices=_choices(eligibility.MEDICO_SOCIAL_CRITERIA),
        label=_("Medico-social criteria (at least one)"))
    programmes = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple,
        choices=[*_choices(eligibility.EXCLUDING_PROGRAMMES), ("asalee", "Asalée")],
        label=_("Already followed in"))
    exclusions = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple,
        choices=_choices(eligibility.OTHER_EXCLUSIONS), label=_("Exclusions"))

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pathologies"].choices = list(
            Pathology.objects.for_tenant(tenant).values_list("code", "label"))
        self.fields["mono_criteria"].choices = [
            (family, list(criteria.items())) for family, criteria in eligibility.CRITERIA_FAMILIES
        ]

    def questionnaire(self) -> dict:
        d = self.cleaned_data
        oral = bool(d.get("oral_therapy"))
        return {
            "pathologies": {code: oral for code in d.get("pathologies", [])},
            "therapeutic_failure": bool(d.get("therapeutic_failure")),
            "mono_criteria": d.get("mono_criteria", []),
            "medico_social": d.get("medico_social", []),
            "programmes": d.get("programmes", []),
            "exclusions": d.get("exclusions", []),
        }


class ProfessionalForm(forms.ModelForm):
    class Meta:
        model = Professional
        fields = ["kind", "profession", "first_name", "last_name", "rpps", "phone", "email",
                  "secure_email"]

    def _post_clean(self):
        pass


class ConventionForm(forms.Form):
    kind = forms.CharField(max_length=120, label=_("Convention"))
    signed_on = forms.DateField(label=_("Signed on"), widget=DateInput())


def apply_errors(form: forms.Form, exc) -> None:
    """Put a service's ValidationError on the form's fields (unknown fields: form-level)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
