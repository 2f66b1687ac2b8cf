"""Secure messages between a patient and the care team, and the EPICES questionnaire."""

from __future__ import annotations

import hashlib
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from constel.models import User
from constel.tenancy import tenant_context
from engagement.models import Message, MessageAttachment, QuestionnaireResponse
from patients.models import Patient

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_BODY = 4000
#: what an attachment may be, recognised by its first bytes (never by its name)
SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
EXTENSIONS = {"application/pdf": (".pdf",), "image/png": (".png",),
              "image/jpeg": (".jpg", ".jpeg")}


def sniff(data: bytes) -> str | None:
    for content_type, signatures in SIGNATURES.items():
        if any(data.startswith(s) for s in signatures):
            return content_type
    return None


@transaction.atomic
def message_send(*, patient: Patient, author: User, from_patient: bool, body: str,
                 attachment=None) -> Message:
    """A message in the patient's thread; an attachment must be a PDF, PNG or JPEG (by its
    content, matching its name) of at most 5 MB. Refused whole otherwise."""
    body = (body or "").strip()
    if not body and attachment is None:
        raise ValidationError({"body": _("Write your message.")})
    if len(body) > MAX_BODY:
        raise ValidationError({"body": _("A message is at most %(n)s characters.")
                               % {"n": MAX_BODY}})
    file = None
    if attachment is not None:
        if attachment.size > MAX_ATTACHMENT_BYTES:
            raise ValidationError({"attachment": _(
                "The file is too large (%(size)s MB); the limit is 5 MB.")
                % {"size": f"{attachment.size / 1048576:.1f}".replace(".", ",")}})
        data = attachment.read()
        content_type = sniff(data)
        name = (attachment.name or "document").rsplit("/", 1)[-1][:200]
        if content_type is None or not name.lower().endswith(EXTENSIONS[content_type]):
            raise ValidationError({"attachment": _(
                "Only PDF documents and photos (JPEG, PNG) can be sent.")})
        file = (name, content_type, data)
    with tenant_context(patient.tenant_id):
        message = Message.objects.create(tenant_id=patient.tenant_id, patient=patient,
                                         author=author, from_patient=from_patient, body=body)
        if file:
            name, content_type, data = file
            MessageAttachment.objects.create(
                tenant_id=patient.tenant_id, message=message, name=name,
                content_type=content_type, size=len(data), data=data,
                sha256=hashlib.sha256(data).hexdigest())
        return message


def messages_mark_read(*, patient: Patient, reader: User, from_patient: bool) -> int:
    """The reader has opened the thread: the other side's messages are read."""
    with tenant_context(patient.tenant_id):
        return Message.objects.filter(patient=patient, from_patient=from_patient,
                                      read_at__isnull=True).update(
            read_at=timezone.now(), read_by=reader)


def unread_count(*, patient: Patient, from_patient: bool) -> int:
    with tenant_context(patient.tenant_id):
        return Message.objects.filter(patient=patient, from_patient=from_patient,
                                      read_at__isnull=True).count()


# --- EPICES ---------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def epices() -> dict:
    """The 11 questions, weights, constant and threshold (Sass et al., BEH 2006; reference
    facts in reference/constel-action.yaml)."""
    facts = yaml.safe_load((Path(settings.BASE_DIR) / "reference" / "constel-action.yaml")
                           .read_text())["epices"]
    return {"constant": Decimal(str(facts["constant"])),
            "threshold": Decimal(str(facts["threshold"])),
            "questions": [(q["q"], Decimal(str(q["weight_if_yes"])))
                          for q in facts["questions"]]}


def epices_score(answers: list[bool]) -> Decimal:
    """Constant + the weights of the questions answered yes, shown between 0 and 100."""
    facts = epices()
    score = facts["constant"] + sum((w for (_q, w), yes in zip(facts["questions"], answers,
                                                                strict=True) if yes),
                                    Decimal(0))
    return max(Decimal(0), min(Decimal(100), score)).quantize(Decimal("0.01"), ROUND_HALF_UP)


