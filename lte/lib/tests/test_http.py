"""lte.lib.http's helpers that pages build on."""

from __future__ import annotations

import uuid

import pytest
from django.urls import NoReverseMatch, reverse

from lte.lib.http import url_for_each


@pytest.mark.parametrize("viewname", ["crm:note-edit", "crm:note-delete", "crm:contact-detail"])
def test_each_rows_url_is_what_reverse_gives(viewname):
    url_of = url_for_each(viewname)
    for pk in (uuid.uuid4(), uuid.UUID(int=0), uuid.UUID(int=2**128 - 1), str(uuid.uuid4())):
        assert url_of(pk) == reverse(viewname, args=[pk])


def test_a_value_that_is_not_an_id_is_refused():
    url_of = url_for_each("crm:note-edit")
    with pytest.raises(ValueError):
        url_of("../../admin")
    with pytest.raises(NoReverseMatch):
        url_for_each("crm:contact-list")  # takes no id
