from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Apps whose admin pages IOF staff manage. Patient-level apps are deliberately absent: IOF staff
# and reviewers see aggregates, never patient rows.
IOF_STAFF_ADMIN_APPS = frozenset({"accounts", "programmes", "recognition", "mentorship", "mfa", "account"})


class GlobalRole(models.TextChoices):
    REVIEWER = "reviewer", _("IOF reviewer")
    IOF_STAFF = "iof_staff", _("IOF staff")


class UserManager(BaseUserManager):
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
        extra_fields["is_superuser"] = True
        extra_fields.setdefault("is_iof_staff", True)
        return self._create_user(email, password, **extra_fields)

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

    def save(self, *args, **kwargs):
        # Addresses are compared case-insensitively everywhere: store them lower-case.
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        return self.full_name or self.email

    @property
    def is_staff(self) -> bool:
        """Admin access: IOF staff and superusers (Django's admin asks for ``is_staff``)."""
        return self.is_active and (self.is_superuser or self.is_iof_staff)

    @property
    def global_roles(self) -> list[str]:
        roles = []
        if self.is_reviewer:
            roles.append(GlobalRole.REVIEWER)
        if self.is_iof_staff:
            roles.append(GlobalRole.IOF_STAFF)
        return roles

    def has_perm(self, perm, obj=None):
        if self.is_active and self.is_iof_staff and perm.split(".", 1)[0] in IOF_STAFF_ADMIN_APPS:
            return True
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label):
        if self.is_active and self.is_iof_staff and app_label in IOF_STAFF_ADMIN_APPS:
            return True
        return super().has_module_perms(app_label)


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 of the secret is stored; the user sees it once."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, help_text=_("What it is for, e.g. 'hospital EHR feed'."))
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
