import factory
from django.utils.text import slugify

from accounts.models import Role, Team, TeamMembership, User

PASSWORD = "correct horse battery staple"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    role = Role.CASEWORKER
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def teams(self, create, extracted, **kwargs):
        for team in extracted or ():
            TeamMembership.objects.get_or_create(user=self, team=team)


class TOTPDeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "otp_totp.TOTPDevice"

    user = factory.SubFactory(UserFactory)
    name = "Test phone"
    confirmed = True


def totp_code(device, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app would show now (or `steps_ahead` steps later)."""
    return totp_code_for_key(device.bin_key, steps_ahead=steps_ahead, step=device.step, digits=device.digits)


def totp_code_for_key(key: bytes, *, steps_ahead: int = 0, step: int = 30, digits: int = 6) -> str:
    import time

    from django_otp.oath import TOTP

    totp = TOTP(key, step=step, digits=digits)
    totp.time = time.time() + steps_ahead * step
    return f"{totp.token():0{digits}d}"


def unused_totp_code(device) -> str:
    """A code the device will still accept: codes are single-use, so after one was used
    in this time step, the next step's code (within the device's tolerance) is given."""
    import time

    device.refresh_from_db()
    current_t = int(time.time() - device.t0) // device.step
    return totp_code(device, steps_ahead=1 if device.last_t >= current_t else 0)
