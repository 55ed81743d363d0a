"""The import's credit-code check (no stdnum cleaning per row) accepts exactly what stdnum accepts."""

from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError

from guanxi.customers.import_fields import parse_credit_code, uscc_check_digit

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=ALPHABET, min_size=17, max_size=17))
def test_check_digit_is_stdnums(first17):
    assert uscc_check_digit(first17) == uscc.calc_check_digit(first17)


def _stdnum_accepts(code: str) -> bool:
    try:
        uscc.validate(code)
    except ValidationError:
        return False
    return True


def _we_accept(code: str) -> bool:
    try:
        parse_credit_code(code)
    except ValueError:
        return False
    return True


@settings(max_examples=2000, deadline=None)
@given(digits=st.text(alphabet="0123456789", min_size=8, max_size=8), rest=st.text(alphabet=ALPHABET, min_size=9, max_size=9),
       last=st.sampled_from([*ALPHABET, "I", "O", "Z", "S", "V"]))
def test_valid_and_invalid_codes_are_judged_like_stdnum(digits, rest, last):
    code = digits + rest + last
    assert _we_accept(code) == _stdnum_accepts(code)
    assert _we_accept(code[:17] + uscc.calc_check_digit(code[:17]))
