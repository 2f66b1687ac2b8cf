"""Pathology catalogues loaded into a tenant (Constel'Action: Table 4 of the cahier)."""

from __future__ import annotations

from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction

from constel.models import Tenant
from constel.tenancy import tenant_context
from patients.models import Pathology

LABELS_FR = {
    "hypertension": "Hypertension artérielle",
    "chronic_coronary_disease": "Maladie coronaire chronique",
    "heart_failure_chronic_and_acute": "Insuffisance cardiaque chronique et aiguë",
    "acute_coronary_syndrome": "Syndrome coronaire aigu",
    "deep_vein_thrombosis": "Thromboses veineuses profondes",
    "pulmonary_embolism": "Embolie pulmonaire",
    "peripheral_arterial_disease_lower_limb": "Artériopathie oblitérante du membre inférieur",
    "type_1_diabetes": "Diabète de type 1",
    "type_2_diabetes": "Diabète de type 2",
    "crohn_disease": "Maladie de Crohn",
    "ulcerative_colitis": "Rectocolite hémorragique",
    "copd": "Bronchopneumopathie chronique obstructive (BPCO)",
    "nash": "NASH",
    "chronic_kidney_disease": "Insuffisance rénale chronique",
    "breast_cancer": "Cancer du sein (thérapie orale)",
    "prostate_cancer": "Cancer de la prostate (thérapie orale)",
    "colorectal_cancer": "Cancer colorectal (thérapie orale)",
    "atrial_fibrillation": "Fibrillation atriale",
}
GROUPS_FR = {
    "cardiovascular": "Maladies cardiovasculaires",
    "diabetes": "Diabète",
    "ibd": "Maladies inflammatoires chroniques intestinales",
    "respiratory": "Maladies respiratoires",
    "liver": "Maladies du foie",
    "kidney": "Maladies rénales",
    "cancer_oral_therapy_only": "Cancers (thérapies orales uniquement)",
}


def table4() -> dict[str, list[str]]:
    path = Path(settings.BASE_DIR) / "reference" / "constel-action.yaml"
    return yaml.safe_load(path.read_text())["pathology_groups"]


@transaction.atomic
def pathologies_load(*, tenant: Tenant, groups: dict[str, list[str]]) -> int:
    """Load (or complete) a tenant's catalogue; returns the number of pathologies."""
    position = 0
    with tenant_context(tenant):
        for group_code, codes in groups.items():
            for code in codes:
                position += 1
                Pathology.objects.update_or_create(
                    tenant=tenant, code=code,
                    defaults={
                        "label": LABELS_FR.get(code, code), "group_code": group_code,
                        "group_label": GROUPS_FR.get(group_code, group_code),
                        "oral_therapy_only": group_code == "cancer_oral_therapy_only",
                        "needs_another": code == "chronic_kidney_disease",
                        "position": position,
                    },
                )
        return Pathology.objects.count()
