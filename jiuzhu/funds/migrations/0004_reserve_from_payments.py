import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0007_program_names_from_rules"),
        ("funds", "0003_program_names_from_rules"),
        ("payments", "0007_reserve_to_funds"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    # The town reserve, moved here from payments (issue 15 item 1) with its tables
    # (payments_reservefund, payments_reserveentry) and rows as they are: state only, no SQL.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ReserveFund",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("area_code", models.CharField(max_length=12, unique=True, verbose_name="镇（街道）")),
                        ("county_code", models.CharField(db_index=True, max_length=6)),
                        ("name", models.CharField(max_length=64, verbose_name="名称")),
                        ("account_note", models.CharField(blank=True, max_length=100, verbose_name="专户说明")),
                        ("low_balance_fen", models.BigIntegerField(verbose_name="余额预警线（分）")),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                    ],
                    options={
                        "verbose_name": "临时救助备用金",
                        "verbose_name_plural": "临时救助备用金",
                        "db_table": "payments_reservefund",
                        "ordering": ["area_code"],
                    },
                ),
                migrations.CreateModel(
                    name="ReserveEntry",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("amount_fen", models.BigIntegerField(verbose_name="金额（分）")),
                        ("balance_after_fen", models.BigIntegerField(verbose_name="余额（分）")),
                        ("area_code", models.CharField(max_length=12)),
                        ("note", models.CharField(blank=True, max_length=200, verbose_name="说明")),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "kind",
                            models.CharField(
                                choices=[("top_up", "拨付"), ("disbursement", "先行救助支出"), ("refund", "退回")],
                                max_length=12,
                                verbose_name="类型",
                            ),
                        ),
                        (
                            "source",
                            models.CharField(
                                blank=True,
                                choices=[("fiscal", "财政资金"), ("donation", "社会捐赠"), ("other", "其他")],
                                max_length=8,
                                verbose_name="资金来源",
                            ),
                        ),
                        (
                            "application",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="applications.application",
                            ),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "fund",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="entries",
                                to="funds.reservefund",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "备用金收支",
                        "verbose_name_plural": "备用金收支",
                        "db_table": "payments_reserveentry",
                        "ordering": ["id"],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("amount_fen__gt", 0)), name="reserve_amount_positive"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
