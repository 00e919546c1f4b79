"""Issue 18 security: personal data on public pages is masked by one shared rule (DOC-10)."""

from __future__ import annotations

from jiuzhu.core.masking import mask_person_name


def test_names_keep_first_and_last_character():
    """DOC-10, SUP-2: 王*兰 on the 公示 page; two-character names keep only the surname."""
    assert mask_person_name("王秀兰") == "王*兰"
    assert mask_person_name("王兰") == "王*"
    assert mask_person_name("欧阳振华") == "欧**华"
    assert mask_person_name(" 李 ") == "*"
    assert mask_person_name("") == ""
