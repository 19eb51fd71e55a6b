"""A real OpenID Connect provider (oidc-provider-mock) in a separate process on loopback, for the SSO tests.

`signed_in_code` drives the provider's authorisation form over HTTP the way a browser
would, and hands back the redirect to our callback; the browser tests click the same form.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from urllib.parse import quote

import httpx


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Provider:
    """One running provider process: its issuer URL and a way to set a person's claims."""

    def __init__(self):
        self.port = _free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.issuer}/.well-known/openid-configuration", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise RuntimeError("The OpenID Connect test provider did not start.")
            time.sleep(0.1)

    def set_claims(self, subject: str, **claims) -> None:
        response = httpx.put(f"{self.issuer}/users/{quote(subject, safe='')}", json=claims, timeout=5)
        response.raise_for_status()

    def authorize(self, authorize_url: str, subject: str) -> str:
        """Submit the provider's authorisation form for `subject`; return the redirect back to us."""
        response = httpx.post(authorize_url, data={"sub": subject}, timeout=5)
        assert response.status_code in (302, 303), response.text[:300]
        return response.headers["location"]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
