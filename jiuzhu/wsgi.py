import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiuzhu.settings")

from jiuzhu.web.startup import refuse_unsafe_start  # reads the settings named above

refuse_unsafe_start()

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()

from jiuzhu.web.serving import prepare_process  # noqa: E402

prepare_process()
