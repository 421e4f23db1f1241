from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from fieldkit.forms import idnumber

TODAY = date(2026, 11, 24)


def test_valid_examples_from_the_standard():
    for value in ("11010519491231002X", "440524188001010014"):
        assert idnumber.check(value, TODAY).error is None


def test_lowercase_x_and_blanks_are_normalised():
    result = idnumber.check(" 11010519491231002x ", TODAY)
    assert result.error is None and result.value == "11010519491231002X"


def test_wrong_check_character_names_the_expected_one():
    result = idnumber.check("110105194912310021", TODAY)
    assert "校验位" in result.error and "X" in result.error


def test_wrong_length_and_shape_and_date():
    assert "18位" in idnumber.check("1101051949123100", TODAY).error
    assert "数字" in idnumber.check("11010519491231A02X", TODAY).error
    assert "出生日期" in idnumber.check("110105194902300021", TODAY).error


def test_future_birth_date_is_refused():
    first17 = "11010520300101001"
    assert "不合理" in idnumber.check(first17 + idnumber.check_char(first17), TODAY).error


def test_unknown_region_warns_but_passes():
    first17 = "99010519491231002"
    result = idnumber.check(first17 + idnumber.check_char(first17), TODAY)
    assert result.error is None and "地区码" in result.warning


def test_derived_facts_and_mask():
    assert idnumber.gender("11010519491231002X") == "女"
    assert idnumber.gender("440524188001010014") == "男"
    assert idnumber.birth_date("11010519491231002X") == date(1949, 12, 31)
    assert idnumber.age("11010519491231002X", date(2026, 12, 30)) == 76
    assert idnumber.mask("42028119900101123X") == "420281********123X"


birth = st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31))


@given(region=st.sampled_from(["110105", "420281", "440524"]), born=birth, seq=st.integers(0, 999))
def test_any_generated_number_passes_and_any_single_digit_error_is_caught(region, born, seq):
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    value = first17 + idnumber.check_char(first17)
    assert idnumber.check(value, TODAY).error is None
    for i in range(17):
        wrong = str((int(value[i]) + 1) % 10)
        typo = value[:i] + wrong + value[i + 1 :]
        assert idnumber.check(typo, TODAY).error is not None
