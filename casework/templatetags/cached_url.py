"""`{% url %}` with its answers kept for the life of the process (a template builtin:
settings.TEMPLATES "builtins", which replaces Django's tag in every template).

Django's tag calls `reverse()` on every render, about 25 µs each, and every page about one
client renders some twenty (the main navigation, the client's tabs). URL patterns do not
change while a process runs, so a name with the same arguments always gives the same path.
The key holds everything else `reverse()` reads: the URLconf (the request's, and
ROOT_URLCONF, which tests may swap), the script prefix and the current application
namespace. Only names and arguments that are strings or ints are kept (a model
instance's URL depends on more than its key); anything else, and every failure, goes to
`reverse()` as before.
"""

import functools

from django import template
from django.conf import settings
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()


@functools.lru_cache(maxsize=4096)
def cached_reverse(view_name, args: tuple, kwargs: tuple, current_app, urlconf, root_urlconf, script_prefix) -> str:
    """reverse() kept per process (an LRU of 4,096 answers) for `{% url %}`; returns the path (str).

    Takes hashable arguments only (tuples, strings, ints). Raises NoReverseMatch as
    reverse() does; a failure is not cached. root_urlconf and script_prefix are read by
    reverse() itself: they are arguments so that each setting keeps its own answers.
    """
    return reverse(view_name, args=args, kwargs=dict(kwargs), current_app=current_app, urlconf=urlconf)


def _plain(value) -> bool:
    # Strings (template literals arrive as SafeString) and ints; not bools, not lazy strings.
    return isinstance(value, str) or type(value) is int


class CachedURLNode(URLNode):
    def render(self, context):
        # Django's URLNode.render, with the lookup kept (cached_reverse) when the key is plain.
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = ""
        try:
            if _plain(view_name) and all(map(_plain, args)) and all(map(_plain, kwargs.values())):
                url = cached_reverse(
                    view_name,
                    tuple(args),
                    tuple(sorted(kwargs.items())),
                    current_app,
                    get_urlconf(),
                    settings.ROOT_URLCONF,
                    get_script_prefix(),
                )
            else:
                url = reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    """Django's `{% url %}` (same syntax), its answers kept per process."""
    node = django_url(parser, token)
    return CachedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
