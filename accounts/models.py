from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A portal user: staff, compliance reviewer or loan officer (by group membership).

    Custom from the first migration so fields can be added later without a painful swap.
    """

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
