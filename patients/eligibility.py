"""Eligibility (cahier des charges §III.2, DESIGN §4): a pure function, no ORM.

Inclusion needs at least one medical criterion *and* one medico-social criterion, and no
exclusion. POLY (two or more distinct in-scope pathologies) is itself the medical criterion;
MONO needs therapeutic failure despite classic follow-up (§III.1.d) and, where §III.2.a lists
criteria for the pathology, one of them. Chronic kidney disease qualifies only with another
in-scope pathology; cancers only under oral therapy. Hypertension, DVT and pulmonary embolism
have no listed MONO criterion: therapeutic failure alone qualifies them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext_lazy as _

# §III.2.a — MONO medical criteria, per pathology code.
_DIABETES = {
    "diabetes_recent": _("Diabetes diagnosed within the year"),
    "diabetes_compliance": _("Difficult care at home: compliance with treatment and diet"),
    "diabetes_unbalanced": _("Unbalanced diabetes"),
}
_CORONARY = {
    "coronary_acs": _("Has had an acute coronary syndrome"),
    "coronary_difficult": _("Coronary patient difficult to manage (risk factors, activity, "
                            "psychological disorder…)"),
    "coronary_revascularisation": _("Recently hospitalised for revascularisation"),
}
_IBD = {
    "ibd_immunosuppressants": _("Under immunosuppressants"),
    "ibd_biotherapy": _("Under biotherapy (anti-TNF, anti-integrin, anti-interleukin…)"),
    "ibd_adherence": _("Adherence or nutritional disorders"),
    "ibd_complications": _("Complications: fistula, stenosis, abscess"),
    "ibd_associated": _("Associated disease: spondyloarthritis, sclerosing cholangitis, "
                        "uveitis…"),
    "ibd_post_op": _("Post-operative follow-up to limit long-term recurrence"),
}
MONO_CRITERIA: dict[str, dict[str, object]] = {
    "type_1_diabetes": _DIABETES,
    "type_2_diabetes": _DIABETES,
    "heart_failure_chronic_and_acute": {
        "hf_decompensation": _("Cardiac decompensation, hospitalised or not"),
        "hf_recent_diagnosis": _("Recent diagnosis of heart failure"),
        "hf_compliance": _("Difficult care at home: compliance with treatment and diet"),
    },
    "chronic_coronary_disease": _CORONARY,
    "acute_coronary_syndrome": _CORONARY,
    "peripheral_arterial_disease_lower_limb": {
        "pad_risk_factors": _("Uncontrolled risk factors"),
        "pad_claudication": _("Claudication needing support to resume physical activity"),
        "pad_revascularisation": _("Recently hospitalised for revascularisation"),
    },
    "crohn_disease": _IBD,
    "ulcerative_colitis": _IBD,
    "nash": {"nash_severe_fibrosis": _("Severe fibrosis")},
    "copd": {"copd_exacerbation": _("From the first exacerbation, hospitalised or not")},
}
#: The criteria as §III.2.a lists them, one heading per family (for the questionnaire).
CRITERIA_FAMILIES = [
    (_("Diabetes"), _DIABETES),
    (_("Heart failure"), MONO_CRITERIA["heart_failure_chronic_and_acute"]),
    (_("Coronary diseases"), _CORONARY),
    (_("Peripheral arterial disease"), MONO_CRITERIA["peripheral_arterial_disease_lower_limb"]),
    (_("Inflammatory bowel diseases"), _IBD),
    ("NASH", MONO_CRITERIA["nash"]),
    (_("COPD"), MONO_CRITERIA["copd"]),
]
CANCERS = {"breast_cancer", "prostate_cancer", "colorectal_cancer"}
NEEDS_ANOTHER = {"chronic_kidney_disease"}

MEDICO_SOCIAL_CRITERIA = {
    "difficult_pathway": _("Difficult care pathway in town"),
    "poor_access": _("Poor access to self-employed professionals"),
    "loss_of_chance": _("Risk of loss of chance or worsening: distance, complexity, risk of "
                        "breaking off care"),
    "gp_difficulty": _("The GP finds it difficult to ensure quality care"),
}

# §III.2.b — exclusions (besides age and GP opposition).
EXCLUDING_PROGRAMMES = {
    "prado": "PRADO", "etp": _("an ETP programme outside this one"), "etapes": "ETAPES",
    "maia": "MAIA", "pta": "PTA", "forfait_mrc": _("forfait MRC"),
}
OTHER_EXCLUSIONS = {
    "cognitive_without_carer": _("Cognitive disorder without a carer able to help"),
    "psychiatric_preventing": _("Psychiatric disorder preventing the PPS or remote follow-up"),
}


@dataclass(frozen=True)
class Answers:
    """What the questionnaire collects."""

    birth_date: date
    today: date
    pathologies: Mapping[str, bool]  # code → under oral therapy (meaningful for cancers)
    mono_criteria: Iterable[str] = ()
    therapeutic_failure: bool = False
    medico_social: Iterable[str] = ()
    programmes: Iterable[str] = ()  # codes of EXCLUDING_PROGRAMMES (and e.g. "asalee")
    exclusions: Iterable[str] = ()  # codes of OTHER_EXCLUSIONS
    gp_opposes: bool = False
    gp_is_referrer: bool = False
    counts_as: Mapping[str, str] = field(default_factory=dict)  # tenant merges: code → code


@dataclass(frozen=True)
class Result:
    eligible: bool
    group: str | None  # "MONO", "POLY" or None
    reasons: tuple[str, ...]  # why not eligible (empty when eligible)
    notes: tuple[str, ...] = ()  # what was taken into account


def distinct_pathologies(codes: Iterable[str], counts_as: Mapping[str, str]) -> set[str]:
    return {counts_as.get(code, code) for code in codes}


def group_of(codes: Iterable[str], counts_as: Mapping[str, str] | None = None) -> str | None:
    """MONO / POLY from in-scope pathology codes (DESIGN §4), None without any."""
    n = len(distinct_pathologies(codes, counts_as or {}))
    return None if n == 0 else ("MONO" if n == 1 else "POLY")


def assess(a: Answers) -> Result:
    reasons: list[str] = []
    notes: list[str] = []
    age = a.today.year - a.birth_date.year - (
        (a.today.month, a.today.day) < (a.birth_date.month, a.birth_date.day))
    if age < 18:
        reasons.append(str(_("Under 18 (%(age)s years old)") % {"age": age}))
    if a.gp_opposes and not a.gp_is_referrer:
        reasons.append(str(_("The GP opposes inclusion")))
    for code in a.exclusions:
        if code in OTHER_EXCLUSIONS:
            reasons.append(str(OTHER_EXCLUSIONS[code]))
    for code in a.programmes:
        if code in EXCLUDING_PROGRAMMES:
            reasons.append(str(_("Already followed in %(p)s") % {"p": EXCLUDING_PROGRAMMES[code]}))
        elif code == "asalee":
            notes.append(str(_("Asalée follow-up does not exclude")))

    in_scope = []
    for code, oral in a.pathologies.items():
        if code in CANCERS and not oral:
            notes.append(str(_("%(code)s is in scope only under oral therapy") % {"code": code}))
            continue
        in_scope.append(code)
    group = group_of(in_scope, a.counts_as)

    medical = False
    if group is None:
        reasons.append(str(_("No in-scope pathology (Table 4)")))
    elif group == "POLY":
        medical = True
    else:
        (code,) = distinct_pathologies(in_scope, a.counts_as)
        only = set(in_scope)
        if only <= NEEDS_ANOTHER:
            reasons.append(str(_("Chronic kidney disease qualifies only with another in-scope "
                                 "pathology")))
        elif not a.therapeutic_failure:
            reasons.append(str(_("A single pathology (MONO) needs therapeutic failure despite "
                                 "classic follow-up")))
        else:
            listed = set().union(*(MONO_CRITERIA.get(c, {}).keys() for c in only))
            if not listed:
                medical = True  # no listed criterion: therapeutic failure alone qualifies
            elif listed & set(a.mono_criteria):
                medical = True
            else:
                reasons.append(str(_("None of the medical criteria of §III.2.a for this "
                                     "pathology is met")))
    if group is not None and not set(a.medico_social) & set(MEDICO_SOCIAL_CRITERIA):
        reasons.append(str(_("At least one medico-social criterion is needed")))
    eligible = not reasons and medical
    return Result(eligible=eligible, group=group, reasons=tuple(reasons), notes=tuple(notes))
