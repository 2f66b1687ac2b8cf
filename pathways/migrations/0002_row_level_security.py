from django.db import migrations

from constel.tenancy import EnableRLS


class Migration(migrations.Migration):
    dependencies = [("pathways", "0001_initial")]

    operations = [
        EnableRLS(name)
        for name in (
            "enrollment", "historicalenrollment", "enrollmenttransition", "gpagreement",
            "historicalgpagreement", "eligibilityassessment",
        )
    ]
