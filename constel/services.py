"""Writes of the project package."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from constel.models import ApiToken, Membership, Site, Tenant, User
from constel.tenancy import tenant_context


@transaction.atomic
def api_token_create(*, user: User, tenant: Tenant, name: str,
                     membership: Membership | None = None) -> tuple[ApiToken, str]:
    """A new personal token for ``user`` acting as ``membership`` (one role in ``tenant``;
    default: the user's only active membership there); the key is returned once, only its
    hash is kept."""
    with tenant_context(tenant, user_id=user.pk):
        active = list(Membership.objects.filter(user=user, is_active=True))
    if membership is None and len(active) == 1:
        membership = active[0]
    if membership is None or membership.pk not in {m.pk for m in active}:
        raise ValueError("The token needs one active membership of the user in this programme")
    key = ApiToken.new_key()
    token = ApiToken.objects.create(
        user=user, tenant=tenant, membership=membership, name=name[:100] or "API",
        key_hash=ApiToken.hash_key(key), prefix=key[4:12],
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


@transaction.atomic
def tenant_create(
    *, slug: str, name: str, operator: str, inclusion_window_end, cumulative_inclusion_cap: int,
    claim_period_anchor, claim_period_kind: str = Tenant.PeriodKind.ANCHORED,
) -> Tenant:
    return Tenant.objects.create(
        slug=slug, name=name, operator=operator, inclusion_window_end=inclusion_window_end,
        cumulative_inclusion_cap=cumulative_inclusion_cap,
        claim_period_anchor=claim_period_anchor, claim_period_kind=claim_period_kind,
    )


@transaction.atomic
def site_create(*, tenant: Tenant, name: str, city: str = "", finess: str = "") -> Site:
    with tenant_context(tenant):
        return Site.objects.create(tenant=tenant, name=name, city=city, finess=finess)


@transaction.atomic
def user_create(
    *, email: str, password: str | None, first_name: str = "", last_name: str = ""
) -> User:
    return User.objects.create_user(
        email=email, password=password, first_name=first_name, last_name=last_name
    )


@transaction.atomic
def membership_create(
    *, user: User, tenant: Tenant, role: str, profession: str = "", site: Site | None = None
) -> Membership:
    with tenant_context(tenant):
        return Membership.objects.create(
            user=user, tenant=tenant, role=role, profession=profession, site=site
        )


#: A starting register (RGPD art. 30) for an Article 51 programme; the tenant adapts it.
DEFAULT_PURPOSES = [
    ("Coordination des soins et télésuivi des patients inclus",
     "Mission d'intérêt public (art. 6.1.e RGPD) ; prise en charge sanitaire (art. 9.2.h)",
     "Identité (INS), pathologies, PPS, mesures, alertes, rendez-vous, messages, courriers",
     "Équipe de coordination, professionnels assignés, médecin traitant (selon l'accord du "
     "patient)", "20 ans après la sortie du programme (dossier médical), puis anonymisation"),
    ("Facturation des forfaits et rémunération des professionnels",
     "Obligation légale (art. 6.1.c) ; article 51 LFSS 2018",
     "Identité, dates des étapes du parcours, forfaits ; séances réalisées",
     "Service financier, Assurance maladie (relevés semestriels)",
     "10 ans (pièces comptables)"),
    ("Évaluation de l'expérimentation",
     "Mission d'intérêt public (art. 6.1.e) ; recherche et évaluation (art. 9.2.j) — "
     "le patient peut s'y opposer",
     "Données pseudonymisées : année de naissance, parcours, mesures, alertes, questionnaires",
     "Évaluateurs désignés (export pseudonymisé tracé)", "Durée de l'évaluation"),
]


def purposes_load(*, tenant: Tenant) -> int:
    from constel.models import ProcessingPurpose

    with tenant_context(tenant):
        if ProcessingPurpose.objects.exists():
            return 0
        for position, (title, basis, data, recipients, retention) in enumerate(
                DEFAULT_PURPOSES):
            ProcessingPurpose.objects.create(tenant=tenant, position=position, title=title,
                                             legal_basis=basis, data=data,
                                             recipients=recipients, retention=retention)
        return len(DEFAULT_PURPOSES)
