from django.apps import AppConfig


class ConstelConfig(AppConfig):
    name = "constel"
    verbose_name = "Constel"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from constel import audit  # noqa: F401  (signal receivers)
