"""Test factories, one module per app (``constel``, ``patients``, ``pathways``) and the
cross-app ``world``; the names tests import are gathered here."""

from tests.factories.constel import PASSWORD, api_auth, tenant_factory, user_factory  # noqa: F401
from tests.factories.pathways import follow_up, follow_up_patient  # noqa: F401
from tests.factories.patients import member_factory  # noqa: F401
from tests.factories.world import World, world_factory  # noqa: F401
