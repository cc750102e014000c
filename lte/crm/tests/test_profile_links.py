"""Social profiles on the contact page are links to the profile (issue 15: "links afterwards"), built only from a
handle that can't smuggle anything into the address, and shown as plain text otherwise."""

from __future__ import annotations

import pytest

from lte.crm.services.contacts import contact_create
from lte.crm.views.links import profile_url


@pytest.mark.parametrize(("network", "handle", "url"), [
    ("instagram", "@ana.sells", "https://www.instagram.com/ana.sells/"),
    ("instagram", "ana_sells", "https://www.instagram.com/ana_sells/"),
    ("tiktok", "@ana", "https://www.tiktok.com/@ana"),
    ("tiktok", "ana", "https://www.tiktok.com/@ana"),
    ("facebook", "ana.ortiz.77", "https://www.facebook.com/ana.ortiz.77"),
    ("linkedin", "in/ana-ortiz", "https://www.linkedin.com/in/ana-ortiz"),
    ("linkedin", "ana-ortiz", "https://www.linkedin.com/in/ana-ortiz"),
    ("x", "@ana", "https://x.com/ana"),
    ("twitter", "ana", "https://x.com/ana"),  # an import's older name for it
    ("whatsapp", "+34 612 34 56 78", "https://wa.me/34612345678"),
    ("other", "https://ana.example/shop", "https://ana.example/shop"),
    ("myspace", "http://myspace.example/ana", "http://myspace.example/ana"),
    ("instagram", "  https://www.instagram.com/ana/  ", "https://www.instagram.com/ana/"),
    # Not a handle a network would have, or an address we'd follow: text only.
    ("instagram", "ana/../../evil", ""),
    ("instagram", "ana sells", ""),
    ("x", "ana?x=1", ""),
    ("other", "ana", ""),
    ("other", "javascript:alert(1)", ""),
    ("facebook", "data:text/html,hi", ""),
    ("whatsapp", "ask her", ""),
    ("myspace", "ana", ""),
])
def test_profile_addresses(network, handle, url):
    assert profile_url(network, handle) == url


@pytest.mark.django_db
def test_the_contact_page_links_each_profile_it_can(alice_client, alice):
    ana = contact_create(owner=alice, first_name="Ana",
                         social={"instagram": "@ana.sells", "other": "javascript:alert(1)"})
    page = alice_client.get(f"/app/contacts/{ana.pk}/").content.decode()
    assert ('<dt dir="auto">Instagram</dt><dd dir="auto"><a href="https://www.instagram.com/ana.sells/" '
            'class="profile" rel="noopener noreferrer nofollow" target="_blank" dir="ltr">@ana.sells</a></dd>') in page
    assert '<dt dir="auto">Other</dt><dd dir="auto">javascript:alert(1)</dd>' in page
    assert 'href="javascript:' not in page
