from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    """The programme's evaluation: the dashboard for the programme manager (aggregates
    only) and the pseudonymised export for the external evaluators, logged."""

    name = "evaluation"
