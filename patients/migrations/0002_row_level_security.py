from django.db import migrations

from constel.tenancy import EnableRLS


class Migration(migrations.Migration):
    dependencies = [("patients", "0001_initial"), ("constel", "0002_row_level_security")]

    operations = [
        EnableRLS(name)
        for name in (
            "professional", "historicalprofessional", "patient", "historicalpatient",
            "careassignment", "historicalcareassignment",
        )
    ]
