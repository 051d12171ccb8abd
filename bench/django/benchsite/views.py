"""The same four answers as bench/servers/stack-manouche.mjs and stack-fastify.mjs."""
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token


def hello(request):
    return HttpResponse("Hello, world", content_type="text/plain; charset=utf-8")


def login(request):
    """Starts a session and hands out a CSRF token: the harness calls it once, before the load."""
    request.session["user"] = "bench"
    return JsonResponse({"csrfToken": get_token(request)})


def session_read(request):
    return HttpResponse(f"Hello, {request.session.get('user', 'stranger')}", content_type="text/plain; charset=utf-8")


def submit(request):
    """Reached only when CsrfViewMiddleware accepted the POST's token."""
    return HttpResponse(f"Got {len(request.POST.get('text', ''))} characters", content_type="text/plain; charset=utf-8")
