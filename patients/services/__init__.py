"""Writes of the patients app (records, invitations and carers, the patient's rights):
the names callers import, from the modules that hold them."""

from __future__ import annotations

from patients.services.invitations import (  # noqa: F401
    carer_revoke,
    invitation_accept,
    invitation_account,
    invitation_attach,
    invitation_for_token,
    invitation_send,
    is_professional_account,
)
from patients.services.records import (  # noqa: F401
    INVITATION_VALIDITY,
    _group_rebuild,
    care_assign,
    consent_record,
    consent_state,
    convention_record,
    diagnosis_add,
    diagnosis_end,
    group_from_diagnoses,
    group_on,
    has_informed_consent,
    pathology_counts_as,
    patient_create,
    patient_update,
    professional_create,
    today,
    token_hash,
)
from patients.services.rights import (  # noqa: F401
    anonymise,
    patient_data_zip,
    retention_due,
)