@transaction.atomic
def epices_record(*, patient: Patient, answers: dict, by: User) -> QuestionnaireResponse:
    """``answers``: question index (0–10) → "yes"/"no"; every question must be answered."""
    n = len(epices()["questions"])
    parsed, missing = [], []
    for i in range(n):
        value = answers.get(str(i), answers.get(i))
        if value not in ("yes", "no"):
            missing.append(i + 1)
        parsed.append(value == "yes")
    if missing:
        raise ValidationError({"answers": _("Answer every question (missing: %(q)s).")
                               % {"q": ", ".join(map(str, missing))}})
    score = epices_score(parsed)
    with tenant_context(patient.tenant_id):
        return QuestionnaireResponse.objects.create(
            tenant_id=patient.tenant_id, patient=patient, kind=QuestionnaireResponse.Kind.EPICES,
            answers=["yes" if a else "no" for a in parsed], score=score,
            flagged=score >= epices()["threshold"], answered_by=by)


# --- Questionnaires defined by the tenant (PROMs, PREMs, GP satisfaction) ---------------------

#: Seeded for every tenant; the GP questionnaire is Table 14's "satisfaction des médecins
#: traitants", the patient ones a PREM and a PROM (EQ visual analogue scale).
DEFAULT_QUESTIONNAIRES = [
    {"code": "satisfaction-mt", "audience": "gp",
     "title": "Questionnaire de satisfaction des médecins traitants",
     "intro": "Six questions sur le programme (cahier des charges, tableau 14). Deux minutes.",
     "questions": [
         {"text": "Êtes-vous satisfait(e) du programme ? (0 = pas du tout, 10 = tout à fait)",
          "kind": "scale", "min": 0, "max": 10},
         {"text": "Recommanderiez-vous le programme à un confrère ?", "kind": "yesno"},
         {"text": "Le programme vous apporte-t-il des changements appropriés dans votre "
                  "pratique ?", "kind": "yesno"},
         {"text": "Vous appuyez-vous sur le programme ou y faites-vous référence dans votre "
                  "pratique ?", "kind": "yesno"},
         {"text": "Le retour d'information (courriers, PPS) est-il satisfaisant ?",
          "kind": "yesno"},
         {"text": "Avez-vous modifié votre prise en charge (conformément aux référentiels) "
                  "pour certains de vos patients ?", "kind": "yesno"},
         {"text": "Commentaire libre", "kind": "text", "optional": True},
     ]},
    {"code": "prem-suivi", "audience": "patient",
     "title": "Votre avis sur votre accompagnement",
     "intro": "Quatre questions sur votre suivi. Vos réponses sont lues par l'équipe.",
     "questions": [
         {"text": "Êtes-vous satisfait(e) de votre suivi ? (0 = pas du tout, 10 = tout à fait)",
          "kind": "scale", "min": 0, "max": 10},
         {"text": "Vous sentez-vous plus à l'aise pour gérer votre maladie au quotidien ?",
          "kind": "yesno"},
         {"text": "Recommanderiez-vous le programme à un proche ?", "kind": "yesno"},
         {"text": "Un mot pour l'équipe (facultatif)", "kind": "text", "optional": True},
     ]},
    {"code": "prom-eva", "audience": "patient", "title": "Votre santé aujourd'hui",
     "intro": "Une question : comment évaluez-vous votre santé aujourd'hui ?",
     "questions": [
         {"text": "Votre santé aujourd'hui, de 0 (la pire imaginable) à 100 (la meilleure "
                  "imaginable)", "kind": "scale", "min": 0, "max": 100},
     ]},
]


