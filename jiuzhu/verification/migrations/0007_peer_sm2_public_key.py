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
                help_text="对端县提供的本系统签名公钥（128位十六进制）",
                max_length=128,
                verbose_name="对端SM2公钥",
            ),
        ),
    ]
