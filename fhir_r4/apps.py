from django.apps import AppConfig


class FhirR4Config(AppConfig):
    """FHIR R4 read-only views under /fhir/R4/ (an interface like the portal: it reads the
    domain apps, none imports it)."""

    name = "fhir_r4"
