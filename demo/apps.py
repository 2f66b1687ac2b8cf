from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo's data (two programmes, every role, patients at every stage) and its loader
    (``manage.py load_demo``, run by ``make demo``): tooling that reads every app, imported
    by none."""

    name = "demo"
