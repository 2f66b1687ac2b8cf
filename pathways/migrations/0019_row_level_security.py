from django.db import migrations

from constel.tenancy import EnableRLS


class Migration(migrations.Migration):
    dependencies = [("pathways", "0018_letter_templates")]

    operations = [EnableRLS("lettertemplate"), EnableRLS("historicallettertemplate")]
