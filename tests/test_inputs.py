"""The input gate (bot/inputs.py) and the masking function (bot/privacy.py) on the forms attackers and
real callers write: what is refused, what is normalised, what is masked."""

from __future__ import annotations

import pytest

from bot.inputs import InputRefused, clean_code, clean_json, clean_text, parse_id, parse_json
from bot.privacy import find_phone, mask_pii


@pytest.mark.parametrize("bad", ["a\x00b", "\ud800", "x\x1b[2J", "\x7f", "a\x85", 5, None, ["a"]])
def test_text_with_poison_or_of_another_type_is_refused(bad):
    with pytest.raises(InputRefused) as refused:
        clean_text(bad)
    assert refused.value.message_zh


def test_text_keeps_newlines_and_tabs_and_unifies_line_ends():
    assert clean_text(" 第一行\r\n第二行\t完 ") == "第一行\n第二行\t完"
    with pytest.raises(InputRefused):
        clean_text("很" * 11, max_length=10)


@pytest.mark.parametrize(
    "written,code", [("220104", "220104"), ("２２０１０４", "220104"), ("11010119900307451x", "11010119900307451X")]
)
def test_codes_become_ascii_digits(written, code):
    assert clean_code(written, min_digits=2, max_digits=18, last_may_be_x=True) == code


@pytest.mark.parametrize("bad", ["220104\n", "٢٢٠١٠٤", "22O104", "2", "1" * 13, "", "22 0104", "X"])
def test_codes_that_are_not_plain_digits_are_refused(bad):
    with pytest.raises(InputRefused):
        clean_code(bad, min_digits=2, max_digits=12)


@pytest.mark.parametrize(
    "bad",
    [
        {"a": float("nan")},
        {"a": [float("-inf")]},
        {"a": "\ud800"},
        {"\x00": 1},
        {"n": 2**64},
        {"a": {"b": [[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]}},
        {"s": "很" * 20_001},
    ],
)
def test_json_that_cannot_be_stored_and_read_back_is_refused(bad):
    with pytest.raises(InputRefused):
        clean_json(bad)


def test_json_within_bounds_is_kept():
    value = {"members": [{"age": 40, "income": 1200.5, "disabled": False, "note": "第一行\n"}], "n": None}
    assert clean_json(value) == value


@pytest.mark.parametrize("raw", ["[" * 1000 + "]" * 1000, '{"a": NaN}', '{"a": Infinity}', '{"a": -Infinity}'])
def test_request_bodies_that_are_too_deep_or_not_finite_are_refused(raw):
    with pytest.raises(InputRefused):
        parse_json(raw)


def test_brackets_inside_strings_do_not_count_as_nesting():
    assert parse_json('{"a": "' + "[" * 100 + '\\"]"}') == {"a": "[" * 100 + '"]'}


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("12", 12),
        (12, 12),
        ("0", None),
        (2**31, None),
        ("１２", None),
        (True, None),
        ("1" * 30, None),
        (-3, None),
        (1.5, None),
    ],
)
def test_ids_fit_the_column(raw, expected):
    assert parse_id(raw) == expected


@pytest.mark.parametrize(
    "text,hidden",
    [
        ("电话139.1234.5678", "1234"),
        ("电话１３９１２３４５６７８", "１２３４"),
        ("电话一三九一二三四五六七八", "一二三四"),
        ("电话幺三九 一二三四 五六七八", "一二三四"),
        ("身份证 110101 19900307 4518", "19900307"),
        ("身份证110101-1990-0307-451X", "1990-0307"),
        ("身份证１１０１０１１９９００３０７４５１８", "１９９００３０７"),
        ("打 +86 139-1234-5678", "1234"),
    ],
)
def test_numbers_however_written_are_masked(text, hidden):
    masked = mask_pii(text)
    assert hidden not in masked and "****" in masked
    assert masked[:2] == text[:2]  # the words around the number are the caller's own


def test_an_id_number_is_not_taken_for_a_phone():
    assert find_phone("身份证110101-1990-0307-451X") is None
    assert find_phone("身份证110101199003074518，电话一三九一二三四五六七八") == "13912345678"


def test_everyday_figures_are_not_masked():
    text = "三口人一个月收入1200元，2024年申请，低保标准560，二〇二四年十二月，门牌 12-3-401"
    assert mask_pii(text) == text


def test_log_lines_and_tracebacks_are_masked():
    import io
    import logging

    from bot.privacy import mask_logs

    out = io.StringIO()
    logger = logging.getLogger("test.masking")
    logger.propagate = False
    handler = logging.StreamHandler(out)
    logger.addHandler(handler)
    mask_logs(logger)
    try:
        raise ValueError("bad id 110101199003074518")
    except ValueError:
        logger.exception("filing for %s failed", "电话139 1234 5678")
    logger.removeHandler(handler)
    logged = out.getvalue()
    assert "filing for" in logged and "ValueError" in logged
    assert "19900307" not in logged and "1234" not in logged
