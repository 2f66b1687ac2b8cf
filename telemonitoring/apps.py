from django.apps import AppConfig


class TelemonitoringConfig(AppConfig):
    """Telefollow-up (DESIGN §5): indicators, readings (partitioned by month), the rules
    a PPS sets, their evaluation, alerts and their lifecycle, charts."""

    name = "telemonitoring"
