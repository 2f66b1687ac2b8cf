from django.db import migrations

from constel.tenancy import EnableRLS


class Migration(migrations.Migration):
    dependencies = [("pathways", "0014_educational_contents")]

    operations = [EnableRLS("contentitem"), EnableRLS("contentassignment")]
