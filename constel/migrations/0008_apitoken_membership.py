"""API tokens bound to one membership (DESIGN §3). Existing tokens get the membership the
login used to pick for them (the user's first active role in the token's tenant, by role
name); a token whose user has none is revoked."""

import django.db.models.deletion
from django.db import migrations, models

_BACKFILL = """
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT id, tenant_id, user_id FROM constel_apitoken WHERE membership_id IS NULL LOOP
    -- memberships are under row-level security: read them in the token's tenant
    PERFORM set_config('app.tenant_id', r.tenant_id::text, true);
    UPDATE constel_apitoken SET membership_id = (
      SELECT m.id FROM constel_membership m
      WHERE m.tenant_id = r.tenant_id AND m.user_id = r.user_id AND m.is_active
      ORDER BY m.role LIMIT 1)
    WHERE id = r.id;
  END LOOP;
  PERFORM set_config('app.tenant_id', '', true);
  UPDATE constel_apitoken SET revoked_at = now()
  WHERE membership_id IS NULL AND revoked_at IS NULL;
END $$;
"""


def backfill(apps, schema_editor):
    schema_editor.execute(_BACKFILL)


class Migration(migrations.Migration):
    dependencies = [("constel", "0007_row_level_security_purposes")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="membership",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE,
                                    related_name="+", to="constel.membership"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
