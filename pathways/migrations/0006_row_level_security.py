from django.db import migrations

from constel.tenancy import EnableRLS


class Migration(migrations.Migration):
    dependencies = [("pathways", "0005_equipment_equipmentloan_finalassessment_goalreview_and_more")]

    operations = [
        EnableRLS(name)
        for name in (
            "checklistitem", "historicalchecklistitem", "timeentry", "medicationreconciliation",
            "historicalmedicationreconciliation", "equipment", "historicalequipment",
            "equipmentloan", "historicalequipmentloan", "hospitalisation",
            "historicalhospitalisation", "labresult", "historicallabresult", "goalreview",
            "finalassessment", "historicalfinalassessment",
        )
    ]
