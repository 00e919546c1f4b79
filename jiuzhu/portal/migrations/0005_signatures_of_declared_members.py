# Signatures of members declared new, void signatures, where a sign-in code went.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0004_declared_changes_first_use_phone'),
        ('registry', '0004_population_record'),
    ]

    operations = [
        migrations.AddField(
            model_name='logincode',
            name='phone_masked',
            field=models.CharField(blank=True, max_length=20, verbose_name='验证手机（脱敏）'),
        ),
        migrations.AddField(
            model_name='logincode',
            name='phone_source',
            field=models.CharField(blank=True, max_length=12, verbose_name='验证手机来源'),
        ),
        migrations.AlterField(
            model_name='onlinesignature',
            name='person',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.person'),
        ),
        migrations.AddField(
            model_name='onlinesignature',
            name='change',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='signature', to='portal.declaredchange'),
        ),
        migrations.AddField(
            model_name='onlinesignature',
            name='voided_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='作废时间'),
        ),
        migrations.AddField(
            model_name='onlinesignature',
            name='void_reason',
            field=models.CharField(blank=True, max_length=100, verbose_name='作废原因'),
        ),
        migrations.AlterField(
            model_name='onlinesignature',
            name='phone_source',
            field=models.CharField(blank=True, choices=[('registry', '登记的手机号'), ('first_use', '首次使用时提供'), ('declared', '申报新增成员时提供')], max_length=12, verbose_name='验证手机来源'),
        ),
    ]
