"""Writes of the pathway: the doors in (entry), phases (enrollments), care plans (PPS),
activities, care records, the GP's periodic report."""

from pathways.services.enrollments import (  # noqa: F401  (names used across the project)
    ALLOWED,
    _today,
    enrollment_exit,
    enrollment_include,
    enrollment_transition,
    exit_synthesis,
    inclusion_blockers,
    inclusion_count,
    next_phases,
    phase_blockers,
)
from pathways.services.entry import (  # noqa: F401
    AGREEMENT_LINK_VALIDITY,
    agreement_for_token,
    answers_from,
    enrollment_propose,
    gp_agreement_answer,
    gp_agreement_record_phone,
    referral_accept,
    referral_decline,
    referral_reassess,
    referral_submit,
)
