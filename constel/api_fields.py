"""Serializer fields shared by the API's apps (apart from constel.api, which imports them)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class TextField(serializers.CharField):
    """A text input that must be a string: DRF's CharField turns 1 into "1" (and a GP's
    ``{"comment": 1}`` would have been a validation with the comment "1")."""

    default_error_messages = {"not_text": "Must be text."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_text")
        return super().to_internal_value(data)
