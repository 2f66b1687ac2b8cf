from django.db import migrations

from constel.tenancy import EnableRLS


class Migration(migrations.Migration):
    dependencies = [("pathways", "0020_evaluation_export")]

    operations = [EnableRLS("evaluationexport")]
