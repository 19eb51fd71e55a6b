"""Keep access in step with roles, accounts and team memberships.

`accounts` sits below `clients` and cannot call it, so clients follows its changes through
signals. Each receiver only calls one service, which holds the rule:
`clients.services.staff_access_sync` for a person (manager groups, and ending caseload
assignments their job no longer supports) and `team_managers_sync` for a team.

Every path is covered: a membership deleted one by one (an admin inline) or in bulk
(`user.teams.remove()`, `.clear()`, `.set()`, a queryset delete: all send post_delete
per row), a membership edited to another team (post_save), a person saved with a new
role or deactivated (post_save), and a team's members changed from the team's side
(m2m_changed). They run inside the transaction of the change that sent them (the admin,
the services, queryset deletes and m2m changes all run in one; a bare `user.save()` outside
a transaction commits the row first). Bulk `QuerySet.update()` calls send nothing:
`manage.py sync_access` repairs what they leave.
"""

from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_delete, post_save

from accounts.models import Team, TeamMembership

from . import services

_SYNC_FIELDS = {"role", "is_active"}


def user_saved(sender, instance, created, update_fields=None, **kwargs):
    if update_fields is not None and not _SYNC_FIELDS.intersection(update_fields):
        return  # e.g. the last_login update on every sign-in
    services.staff_access_sync(user=instance)


def membership_changed(sender, instance, **kwargs):
    user = get_user_model().objects.filter(pk=instance.user_id).first()
    if user is not None:
        services.staff_access_sync(user=user)


def teams_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if isinstance(instance, Team):
        services.team_managers_sync(team=instance)
    else:
        services.staff_access_sync(user=instance)


def connect() -> None:
    User = get_user_model()
    post_save.connect(user_saved, sender=User, dispatch_uid="clients.manager_groups.user")
    post_save.connect(membership_changed, sender=TeamMembership, dispatch_uid="clients.manager_groups.join")
    post_delete.connect(membership_changed, sender=TeamMembership, dispatch_uid="clients.manager_groups.leave")
    m2m_changed.connect(teams_changed, sender=User.teams.through, dispatch_uid="clients.manager_groups.m2m")
