from django.core.management.base import BaseCommand

from constel import demo


class Command(BaseCommand):
    help = "Load the demo data (two tenants, every role, patients) into an empty database."

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")

    def handle(self, *args, **options):
        logins = demo.load()
        url = f"http://127.0.0.1:{options['port']}/"
        self.stdout.write(self.style.SUCCESS(f"\nConstel demo ready: {url}"))
        self.stdout.write(f"Password for every account: {demo.DEMO_PASSWORD}\n")
        width = max(len(login.email) for login in logins)
        for login in logins:
            self.stdout.write(f"  {login.email:<{width}}  {login.role}  ({login.tenant})")
        self.stdout.write("")
