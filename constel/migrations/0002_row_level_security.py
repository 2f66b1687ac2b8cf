"""Row-level security on the tenant-owned tables of this app, and the application role.

The application connects as DATABASE_APP_ROLE (settings), which owns nothing and cannot
bypass RLS; migrations run as the owner. The role itself is created by the operator (see
README / tools/with_services.py); when it does not exist (a single-role development
database) the grants are skipped and FORCE still applies RLS to the owner.
"""

from django.conf import settings
from django.db import migrations

from constel.tenancy import EnableRLS


def grant_app_role(apps, schema_editor):
    conn = schema_editor.connection
    role = settings.DATABASE_APP_ROLE
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            return
        q = conn.ops.quote_name(role)
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {q}")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {q}")
        cursor.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {q}")
        cursor.execute(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {q}"
        )
        cursor.execute(
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {q}"
        )
        # The access log is append-only for the application.
        cursor.execute(f"REVOKE UPDATE, DELETE ON constel_accesslog FROM {q}")


class Migration(migrations.Migration):
    dependencies = [("constel", "0001_initial")]

    operations = [
        EnableRLS("site"),
        EnableRLS("membership", also_user_rows=True),
        EnableRLS("accesslog"),
        migrations.RunPython(grant_app_role, migrations.RunPython.noop),
    ]
