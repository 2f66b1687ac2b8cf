from django.apps import AppConfig


class EngagementConfig(AppConfig):
    """The patient's exchanges with the care team: messages, educational contents,
    questionnaires (EPICES)."""

    name = "engagement"
