from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('verification', '0003_fact_partitions'),
    ]

    operations = [
        migrations.AddField(
            model_name='peer',
            name='our_code',
            field=models.CharField(default='', help_text='对端登记的本县代码（请求头 X-Jiuzhu-Peer）', max_length=6, verbose_name='本方代码'),
            preserve_default=False,
        ),
    ]
