"""Reference data: target categories (对象类别) of seeds 000/001 (PRG-3) and 003 (PRG-4)."""

from django.db import migrations

CATEGORIES = [
    ("dibao", "低保对象", "PRG-3, PRG-4"),
    ("tekun", "特困供养人员", "PRG-3, PRG-4"),
    ("dibao_edge", "低保边缘家庭", "DOMAIN"),
    ("rigid_expense", "刚性支出困难家庭", "DOMAIN"),
    ("spending", "持续支出型特殊困难家庭", "PRG-4, PRG-18"),
    ("monitored", "建档立卡/防返贫监测对象", "PRG-3, PRG-4"),
    ("disaster", "受灾人员", "PRG-3, PRG-4"),
    ("homeless", "流浪乞讨人员", "PRG-3, PRG-4"),
    ("orphan", "孤儿和困境儿童", "PRG-3"),
    ("cleft_cp", "唇腭裂和脑瘫儿童", "PRG-3"),
    ("mental", "重度精神病患者", "PRG-3"),
    ("disabled", "困难残疾人", "PRG-3, PRG-4"),
    ("two_cancers", "“两癌”贫困妇女", "PRG-3"),
    ("worker", "困难职工", "PRG-3"),
    ("unidentified", "身份不明和无力支付人员", "PRG-3, INT-24"),
    ("heroic", "见义勇为致残/牺牲人员家庭", "PRG-3"),
    ("elderly", "困难老年人", "PRG-4"),
    ("left_behind", "“三留守”人员", "PRG-4"),
    ("legal", "涉案涉法困难群众", "PRG-4"),
]


def forward(apps, schema_editor):
    TargetCategory = apps.get_model("registry", "TargetCategory")
    for code, name, source in CATEGORIES:
        TargetCategory.objects.update_or_create(code=code, defaults={"name": name, "source": source})


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
