from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from accounts.clock import validate_zone

# A person's global authority: changed only by the audited services of ``programmes.services``
# (which write the access-log row in the same transaction), never by a plain save or update.
AUTHORITY_FIELDS = ("is_active", "is_superuser", "is_reviewer", "is_iof_staff")


class AuthorityChangeRefused(RuntimeError):
    """A global role or the active flag was about to change outside the audited services."""


@contextmanager
def authority_change(user):
    """The one door for the audited services: inside it, ``user.save()`` may change authority fields."""
    user._authority_change_allowed = True
    try:
        yield user
    finally:
        user._authority_change_allowed = False


class GlobalRole(models.TextChoices):
    REVIEWER = "reviewer", _("IOF reviewer")
    IOF_STAFF = "iof_staff", _("IOF staff")
    SUPERUSER = "superuser", _("System administrator (superuser)")


# Each global role and the flag that stores it.
GLOBAL_ROLE_FIELDS = {
    GlobalRole.REVIEWER: "is_reviewer",
    GlobalRole.IOF_STAFF: "is_iof_staff",
    GlobalRole.SUPERUSER: "is_superuser",
}


class UserQuerySet(models.QuerySet):
    def update(self, **kwargs):
        touched = sorted(set(kwargs) & set(AUTHORITY_FIELDS))
        if touched:
            raise AuthorityChangeRefused(
                f"{', '.join(touched)} change only through programmes.services (audited), not a queryset update"
            )
        return super().update(**kwargs)

    update.alters_data = True


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        """The first operator of a new installation (``createsuperuser``, which records the grant)."""
        user = self.model(email=self.normalize_email(email).lower(), is_superuser=True, **extra_fields)
        user.set_password(password)
        with authority_change(user):
            user.save(using=self._db)
        return user

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. The e-mail address is the login; programme roles live on Membership."""

    email = models.EmailField(_("e-mail address"), max_length=254, unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_reviewer = models.BooleanField(
        _("IOF reviewer"), default=False, help_text=_("Scores Best Practice Recognition applications.")
    )
    is_iof_staff = models.BooleanField(
        _("IOF staff"), default=False, help_text=_("Manages programmes, reviewers and decisions; uses the admin.")
    )
    country = CountryField(
        _("country"),
        blank=True,
        help_text=_(
            "Where the person works. A reviewer is not given a programme of their own country while "
            "another reviewer is free."
        ),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("The language of the pages and e-mails. Empty: the browser's."),
    )
    pages_language = models.CharField(
        _("language of the pages last used"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        editable=False,
        help_text=_(
            "Recorded at log-in and by the language chooser: what e-mails and documents use when no language is chosen."
        ),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_zone],
        help_text=_("Where you read times. Empty: your programme's zone."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]

    def __str__(self):
        return self.full_name or self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    @classmethod
    def from_db(cls, db, field_names, values):
        user = super().from_db(db, field_names, values)
        user._stored_authority = {name: user.__dict__[name] for name in AUTHORITY_FIELDS if name in user.__dict__}
        return user

    def authority_changes(self) -> list[str]:
        """Authority fields that differ from the stored row (for a new row: any global role granted)."""
        stored = getattr(self, "_stored_authority", None)
        if self._state.adding or stored is None:
            return [name for name in ("is_superuser", "is_reviewer", "is_iof_staff") if getattr(self, name)]
        return [name for name, value in stored.items() if getattr(self, name) != value]

    def save(self, *args, **kwargs):
        # Addresses are compared case-insensitively everywhere: store them lower-case.
        self.email = (self.email or "").strip().lower()
        changes = self.authority_changes()
        if changes and not getattr(self, "_authority_change_allowed", False):
            raise AuthorityChangeRefused(
                f"{', '.join(changes)} of {self.email} change only through programmes.services (audited)"
            )
        super().save(*args, **kwargs)
        self._stored_authority = {name: getattr(self, name) for name in AUTHORITY_FIELDS}

    @property
    def display_name(self) -> str:
        return self.full_name or self.email

    @property
    def is_staff(self) -> bool:
        """Admin login: IOF staff and superusers. What each may do there is ``programmes.authority``'s answer."""
        return self.is_active and (self.is_superuser or self.is_iof_staff)

    @property
    def global_roles(self) -> list[GlobalRole]:
        return [role for role, flag in GLOBAL_ROLE_FIELDS.items() if getattr(self, flag)]


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 of the secret is stored; the user sees it once."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, help_text=_("What it is for, e.g. 'hospital EHR feed'."))
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Every token ends (API_TOKEN_DAYS by default); a read-only token only reads (GET, HEAD, OPTIONS).
    expires_at = models.DateTimeField(_("expires"), null=True)
    read_only = models.BooleanField(_("read-only"), default=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()
