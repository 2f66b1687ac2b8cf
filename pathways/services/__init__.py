"""Writes of the pathway: enrollments (entry, phases), care plans (PPS), activities."""

from pathways.services.enrollments import *  # noqa: F403
from pathways.services.enrollments import (  # noqa: F401  (names used across the project)
    _today,
    enrollment_exit,
    enrollment_include,
    enrollment_propose,
    enrollment_transition,
    gp_agreement_answer,
    gp_agreement_record_phone,
    inclusion_blockers,
    inclusion_count,
    next_phases,
    phase_blockers,
    referral_accept,
    referral_decline,
    referral_reassess,
    referral_submit,
)
