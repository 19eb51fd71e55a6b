"""Project-wide response headers."""

from django.conf import settings

# No inline scripts or styles and nothing from a CDN: every asset is served locally.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class TrustedProxyMiddleware:
    """Behind PROXY_COUNT trusted proxies, the client is the address they saw.

    Rewrites REMOTE_ADDR once, first in the chain, so the lockout (keyed on username
    and IP), security events and the audit log all record the real client. Only the
    entries the trusted proxies appended are believed; anything further left in
    X-Forwarded-For is whatever the client chose to send.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.count = settings.PROXY_COUNT

    def __call__(self, request):
        if self.count:
            forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
            forwarded = [part for part in forwarded if part]
            if len(forwarded) >= self.count:
                request.META["REMOTE_ADDR"] = forwarded[-self.count]
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if not settings.DEBUG:
            response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


class NoStoreMiddleware:
    """Nothing shown to a signed-in person is kept by the browser or a proxy.

    Pages hold client data, and on a shared hostel computer the Back button after
    sign-out would otherwise show them from the browser's cache. Every response to a
    request made by a signed-in person (or one that signs them out) gets
    `Cache-Control: no-store, private`, whatever the view set; static files (served by
    WhiteNoise before this runs) keep their long cache lifetimes.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.static_prefix = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else f"/{settings.STATIC_URL}"

    def __call__(self, request):
        signed_in = request.user.is_authenticated
        response = self.get_response(request)
        if (signed_in or request.user.is_authenticated) and not request.path.startswith(self.static_prefix):
            response.headers["Cache-Control"] = "no-store, private"
            response.headers.pop("Expires", None)
        return response
