"""The patient's exchanges with the care team (DESIGN §8): secure messages with attachments,
educational contents, and questionnaires answered on the portal (EPICES precarity score).

Moved out of ``pathways`` without touching the tables: each model keeps its ``db_table``
(and its history's), so row-level security and the history stay as they were."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from constel.audit import clinical_history
from constel.tenancy import TenantOwned


class Message(TenantOwned):
    """One message of a patient's thread with the care team."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE,
                                related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT,
                               related_name="+")
    from_patient = models.BooleanField()
    body = models.TextField(max_length=4000)
    sent_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)  # by the other side
    read_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")

    history = clinical_history(table_name="pathways_historicalmessage")

    class Meta:
        db_table = "pathways_message"
        ordering = ["sent_at"]
        indexes = [models.Index(fields=["tenant", "patient", "from_patient", "read_at"])]


class MessageAttachment(TenantOwned):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    data = models.BinaryField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        db_table = "pathways_messageattachment"


def _private_storage():
    """Uploaded content is served by an access-checked view, never as public media."""
    from constel.storage import PrivateStorage

    return PrivateStorage()


def _content_path(instance, filename: str) -> str:
    return f"contents/{instance.tenant_id}/{instance.pk}/{filename}"


class ContentItem(TenantOwned):
    """Educational content chosen by the care team: a text, optionally a video (adapted
    physical activity, inhaler technique…) uploaded to the platform."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    video = models.FileField(_("video"), storage=_private_storage, upload_to=_content_path,
                             blank=True, max_length=300)
    video_type = models.CharField(max_length=20, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "pathways_contentitem"
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class ContentAssignment(TenantOwned):
    """A content given to one patient (shown on their portal)."""

    item = models.ForeignKey(ContentItem, on_delete=models.CASCADE, related_name="assignments")
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE,
                                related_name="contents")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                    on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "pathways_contentassignment"
        ordering = ["-assigned_at"]
        constraints = [models.UniqueConstraint(fields=["tenant", "item", "patient"],
                                               name="content_assigned_once")]


class Questionnaire(TenantOwned):
    """A questionnaire the tenant defines: PROMs / PREMs for patients, the GPs' satisfaction
    questionnaire (Table 14). ``questions``: [{"text", "kind": scale|yesno|text, "min",
    "max", "optional"}]."""

    class Audience(models.TextChoices):
        PATIENT = "patient", _("Patients")
        GP = "gp", _("General practitioners")

    code = models.SlugField(max_length=40)
    title = models.CharField(max_length=200)
    audience = models.CharField(max_length=8, choices=Audience.choices)
    intro = models.TextField(blank=True)
    questions = models.JSONField()
    active = models.BooleanField(default=True)

    class Meta:
        db_table = "pathways_questionnaire"
        ordering = ["audience", "title"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"],
                                               name="questionnaire_unique_code")]

    def __str__(self) -> str:
        return self.title


class QuestionnaireResponse(TenantOwned):
    class Kind(models.TextChoices):
        EPICES = "epices", _("EPICES precarity score")
        DEFINED = "defined", _("Questionnaire of the programme")

    patient = models.ForeignKey("patients.Patient", null=True, blank=True,
                                on_delete=models.CASCADE, related_name="questionnaires")
    questionnaire = models.ForeignKey(Questionnaire, null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="responses")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    answers = models.JSONField()
    score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    flagged = models.BooleanField(default=False)  # EPICES: precarity (score ≥ 30.17)
    answered_at = models.DateTimeField(auto_now_add=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                    on_delete=models.PROTECT, related_name="+")

    class Meta:
        db_table = "pathways_questionnaireresponse"
        ordering = ["-answered_at"]

    @property
    def pairs(self) -> list[tuple[dict, object]]:
        """(question, answer) for a defined questionnaire, in order."""
        questions = self.questionnaire.questions if self.questionnaire_id else []
        return list(zip(questions, self.answers, strict=False))
