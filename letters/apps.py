from django.apps import AppConfig


class LettersConfig(AppConfig):
    """Letters to the GP (DESIGN §6): one per triggering event, the tenant's templates,
    rendering (WeasyPrint) and sending exactly once, reconciliation of interrupted sends.
    The wording of each letter is its caller's (pathways, telemonitoring): this app knows
    neither."""

    name = "letters"
