"""normalise_email and normalise_phone, and `remembered()`, the import's per-batch memory of their answers."""

import phonenumbers
import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from lte.crm.services import normalise
from lte.crm.services.normalise import normalise_email, normalise_phone, remembered

PHONES = ["(312) 555-0100", "312.555.0188", "+34 612 34 56 78", "07700 900123", "+1-800-MYFAX", "555-0100", "12",
          "+55 11 91234-5678", "0142", "", "tel:+33142685300"]
REGIONS = [None, "US", "GB", "ES", "BR", "FR", "DE"]
EMAILS = ["Ana@Example.COM", "ana@gmail,com", "  jo@EXAMPLE.org ", "x@y", "a\x01b@example.com", "plain"]


def answer(fn, *args, **kwargs):
    try:
        return ("ok", fn(*args, **kwargs))
    except ValidationError as exc:
        return ("refused", exc.message_dict)


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("raw", PHONES)
def test_a_phone_normalises_to_a_number_that_normalises_to_itself(raw, region):
    """The memo stores each result as its own answer too: that holds only if normalising is idempotent."""
    kind, e164 = answer(normalise_phone, raw, region=region)
    if kind == "ok":
        assert normalise_phone(e164, region=region) == e164
        assert phonenumbers.is_possible_number(phonenumbers.parse(e164))


@pytest.mark.parametrize("raw", EMAILS)
def test_an_email_normalises_to_an_address_that_normalises_to_itself(raw):
    kind, email = answer(normalise_email, raw)
    if kind == "ok":
        assert normalise_email(email) == email


@given(st.text(alphabet="0123456789+-() .x", max_size=20), st.sampled_from(REGIONS))
def test_remembered_answers_are_the_answers(raw, region):
    plain = answer(normalise_phone, raw, region=region)
    with remembered():
        assert answer(normalise_phone, raw, region=region) == plain
        assert answer(normalise_phone, raw, region=region) == plain  # the second from memory
        if plain[0] == "ok":
            assert answer(normalise_phone, plain[1], region=region) == plain


def test_remembered_asks_each_distinct_value_once_and_forgets_after(monkeypatch):
    calls = []
    real = normalise._normalise_phone

    def counting(value, region):
        calls.append(value)
        return real(value, region)

    monkeypatch.setattr(normalise, "_normalise_phone", counting)
    with remembered():
        for _ in range(3):
            assert normalise_phone("(312) 555-0100", region="US") == "+13125550100"
            assert normalise_phone("+13125550100", region="US") == "+13125550100"  # the result: known already
            with pytest.raises(ValidationError) as refused:
                normalise_phone("+1-800-MYFAX", region="US")
            assert "phones" in refused.value.message_dict
    assert calls == ["(312) 555-0100", "+1-800-MYFAX"]
    normalise_phone("(312) 555-0100", region="US")  # outside the block nothing is remembered
    assert calls[-1] == "(312) 555-0100" and len(calls) == 3


def test_the_region_is_part_of_what_is_remembered():
    with remembered():
        assert normalise_phone("07700 900123", region="GB") == "+447700900123"
        with pytest.raises(ValidationError):
            normalise_phone("07700 900123", region="US")
