"""The area tree of 12-digit codes (GOV-1) and its import command."""

import io

import pytest
from django.core.management import CommandError, call_command

from jiuzhu.areas.models import Area, code_range, level_of, prefix_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("code", "level", "prefix"),
    [
        ("370000000000", "province", "37"),
        ("370400000000", "city", "3704"),
        ("370405000000", "county", "370405"),
        ("370405101000", "town", "370405101"),
        ("370405101201", "village", "370405101201"),
        ("370405100000", "town", "370405100"),
    ],
)
def test_it_reads_the_level_from_the_code(code, level, prefix):
    assert level_of(code) == level and prefix_of(code) == prefix


def test_town_100_does_not_cover_town_101():
    low, high = code_range("370405100")
    assert not (low <= "370405101201" <= high)


def test_the_subtree_query_uses_the_code_range(world):
    codes = set(Area.objects.under("370405101").values_list("code", flat=True))
    assert "370405101201" in codes and "370405100201" not in codes


def test_the_demo_file_has_the_towns_of_seed_000(world):
    towns = set(Area.objects.filter(parent_id="370405000000").values_list("name", flat=True))
    assert towns == {"运河街道", "张山子镇", "涧头集镇", "邳庄镇", "马兰屯镇", "泥沟镇"}
    assert Area.objects.filter(code__in=["370404000000", "370481000000", "370321000000"]).count() == 3
    assert not Area.objects.filter(level="village", is_demo=False).exists()


def test_the_import_command_is_idempotent(world, tmp_path):
    from jiuzhu.web.demo import AREA_FILE

    out = io.StringIO()
    call_command("import_areas", str(AREA_FILE), stdout=out)
    assert "新增0，更新0" in out.getvalue()


def test_the_import_command_refuses_a_bad_file_whole(world, tmp_path):
    path = tmp_path / "areas.csv"
    path.write_text(
        "code,name,parent,urban_rural\n370405105000,新镇,370405000000,\n370405105201,新村,370405105000,\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as exc:
        call_command("import_areas", str(path))
    assert "城乡分类" in str(exc.value)
    assert not Area.objects.filter(code="370405105000").exists()


def test_the_import_command_reads_gbk(world, tmp_path):
    path = tmp_path / "areas.csv"
    path.write_bytes(
        "code,name,parent,urban_rural\n370405105000,新镇,370405000000,\n370405105201,新村,370405105000,乡村\n".encode(
            "gbk"
        )
    )
    call_command("import_areas", str(path), stdout=io.StringIO())
    assert Area.objects.get(code="370405105201").urban_rural == "rural"


def test_the_tree_page_shows_counts(client_of, household_in):
    household_in("张山子镇")
    page = client_of("tez_zhangshanzi").get("/areas/").content.decode()
    assert "张山子镇" in page and "涧头集镇" not in page and "1户" in page
