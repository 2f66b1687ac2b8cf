from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from patients.models import Patient, Professional


@admin.register(Patient)
class PatientAdmin(SimpleHistoryAdmin):
    list_display = ["birth_name", "first_names", "birth_date", "tenant"]


@admin.register(Professional)
class ProfessionalAdmin(SimpleHistoryAdmin):
    list_display = ["last_name", "first_name", "kind", "tenant"]
