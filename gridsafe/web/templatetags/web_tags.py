"""Template helpers for the pages."""

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()


def _options(choices, selected: set[str]) -> str:
    def option(value, label) -> str:
        value = "" if value is None else str(value)
        flag = " selected" if value in selected else ""
        return f'<option value="{escape(value)}"{flag}>{escape(label)}</option>'

    parts = []
    for value, label in choices:
        if isinstance(label, list | tuple):  # an optgroup: (group label, [(value, label), ...])
            inner = "".join(option(v, lab) for v, lab in label)
            parts.append(f'<optgroup label="{escape(value)}">{inner}</optgroup>')
        else:
            parts.append(option(value, label))
    return "".join(parts)


@register.simple_tag
def select(field):
    """A <select> for a form field, built in one pass. Django's widget templates render every <option> through
    the template engine, which is most of the list page's time when a county's filter offers 344 regions."""
    value = field.value()
    selected = {str(v) for v in value} if isinstance(value, list | tuple) else {"" if value is None else str(value)}
    options = _options(field.field.choices, selected)
    return mark_safe(f'<select name="{escape(field.html_name)}" id="{escape(field.id_for_label)}">{options}</select>')
