import functools

import factory
from django.contrib.auth import get_user_model

from accounts.models import authority_change
from programmes.models import Membership, Programme, Role

PASSWORD = "correct-horse-battery-staple"
# Every test user who needs two-factor authentication has an authenticator app with this secret.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def give_totp(user, secret: str = TOTP_SECRET):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, secret)
    return user


def totp_code(secret: str = TOTP_SECRET, offset: int = 0) -> str:
    """The code an authenticator app with ``secret`` shows now (``offset`` periods of 30 s away)."""
    from accounts.mfa import totp_code as code

    return code(secret, offset)


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

    @factory.post_generation
    def mfa(obj, create, extracted, **kwargs):
        """IOF staff, reviewers and administrators start with their required authenticator app
        (``mfa=False`` leaves it out, to test the set-up they are sent to)."""
        if create and extracted is not False and (obj.is_superuser or obj.is_iof_staff or obj.is_reviewer):
            give_totp(obj)


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
    # The registry's zone, so that a test's "today" is the same whatever hour it runs at; the tests
    # of each programme's own clock (tests/programmes/test_clock.py) give real zones.
    time_zone = "UTC"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    programme = factory.SubFactory(ProgrammeFactory)
    role = Role.COORDINATOR

    @factory.post_generation
    def mfa(obj, create, extracted, **kwargs):
        """A lead starts with the required authenticator app (``mfa=False`` leaves it out)."""
        if create and extracted is not False and obj.role == Role.LEAD:
            give_totp(obj.user)
