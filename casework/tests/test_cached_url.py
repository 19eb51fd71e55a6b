"""`{% url %}` keeps its answers per process (casework.templatetags.cached_url) and gives
exactly what Django's tag gives."""

from decimal import Decimal

import pytest
from django.template import Context, Template, engines
from django.test import override_settings
from django.urls import NoReverseMatch, reverse
from django.urls import path as url_path

from casework.templatetags.cached_url import CachedURLNode, cached_reverse


def _render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


def test_every_template_gets_the_caching_tag():
    template = engines["django"].from_string("{% url 'clients:record' 7 %}")

    assert isinstance(template.template.nodelist[0], CachedURLNode)


def test_it_gives_what_reverse_gives_and_keeps_the_answer(own_client):
    cached_reverse.cache_clear()

    first = _render("{% url 'clients:record' client_id %}|{% url 'home' %}", client_id=own_client.pk)
    again = _render("{% url 'clients:record' client_id %}|{% url 'home' %}", client_id=own_client.pk)

    assert first == again == f"{reverse('clients:record', args=[own_client.pk])}|{reverse('home')}"
    assert cached_reverse.cache_info().hits == 2


def test_it_takes_keyword_arguments_and_as_a_variable(own_client):
    rendered = _render(
        "{% url 'clients:record' client_id=pk as link %}[{{ link }}]{% url 'nowhere' as missing %}[{{ missing }}]",
        pk=own_client.pk,
    )

    assert rendered == f"[{reverse('clients:record', kwargs={'client_id': own_client.pk})}][]"


def test_an_unknown_name_still_fails_loudly():
    with pytest.raises(NoReverseMatch):
        _render("{% url 'nowhere' %}")


def test_a_swapped_urlconf_gets_its_own_answers():
    before = _render("{% url 'home' %}")
    with override_settings(ROOT_URLCONF=__name__):
        swapped = _render("{% url 'home' %}")

    assert (before, swapped) == (reverse("home"), "/elsewhere/")


def test_arguments_that_are_not_strings_or_ints_are_not_kept():
    cached_reverse.cache_clear()

    rendered = Template("{% url 'clients:record' number %}").render(Context({"number": Decimal(7)}))

    assert rendered == reverse("clients:record", args=[7])
    assert cached_reverse.cache_info().currsize == 0


def _home(request):  # pragma: no cover - only reversed
    raise NotImplementedError


urlpatterns = [url_path("elsewhere/", _home, name="home")]
