from django.db import migrations

from constel.tenancy import EnableRLS


class Migration(migrations.Migration):
    dependencies = [("pathways", "0007_alertrule_indicator_historicalreading_and_more")]

    operations = [
        EnableRLS(name)
        for name in (
            "indicator", "reading", "historicalreading", "alertrule", "historicalalertrule",
            "alert", "historicalalert", "alertevent",
        )
    ]
