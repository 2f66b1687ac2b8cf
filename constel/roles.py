"""The roles of DESIGN §3. Kept apart from access.py so models can import them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    NURSE_COORDINATOR = "nurse_coordinator", _("Coordinating nurse (IDEC)")
    PHYSICIAN_COORDINATOR = "physician_coordinator", _("Coordinating physician")
    CARE_MANAGER = "care_manager", _("Nursing lead")
    SPECIALIST = "specialist", _("Specialist physician")
    GP = "gp", _("General practitioner")
    SECRETARY = "secretary", _("Medical secretary")
    PHARMACIST = "pharmacist", _("Pharmacist")
    ALLIED_PROFESSIONAL = "allied_professional", _("Allied professional")
    PROGRAMME_MANAGER = "programme_manager", _("Programme manager")
    PRIVACY_OFFICER = "privacy_officer", _("Data-protection officer")
    FINANCE = "finance", _("Finance")
    EVALUATOR = "evaluator", _("External evaluator")
    PATIENT = "patient", _("Patient")


#: Every role but the patient's is staff: second factor required, 30-minute idle expiry.
STAFF_ROLES = frozenset(Role) - {Role.PATIENT}
#: The coordinating team keeps full access even when a patient objects to sharing.
COORDINATING_TEAM = frozenset(
    {Role.NURSE_COORDINATOR, Role.PHYSICIAN_COORDINATOR, Role.CARE_MANAGER}
)
