from django.db import migrations

from constel.tenancy import EnableRLS


class Migration(migrations.Migration):
    dependencies = [("constel", "0006_privacy_register")]

    operations = [EnableRLS("processingpurpose")]
