"""The user's own settings: personal API tokens (sessions and MFA are allauth's pages)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from constel.access import Cap, membership_required
from constel.models import ApiToken
from constel.services import api_token_create, api_token_revoke


@membership_required(cap=Cap.API)
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    new_key = None
    error = None
    if request.method == "POST":
        name = request.POST.get("name", "").strip()
        if not name:
            error = _("Give the token a name, e.g. the tool that will use it.")
        else:
            _token, new_key = api_token_create(user=request.user, tenant=request.tenant,
                                               membership=request.membership, name=name)
    tokens = ApiToken.objects.filter(user=request.user, tenant=request.tenant).select_related(
        "membership").order_by(
        "-created_at"
    )
    return render(
        request, "constel/tokens.html",
        {"tokens": tokens, "new_key": new_key, "error": error},
        status=400 if error else 200,
    )


@membership_required(cap=Cap.API)
@require_POST
def token_revoke(request: HttpRequest, token_id: str) -> HttpResponse:
    token = ApiToken.objects.filter(pk=token_id, user=request.user, tenant=request.tenant).first()
    if token is None:
        raise Http404
    api_token_revoke(token=token)
    return redirect("api_tokens")
