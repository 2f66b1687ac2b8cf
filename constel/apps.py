from django.apps import AppConfig


class ConstelConfig(AppConfig):
    name = "constel"
    verbose_name = "Constel"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from constel import audit  # noqa: F401  (signal receivers)
        from constel.dates import forget_zones
        from constel.models import Tenant

        post_save.connect(forget_zones, sender=Tenant, dispatch_uid="constel.forget_zones")
