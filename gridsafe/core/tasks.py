"""The only import point for background tasks, so the move to `django.tasks` (Django 6) is one line."""

from django_tasks import task

__all__ = ["task"]
