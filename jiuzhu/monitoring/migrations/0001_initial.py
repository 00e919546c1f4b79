# The review (复核) model, created by payments 0001 in table ``payments_review``, joins this
# app's state; the table is left as it is (payments 0007 drops it from payments' state only).

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('applications', '0007_program_names_from_rules'),
        ('payments', '0008_review_to_monitoring'),
        ('verification', '0006_job_heartbeat'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Review',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('area_code', models.CharField(db_index=True, max_length=12)),
                        ('county_code', models.CharField(max_length=6)),
                        ('kind', models.CharField(choices=[('periodic', '定期复核'), ('change', '变更报告'), ('age', '年龄变化'), ('death', '成员死亡'), ('data', '部门数据预警')], max_length=10, verbose_name='类型')),
                        ('status', models.CharField(choices=[('open', '待复核'), ('verifying', '核对中'), ('decided', '已办结')], default='open', max_length=10, verbose_name='状态')),
                        ('due_on', models.DateField(db_index=True, verbose_name='办理期限')),
                        ('reason', models.CharField(max_length=200, verbose_name='事由')),
                        ('facts', models.JSONField(blank=True, null=True, verbose_name='复核后家庭情况')),
                        ('evaluation', models.JSONField(blank=True, default=dict, verbose_name='测算结果')),
                        ('outcome', models.CharField(blank=True, choices=[('continue', '维持'), ('change', '调整金额'), ('gradual', '渐退'), ('stop', '停发')], max_length=10, verbose_name='复核结论')),
                        ('amount_before_fen', models.BigIntegerField(blank=True, null=True)),
                        ('amount_after_fen', models.BigIntegerField(blank=True, null=True)),
                        ('effective_month', models.DateField(blank=True, null=True, verbose_name='生效月份')),
                        ('note', models.CharField(blank=True, max_length=200, verbose_name='说明')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('decided_at', models.DateTimeField(blank=True, null=True)),
                        ('application', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='reviews', to='applications.application')),
                        ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('notice', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='applications.notice')),
                        ('verification', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='verification.verificationrequest')),
                    ],
                    options={
                        'verbose_name': '复核',
                        'verbose_name_plural': '复核',
                        'db_table': 'payments_review',
                        'ordering': ['due_on', 'id'],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('status', 'decided'), _negated=True), fields=('application',), name='review_one_open_per_case')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
