import functools

import factory
from django.contrib.auth import get_user_model

from accounts.models import authority_change
from programmes.models import Membership, Programme, Role

PASSWORD = "correct-horse-battery-staple"


@functools.cache
def hashed_password() -> str:
    from django.contrib.auth.hashers import make_password

    return make_password(PASSWORD)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@hospital.example")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # A fixture may start with global roles; the behaviour under test grants them through the services.
        user = model_class(*args, **kwargs)
        with authority_change(user):
            user.save()
        return user

    full_name = factory.Faker("name")
    # Hashed once for the whole run: hashing costs a third of a second, by design.
    password = factory.LazyFunction(lambda: hashed_password())

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        from allauth.account.models import EmailAddress

        obj.save()
        if create:
            EmailAddress.objects.get_or_create(user=obj, email=obj.email, defaults={"verified": True, "primary": True})


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme

    slug = factory.Sequence(lambda n: f"programme-{n}")
    name = factory.Sequence(lambda n: f"FLS Programme {n}")
    institution = "General Hospital"
    country = "GB"
    city = "Leeds"
    languages = ["en"]
    care_setting = "mixed"
    status = "active"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    programme = factory.SubFactory(ProgrammeFactory)
    role = Role.COORDINATOR
