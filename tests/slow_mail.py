"""An e-mail backend for the fault drills: it records that sending started, waits (long
enough for the drill to kill the worker), then records the message as sent. Directory and
delay from CONSTEL_SLOW_MAIL_DIR and CONSTEL_SLOW_MAIL_SECONDS."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend


class SlowBackend(BaseEmailBackend):
    def send_messages(self, messages) -> int:
        folder = Path(os.environ["CONSTEL_SLOW_MAIL_DIR"])
        (folder / f"started-{uuid.uuid4()}").write_text("")
        time.sleep(float(os.environ.get("CONSTEL_SLOW_MAIL_SECONDS", "30")))
        for message in messages:
            (folder / f"sent-{uuid.uuid4()}").write_text(message.subject)
        return len(messages)
