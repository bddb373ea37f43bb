"""The top bar's menu (web/base.html) and the dashboards' tabs, both from the one list in dashboards/menu.py."""

from django import template

from gridsafe.dashboards.menu import menu_for

register = template.Library()


def _groups(context) -> list[dict]:
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return []
    cached = getattr(request, "_gridsafe_menu", None)
    if cached is None:
        cached = request._gridsafe_menu = menu_for(request.user, path=request.path, nav=context.get("nav", ""))
    return cached


@register.inclusion_tag("web/_menu.html", takes_context=True)
def main_menu(context):
    return {"groups": _groups(context)}


@register.simple_tag(takes_context=True)
def menu_group(context, key):
    """The links of one group, e.g. {% menu_group "oversight" as tabs %}."""
    return next((g["links"] for g in _groups(context) if g["key"] == key), [])
