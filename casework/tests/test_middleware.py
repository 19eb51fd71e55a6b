from django.test import RequestFactory, override_settings

from casework.middleware import TrustedProxyMiddleware


def remote_addr_after(headers, count):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", **headers)
    with override_settings(PROXY_COUNT=count):
        TrustedProxyMiddleware(lambda r: None)(request)
    return request.META["REMOTE_ADDR"]


def test_it_ignores_forwarded_for_when_no_proxy_is_trusted():
    assert remote_addr_after({"HTTP_X_FORWARDED_FOR": "203.0.113.9"}, 0) == "10.0.0.1"


def test_it_takes_the_address_the_trusted_proxy_saw():
    assert remote_addr_after({"HTTP_X_FORWARDED_FOR": "198.51.100.7, 203.0.113.9"}, 1) == "203.0.113.9"


def test_a_client_cannot_spoof_its_address_past_the_trusted_proxies():
    # The client sent "1.2.3.4" itself; the one trusted proxy appended the real address.
    assert remote_addr_after({"HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.9"}, 1) == "203.0.113.9"
    assert remote_addr_after({"HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.9, 192.0.2.2"}, 2) == "203.0.113.9"


def test_it_keeps_the_socket_address_when_the_header_is_short():
    assert remote_addr_after({}, 1) == "10.0.0.1"


def test_text_areas_are_rendered_without_maxlength_so_pasted_text_is_never_cut_silently(db):
    from django import forms

    class Long(forms.Form):
        note = forms.CharField(max_length=20, widget=forms.Textarea)
        title = forms.CharField(max_length=20)

    form = Long(data={"note": "x" * 30, "title": "ok"})
    html = str(form)
    assert 'maxlength="20"' in html  # a one-line input keeps it
    assert "<textarea" in html
    assert "maxlength" not in html.split("<textarea", 1)[1].split(">", 1)[0]
    assert not form.is_valid()
    assert "note" in form.errors  # refused beside the field instead
