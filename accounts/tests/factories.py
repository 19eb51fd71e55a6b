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
