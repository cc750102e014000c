from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    prefs = getattr(request, "prefs", None)
    return {"theme": prefs.theme if prefs else "auto"}
