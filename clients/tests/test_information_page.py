"""The information page says plainly what is not recorded."""

import re

from django.urls import reverse


def test_contact_details_not_recorded_say_so(login, caseworker, own_client):
    own_client.phone = own_client.email = own_client.address = ""
    own_client.save(update_fields=["phone", "email", "address"])

    content = login(caseworker).get(reverse("clients:information", args=[own_client.pk])).content.decode()

    for label in ("Phone", "Email", "Address"):
        assert re.search(rf"<dt>{label}</dt><dd>Not recorded</dd>", content), label
