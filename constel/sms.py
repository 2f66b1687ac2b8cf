"""A pluggable SMS backend (settings.SMS_BACKEND); the console one prints, the locmem one
keeps messages for tests. A real provider plugs in with a class of the same shape."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger("constel.sms")
outbox: list[SmsMessage] = []


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str


class ConsoleBackend:
    def send(self, message: SmsMessage) -> None:
        log.info("sms", extra={"to": message.to, "body": message.body})
        print(f"[SMS to {message.to}] {message.body}")  # noqa: T201 - the demo's "phone"


class LocmemBackend:
    def send(self, message: SmsMessage) -> None:
        outbox.append(message)


def send_sms(*, to: str, body: str) -> bool:
    if not to:
        return False
    import_string(getattr(settings, "SMS_BACKEND", "constel.sms.ConsoleBackend"))().send(
        SmsMessage(to=to, body=body[:480]))
    return True
