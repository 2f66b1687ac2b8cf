from django.db import migrations

from constel.tenancy import EnableRLS


class Migration(migrations.Migration):
    dependencies = [("pathways", "0009_historicalletter_letter")]

    operations = [EnableRLS("letter"), EnableRLS("historicalletter")]
