import pytest

from bot.privacy import mask_pii


@pytest.mark.parametrize(
    "text,hidden,kept",
    [
        ("我的身份证号是110101199003074518", "19900307", "110101********8"),
        ("身份证11010119900307451X，急", "19900307", "110101********X"),
        ("电话13912345678", "1234", "139****5678"),
        ("打 +86 139-1234-5678 找我", "1234", "139****5678"),
        ("座机0431-88776655", "8877", "0431-****6655"),
    ],
)
def test_numbers_that_identify_a_person_are_masked(text, hidden, kept):
    masked = mask_pii(text)
    assert hidden not in masked
    assert kept in masked


def test_amounts_and_short_numbers_are_left_alone():
    text = "三口人一个月收入1200元，2024年申请，低保标准560"
    assert mask_pii(text) == text
