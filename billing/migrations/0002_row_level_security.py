from django.db import migrations

from constel.tenancy import EnableRLS

MODELS = ["forfaitkind", "tariff", "historicaltariff", "claimstatement",
          "historicalclaimstatement", "claimline", "forfaitdue", "remunerationrate",
          "remunerationstatement", "historicalremunerationstatement", "remunerationline",
          "budgetplanyear", "exportlog"]


def _pg(sql: str):
    def run(apps, schema_editor):
        schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):
    """Row-level security on every billing table, and on PostgreSQL an exclusion constraint:
    two tariff versions of one forfait never overlap (btree_gist is a trusted extension)."""

    dependencies = [("billing", "0001_initial")]

    operations = [
        *[EnableRLS(m) for m in MODELS],
        migrations.RunPython(
            _pg("CREATE EXTENSION IF NOT EXISTS btree_gist; "
                "ALTER TABLE billing_tariff ADD CONSTRAINT tariff_versions_do_not_overlap "
                "EXCLUDE USING gist (kind_id WITH =, daterange(valid_from, valid_to, '[]') "
                "WITH &&)"),
            _pg("ALTER TABLE billing_tariff DROP CONSTRAINT tariff_versions_do_not_overlap")),
    ]
