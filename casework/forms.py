"""The project's form renderer.

Django puts `maxlength` on every CharField's widget, textareas included. A browser then cuts
pasted text at that length without a word, so a long note would be saved half-written
(found by hand: a pasted 100,000-character note was saved as its first 20,000). Text areas
are rendered without it here; the field's own validation still refuses over-long text with
a message beside the field, and nothing is lost.
"""

from django.forms.renderers import DjangoTemplates


class FormRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        widget = context.get("widget") if isinstance(context, dict) else None
        if widget and widget.get("template_name", "").endswith("textarea.html"):
            widget["attrs"] = {key: value for key, value in widget["attrs"].items() if key != "maxlength"}
        return super().render(template_name, context, request)
