"""Password hashing: Argon2id at OWASP's recommended minimum.

Django 5.2's default, PBKDF2-SHA256 at 1,000,000 iterations, costs 0.6 s of CPU per login on
this machine and up to 7 s under load (bench/README.md, load test): a login holds a sync web
worker that long, and every page behind it waits. OWASP's Password Storage Cheat Sheet names
Argon2id with 19 MiB of memory, 2 passes and 1 lane as its first choice; memory-hard, it
costs an attacker's GPU more than PBKDF2 at 1M iterations, and this server ~50 ms.

Existing PBKDF2 hashes still verify (settings.PASSWORD_HASHERS keeps them) and are rehashed
with Argon2id at the user's next login (Django's ``must_update``).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
