from django.db import migrations

from constel.tenancy import EnableRLS


class Migration(migrations.Migration):
    dependencies = [("pathways", "0012_engagement")]

    operations = [EnableRLS("message"), EnableRLS("historicalmessage"),
                  EnableRLS("messageattachment"), EnableRLS("questionnaire"),
                  EnableRLS("questionnaireresponse")]
