from django.conf import settings


def site(request):
    return {"organisation_name": settings.ORGANISATION_NAME}
