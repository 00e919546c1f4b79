# The failure of a list's processing generalised to every step after a batch's load
# (life events, monitoring rules, suspected lists): one row per batch and step.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('monitoring', '0010_field_report_links'),
        ('verification', '0006_job_heartbeat'),
    ]

    operations = [
        migrations.RenameModel(old_name='SuspectedListFailure', new_name='AfterLoadFailure'),
        migrations.AlterModelOptions(
            name='afterloadfailure',
            options={
                'ordering': ['-failed_at', '-id'],
                'verbose_name': '部门数据入库后处理失败',
                'verbose_name_plural': '部门数据入库后处理失败',
            },
        ),
        migrations.AlterField(
            model_name='afterloadfailure',
            name='batch',
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name='+', to='verification.batch'
            ),
        ),
        migrations.AddField(
            model_name='afterloadfailure',
            name='step',
            field=models.CharField(
                choices=[
                    ('life_events', '死亡、迁出信息同步（停发、暂停、告知）'),
                    ('rules', '预警规则评估'),
                    ('suspected', '疑似困难人员名单处理'),
                ],
                default='suspected',
                max_length=16,
                verbose_name='处理环节',
            ),
        ),
        migrations.AlterField(
            model_name='afterloadfailure',
            name='source_code',
            field=models.CharField(max_length=64, verbose_name='数据类型'),
        ),
        migrations.AlterField(
            model_name='afterloadfailure',
            name='source_name',
            field=models.CharField(max_length=100, verbose_name='数据名称'),
        ),
        migrations.AddConstraint(
            model_name='afterloadfailure',
            constraint=models.UniqueConstraint(fields=('batch', 'step'), name='after_load_failure_once'),
        ),
    ]