def questionnaires_load(*, tenant) -> int:
    from engagement.models import Questionnaire

    with tenant_context(tenant):
        for q in DEFAULT_QUESTIONNAIRES:
            Questionnaire.objects.update_or_create(tenant=tenant, code=q["code"], defaults={
                k: v for k, v in q.items() if k != "code"})
        return Questionnaire.objects.count()


def _answer(question: dict, raw) -> object:
    raw = (raw or "").strip() if isinstance(raw, str) or raw is None else raw
    if raw in ("", None):
        if question.get("optional"):
            return None
        raise ValueError(_("An answer is needed."))
    kind = question["kind"]
    if kind == "yesno":
        if raw not in ("yes", "no"):
            raise ValueError(_("Answer yes or no."))
        return raw
    if kind == "scale":
        try:
            value = int(str(raw))
        except ValueError as exc:
            raise ValueError(_("Choose a whole number.")) from exc
        if not question.get("min", 0) <= value <= question.get("max", 10):
            raise ValueError(_("Choose a number from %(min)s to %(max)s.")
                             % {"min": question.get("min", 0), "max": question.get("max", 10)})
        return value
    text = str(raw)
    if len(text) > 2000:
        raise ValueError(_("At most 2,000 characters."))
    return text


@transaction.atomic
def questionnaire_answer(*, questionnaire, by: User, answers: dict,
                         patient: Patient | None = None) -> QuestionnaireResponse:
    """Answers by question index; each checked against its question (a number in range,
    yes/no, a text of at most 2,000 characters). Refused whole, naming the questions."""
    errors, parsed = {}, []
    for i, question in enumerate(questionnaire.questions):
        try:
            parsed.append(_answer(question, answers.get(str(i))))
        except ValueError as exc:
            errors[f"q{i}"] = [str(exc)]
    if errors:
        raise ValidationError(errors)
    with tenant_context(questionnaire.tenant_id):
        return QuestionnaireResponse.objects.create(
            tenant_id=questionnaire.tenant_id, patient=patient, questionnaire=questionnaire,
            kind=QuestionnaireResponse.Kind.DEFINED, answers=parsed, answered_by=by)


# --- Educational content ---------------------------------------------------------------------

MAX_VIDEO_BYTES = 200 * 1024 * 1024
VIDEO_TYPES = {"video/mp4": (".mp4",), "video/webm": (".webm",)}


def _video_type(head: bytes) -> str | None:
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    return None


@transaction.atomic
def content_create(*, tenant, title: str, body: str, video, actor: User):
    """A text, optionally with an MP4 / WebM video (at most 200 MB, recognised by its
    content)."""
    from engagement.models import ContentItem

    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("Give the content a title.")})
    if not (body or "").strip() and video is None:
        raise ValidationError({"body": _("Write a text or add a video.")})
    video_type = ""
    if video is not None:
        if video.size > MAX_VIDEO_BYTES:
            raise ValidationError({"video": _("The video is too large (200 MB at most).")})
        head = video.read(16)
        video.seek(0)
        video_type = _video_type(head) or ""
        name = (video.name or "").lower()
        if not video_type or not name.endswith(VIDEO_TYPES[video_type]):
            raise ValidationError({"video": _("Only MP4 and WebM videos can be uploaded.")})
    with tenant_context(tenant):
        item = ContentItem(tenant=tenant, title=title[:200], body=(body or "").strip(),
                           video_type=video_type, created_by=actor)
        item.save()
        if video is not None:
            item.video.save(video.name.rsplit("/", 1)[-1][:100], video, save=True)
        return item


@transaction.atomic
def content_assign(*, item, patient: Patient, actor: User):
    from engagement.models import ContentAssignment

    if item.tenant_id != patient.tenant_id:
        raise ValidationError({"item": _("Unknown content.")})
    with tenant_context(patient.tenant_id):
        assignment, _created = ContentAssignment.objects.get_or_create(
            tenant_id=patient.tenant_id, item=item, patient=patient,
            defaults={"assigned_by": actor})
        return assignment
