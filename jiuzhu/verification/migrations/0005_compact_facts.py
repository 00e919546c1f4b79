"""Compact fact storage, part 1: the models (the data moves in 0006)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('verification', '0004_peer_our_code'),
    ]

    operations = [
        migrations.CreateModel(
            name='Subject',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('id_index', models.CharField(max_length=64, unique=True)),
                ('id_masked', models.CharField(max_length=18)),
            ],
            options={
                'verbose_name': '数据主体',
                'verbose_name_plural': '数据主体',
                'db_table': 'verification_subject',
            },
        ),
        migrations.CreateModel(
            name='Text',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('value', models.CharField(max_length=300, unique=True)),
            ],
            options={
                'db_table': 'verification_text',
            },
        ),
        migrations.AlterModelOptions(
            name='fact',
            options={'managed': False, 'verbose_name': '部门数据', 'verbose_name_plural': '部门数据'},
        ),
        migrations.CreateModel(
            name='StoredFact',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('county_code', models.CharField(max_length=6)),
                ('row_number', models.PositiveIntegerField()),
                ('period_start', models.DateField(null=True)),
                ('period_end', models.DateField(null=True)),
                ('amount_fen', models.BigIntegerField(null=True)),
                ('active', models.BooleanField(default=True)),
                ('batch', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='verification.batch')),
                ('source', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='verification.source')),
                ('subject', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='verification.subject')),
                ('category', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='verification.text')),
                ('detail', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='verification.text')),
                ('record_key', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='verification.text')),
            ],
            options={
                'db_table': 'verification_fact_row',
                'indexes': [models.Index(fields=['batch'], name='fact_row_batch_idx')],
            },
        ),
    ]

