"""Resident ID numbers (GB 11643) — basis of 一证申请 (INT-3) and the registry (REG-1)."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiuzhu.core.errors import InvalidInput
from jiuzhu.core.idnumber import (
    check_character,
    is_valid_normalized,
    make_id_number,
    mask_id_number,
    parse_id_number,
    valid_normalized,
)

VALID = "11010519491231002X"  # the GB 11643 standard's own example


def test_it_accepts_the_standard_example():
    parsed = parse_id_number(VALID)
    assert parsed.birth_date == dt.date(1949, 12, 31)
    assert parsed.gender == "F"


def test_it_accepts_lower_case_x_and_full_width_digits():
    assert parse_id_number("11010519491231002x").value == VALID
    assert parse_id_number(" １１０１０５１９４９１２３１００２Ｘ ").value == VALID


def test_it_rejects_a_wrong_checksum_in_chinese():
    with pytest.raises(InvalidInput) as exc:
        parse_id_number("110105194912310021")
    assert exc.value.code == "invalid_id_number"
    assert "校验位" in exc.value.message


def test_it_rejects_a_nonexistent_area_code():
    """Issue 19 item 5: a number with a valid check character but no such province is refused,
    by the single, the fast and the vectorized check alike."""
    first17 = "99040519800101001"
    value = first17 + check_character(first17)
    with pytest.raises(InvalidInput) as exc:
        parse_id_number(value)
    assert "行政区划" in exc.value.message and "99" in exc.value.message
    good = make_id_number("370405", dt.date(1980, 1, 1), 1, "M")
    assert not is_valid_normalized(value)
    assert valid_normalized([value, good]) == [False, True]


def test_it_rejects_an_impossible_birth_date():
    first17 = "37040519900230001"  # 30 February
    with pytest.raises(InvalidInput) as exc:
        parse_id_number(first17 + check_character(first17))
    assert "出生日期" in exc.value.message


def test_it_rejects_a_birth_date_in_the_future():
    first17 = "37040520990101001"
    with pytest.raises(InvalidInput):
        parse_id_number(first17 + check_character(first17), today=dt.date(2026, 11, 23))


def test_it_converts_a_legacy_15_digit_number():
    parsed = parse_id_number("110105491231002")
    assert parsed.value == "11010519491231002X"
    assert parsed.birth_date == dt.date(1949, 12, 31)


@pytest.mark.parametrize("raw", ["", "123", "1101051949123100211", "11010519491231002A", "ABCDEFGHIJKLMNOPQR"])
def test_it_rejects_malformed_input(raw):
    with pytest.raises(InvalidInput) as exc:
        parse_id_number(raw, field="members[0].id_number")
    assert exc.value.field == "members[0].id_number"


def test_it_masks_all_but_area_and_last_four():
    assert mask_id_number(VALID) == "110105********002X"


def test_it_derives_gender_from_the_17th_digit():
    assert parse_id_number(make_id_number("370405", dt.date(1980, 5, 6), 11, "M")).gender == "M"
    assert parse_id_number(make_id_number("370405", dt.date(1980, 5, 6), 11, "F")).gender == "F"


@given(
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31)),
    st.integers(0, 999),
    st.sampled_from("MF"),
)
def test_it_round_trips_every_generated_number(birth, seq, gender):
    value = make_id_number("370405", birth, seq, gender)
    parsed = parse_id_number(value)
    assert (parsed.value, parsed.birth_date, parsed.gender) == (value, birth, gender)


@given(st.text(alphabet="0123456789", min_size=17, max_size=17), st.sampled_from("0123456789X"))
def test_it_never_accepts_a_number_whose_check_character_is_wrong(first17, last):
    value = first17 + last
    if check_character(first17) != last:
        with pytest.raises(InvalidInput):
            parse_id_number(value)


@given(st.text(alphabet="0123456789Xx １", min_size=16, max_size=19))
def test_the_quick_check_accepts_exactly_the_normal_numbers_the_parser_keeps(raw):
    """``is_valid_normalized`` (the bulk-file shortcut) never disagrees with the parser."""
    try:
        kept = parse_id_number(raw).value == raw
    except InvalidInput:
        kept = False
    assert is_valid_normalized(raw) == kept


def test_the_quick_check_accepts_a_generated_number_and_refuses_its_variants():
    value = make_id_number("370405", dt.date(1980, 1, 2), 17, "M")
    assert is_valid_normalized(value)
    assert not is_valid_normalized(value[:-1] + ("0" if value[-1] != "0" else "1"))
    assert not is_valid_normalized(" " + value[1:])
    assert not is_valid_normalized(value[:6] + "20991231" + value[14:])


@given(
    st.lists(
        st.one_of(
            st.builds(
                lambda day, seq: make_id_number("370405", day, seq, "M"),
                st.dates(dt.date(1880, 1, 1), dt.date(2026, 11, 1)),
                st.integers(0, 499),
            ),
            st.text(alphabet="0123456789X", min_size=18, max_size=18),
            st.text(alphabet="0123456789Xx １", min_size=16, max_size=19),
        ),
        max_size=30,
    )
)
def test_the_vectorized_check_says_what_the_quick_check_says(values):
    today = dt.date(2026, 11, 23)
    assert valid_normalized(values, today) == [is_valid_normalized(v, today) for v in values]
