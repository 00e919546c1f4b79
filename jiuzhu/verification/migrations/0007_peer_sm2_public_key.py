from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("verification", "0006_job_heartbeat"),
    ]

    operations = [
        migrations.AlterField(
            model_name="peer",
            name="key_enc",
            field=models.BinaryField(blank=True, default=b"", verbose_name="共享密钥（密文）"),
        ),
        migrations.AddField(
            model_name="peer",
            name="sm2_public_key",
            field=models.CharField(
                blank=True,
                default="",
                help_text="对端运行 manage.py peer_public_key 输出的公钥",
                max_length=128,
                verbose_name="对端SM2公钥",
            ),
        ),
    ]
