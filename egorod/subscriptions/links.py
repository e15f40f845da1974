"""The public addresses of the service: one place for the paths the app serves, the letters
link to and the web server (deploy/nginx-subscriptions.conf) passes on."""
from __future__ import annotations

from urllib.parse import urlsplit

SUBSCRIBE = "subscribe"
CONFIRM = "subscribe/confirm/"
UNSUBSCRIBE = "unsubscribe/"


def path_prefix(service_url: str) -> str:
    """``https://e-gorod.ru/lists/`` → ``/lists``; the app's routes live under it."""
    return urlsplit(service_url).path.rstrip("/")


def subscribe_url(service_url: str) -> str:
    return service_url + SUBSCRIBE


def confirm_url(service_url: str, token: str) -> str:
    return service_url + CONFIRM + token


def unsubscribe_url(service_url: str, token: str) -> str:
    return service_url + UNSUBSCRIBE + token
