from pathlib import Path

from django.core.management.base import BaseCommand

from demo import data as demo


class Command(BaseCommand):
    help = "Load the demo data (two tenants, every role, patients) into an empty database."

    def add_arguments(self, parser):
        parser.add_argument("--logins-file", type=Path, default=None,
                            help="write the logins table there (make demo prints it once "
                                 "the server answers) instead of standard output")

        parser.add_argument("--defer-letters", action="store_true",
                            help="create the letters to render and leave them queued for "
                                 "resend_letters (make demo renders them once it serves)")

    def handle(self, *args, **options):
        from contextlib import nullcontext

        from letters.services import letters_deferred

        with letters_deferred() if options["defer_letters"] else nullcontext():
            logins = demo.load()
        width = max(len(login.email) for login in logins)
        lines = [f"Password for every account: {demo.DEMO_PASSWORD}", ""]
        lines += [f"  {login.email:<{width}}  {login.role}  ({login.tenant})"
                  for login in logins]
        table = "\n".join(lines) + "\n"
        if options["logins_file"]:
            options["logins_file"].write_text(table)
        else:
            self.stdout.write(table)
