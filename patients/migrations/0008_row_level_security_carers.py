from django.db import migrations

from constel.tenancy import EnableRLS


class Migration(migrations.Migration):
    dependencies = [("patients", "0007_carer_access")]

    operations = [EnableRLS("careraccess"), EnableRLS("historicalcareraccess")]
