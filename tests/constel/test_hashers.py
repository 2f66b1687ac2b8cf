"""Passwords: Argon2id at OWASP's parameters; hashes of the former default still work and
are upgraded at the next login (constel/hashers.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, check_password, make_password
from django.test import override_settings

from constel.settings import base

PASSWORD = "un mot de passe assez long"


@override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS)
def test_new_passwords_are_hashed_with_argon2id_at_owasp_parameters():
    encoded = make_password(PASSWORD)
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert check_password(PASSWORD, encoded)
    assert not check_password("autre chose", encoded)


@pytest.mark.django_db
@override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS)
def test_a_former_pbkdf2_hash_logs_in_and_is_upgraded(client, world):
    from constel.roles import Role

    user = world.user(Role.NURSE_COORDINATOR)
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, "somesalt", iterations=1000)
    user.save(update_fields=["password"])
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302  # logged in
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")
    assert check_password(PASSWORD, user.password)
