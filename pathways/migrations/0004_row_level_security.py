from django.db import migrations

from constel.tenancy import EnableRLS


class Migration(migrations.Migration):
    dependencies = [("pathways", "0003_careplan_careplanitem_groupsession_activity_and_more")]

    operations = [
        EnableRLS(name)
        for name in (
            "careplan", "historicalcareplan", "careplanitem", "historicalcareplanitem",
            "activity", "historicalactivity", "groupsession",
        )
    ]
