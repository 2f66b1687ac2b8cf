from django.db import migrations

from constel.tenancy import EnableRLS


class Migration(migrations.Migration):
    dependencies = [("patients", "0003_historicalpatient_antidepressant_treatment_and_more")]

    operations = [
        EnableRLS(name)
        for name in (
            "pathology", "diagnosis", "historicaldiagnosis", "groupperiod",
            "historicalgroupperiod", "convention", "historicalconvention", "consent",
            "portalinvitation",
        )
    ]
