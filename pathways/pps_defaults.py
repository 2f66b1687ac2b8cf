"""What the PPS editor proposes (Table 3, Table 11, §III.1.e.3). Pure functions, no ORM.

"Nothing is mandatory or automatic": these are proposals; the author accepts, edits or removes
each item. Budget averages (2.5 psychologist sessions a year for POLY) become the nearest
whole number, halves rounded up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

# Table 3 — non-reimbursed consultations, year 1 (reference/constel-action.yaml).
NON_REIMBURSED_Y1 = {
    "dietitian": {"MONO": Decimal("1"), "POLY": Decimal("2")},
    "psychologist": {"MONO": Decimal("1"), "POLY": Decimal("2.5")},
}
APA_SCHEDULES = {
    "group_of_10": ["2 par semaine pendant 3 mois", "1 par mois pendant 9 mois",
                    "1 tous les 2 mois en année 2"],
    "group_of_4": ["2 par semaine pendant 3 mois", "1 par mois pendant 1 an et 9 mois"],
}
# The PPS is a clinical document in the programme's language: labels are stored in French,
# the codes beside them (``Proposal.code``, ``details["code"]``) stay stable.
LABELS = {
    "dietitian": "Diététicien·ne", "psychologist": "Psychologue",
    "neuropsychologist": "Neuropsychologue", "tobacco_specialist": "Tabacologue",
    "social_worker": "Assistant·e social·e",
    "etp_programme": "Programme d'ETP classique (bilan éducatif, séances, évaluation)",
    "dietitian_session": "Séance d'éducation diététique",
    "education_nurse_session": "Séances avec l'infirmière d'éducation",
    "apa_education": "Séance d'éducation à l'activité physique",
    "group_of_10": "Activité physique adaptée en groupe de 10",
    "group_of_4": "Activité physique adaptée en groupe de 4",
    "body_weight": "Poids", "blood_pressure": "Tension artérielle",
    "capillary_glucose": "Glycémie capillaire", "spo2": "Saturation en oxygène (SpO2)",
    "scale": "Balance", "blood_pressure_monitor": "Tensiomètre",
    "pulse_oximeter": "Oxymètre de pouls", "pedometer": "Podomètre",
}
FREQUENCIES = {"daily": "tous les jours", "3/week": "3 fois par semaine",
               "2/week": "2 fois par semaine"}
# Sessions implied by each schedule, per programme year (13 weeks × 2, then monthly…).
APA_SESSIONS = {
    "group_of_10": {1: 26 + 9, 2: 6},
    "group_of_4": {1: 26 + 9, 2: 12},
}
TELEFOLLOW_UP = {
    # pathology code → (indicator code, frequency, rule note)
    "heart_failure_chronic_and_acute": ("body_weight", "daily", "+2 kg within 72 h"),
    "hypertension": ("blood_pressure", "3/week", ""),
    "type_1_diabetes": ("capillary_glucose", "daily", ""),
    "type_2_diabetes": ("capillary_glucose", "3/week", ""),
    "copd": ("spo2", "daily", ""),
    "chronic_coronary_disease": ("blood_pressure", "2/week", ""),
    "acute_coronary_syndrome": ("blood_pressure", "2/week", ""),
}
EQUIPMENT = {
    "body_weight": "scale", "blood_pressure": "blood_pressure_monitor", "spo2": "pulse_oximeter",
}


def nearest_whole(value: Decimal) -> int:
    return int(value.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Proposal:
    kind: str
    code: str
    profession: str = ""
    count_per_year: int | None = None
    frequency: str = ""
    details: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return LABELS.get(self.code, self.code)


def propose(*, group: str, year: int, age: int, smoker: bool,
            pathologies: list[str], apa_schedule: str | None = None) -> list[Proposal]:
    """Default items of a PPS version for the patient's group, age and pathologies."""
    if group not in ("MONO", "POLY"):
        raise ValueError("group must be MONO or POLY")
    schedule = apa_schedule or "group_of_10"
    if group == "MONO" and schedule != "group_of_10":
        raise ValueError("MONO patients follow APA in groups of 10 (Table 3)")
    items: list[Proposal] = []
    if year == 1:
        for profession, per_group in NON_REIMBURSED_Y1.items():
            items.append(Proposal("non_reimbursed", profession, profession,
                                  nearest_whole(per_group[group])))
        if age > 65:
            items.append(Proposal("non_reimbursed", "neuropsychologist", "neuropsychologist", 1))
        if smoker:
            items.append(Proposal("non_reimbursed", "tobacco_specialist",
                                  "tobacco_specialist", 4))
        items.append(Proposal("non_reimbursed", "social_worker", "social_worker", 1))
        if group == "MONO":
            items.append(Proposal("education", "etp_programme", "education_nurse", None,
                                  "8 h en groupes de 8 sur 2 ans",
                                  {"initial_assessment": True, "final_assessment": True}))
        else:
            items += [
                Proposal("education", "dietitian_session", "dietitian", 1, "1 h"),
                Proposal("education", "education_nurse_session", "education_nurse", 2,
                         "2 × 1 h"),
                Proposal("education", "apa_education", "sports_educator", 1, "1 h"),
            ]
    items.append(Proposal("apa", schedule, "sports_educator", APA_SESSIONS[schedule][year],
                          "; ".join(APA_SCHEDULES[schedule]),
                          {"group_size": 10 if schedule == "group_of_10" else 4}))
    seen = set()
    for code in pathologies:
        if code in TELEFOLLOW_UP:
            indicator, frequency, rule = TELEFOLLOW_UP[code]
            if indicator in seen:
                continue
            seen.add(indicator)
            items.append(Proposal("telefollow_up", indicator, "", None,
                                  FREQUENCIES.get(frequency, frequency),
                                  {"indicator": indicator, "frequency": frequency,
                                   "rule": rule}))
            if indicator in EQUIPMENT:
                items.append(Proposal("equipment", EQUIPMENT[indicator]))
    items.append(Proposal("equipment", "pedometer"))
    return items
