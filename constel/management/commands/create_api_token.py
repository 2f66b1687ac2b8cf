from django.core.management.base import BaseCommand, CommandError

from constel.models import Tenant, User
from constel.services import api_token_create


class Command(BaseCommand):
    help = "Create a personal API token for a user in one programme; prints the key once."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--tenant", required=True, help="programme slug")
        parser.add_argument("--name", default="command line")
        parser.add_argument("--role", default="",
                            help="the membership the token acts as, when the user has several")

    def handle(self, *args, email, tenant, name, role, **options):
        user = User.objects.filter(email=email.lower()).first()
        if user is None:
            raise CommandError(f"No user with the e-mail {email}")
        programme = Tenant.objects.filter(slug=tenant).first()
        if programme is None:
            raise CommandError(f"No programme with the slug {tenant}")
        membership = None
        if role:
            from constel.models import Membership
            from constel.tenancy import tenant_context

            with tenant_context(programme, user_id=user.pk):
                membership = Membership.objects.filter(user=user, role=role,
                                                       is_active=True).first()
            if membership is None:
                raise CommandError(f"{email} has no active {role} membership in {tenant}")
        try:
            _token, key = api_token_create(user=user, tenant=programme, name=name,
                                           membership=membership)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(key)
