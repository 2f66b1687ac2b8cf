from django.db import migrations


def _pg(sql: str):
    def run(apps, schema_editor):
        schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):
    """Marking a reading evaluated becomes a heap-only (HOT) update: no index covers
    evaluated_at any more, and pages keep 15 % free room for the new row version. The sweep
    finds late readings through a BRIN index on entered_at (readings arrive in that order)."""

    dependencies = [
        ("pathways", "0010_row_level_security"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="reading",
            name="pathways_re_tenant__4458a3_idx",
        ),
        migrations.RunPython(
            _pg("ALTER TABLE pathways_reading SET (fillfactor = 85); "
                "CREATE INDEX pathways_reading_entered_brin ON pathways_reading "
                "USING brin (entered_at)"),
            _pg("DROP INDEX pathways_reading_entered_brin; "
                "ALTER TABLE pathways_reading RESET (fillfactor)"),
        ),
    ]
