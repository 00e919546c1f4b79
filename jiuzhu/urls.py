from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from jiuzhu.accounts import views as account_views
from jiuzhu.api import api
from jiuzhu.areas import views as area_views
from jiuzhu.audit import views as audit_views
from jiuzhu.complaints import urls as complaints_urls
from jiuzhu.funds import urls as funds_urls
from jiuzhu.payments import urls as payments_urls
from jiuzhu.portal import urls as portal_urls
from jiuzhu.registry import area_views as registry_area_views
from jiuzhu.web import help as help_views
from jiuzhu.web import onboarding_views
from jiuzhu.web import public as public_views
from jiuzhu.web import views as web_views

admin.site.site_header = "救助 · 系统管理"
admin.site.site_title = "救助系统管理"

urlpatterns = [
    path("", web_views.home, name="home"),
    path("work/", web_views.my_work, name="my_work"),
    path("help/<str:slug>/", help_views.help_page, name="help"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="accounts/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("my/", include("jiuzhu.portal.urls")),  # 掌上办: the applicant site (issue 18)
    path("online-intake/", include((portal_urls.staff_urlpatterns, "online_intake"))),  # 掌上办申请 queue
    path("public/verify/", public_views.verify_lookup, name="public_verify_lookup"),
    path("public/verify/<str:code>/", public_views.verify, name="public_verify"),
    path("", include((complaints_urls.public_urlpatterns, "complaints_public"))),  # no login
    path("public/", include("jiuzhu.disclosure.urls")),
    path("onboarding/", onboarding_views.onboarding_page, name="onboarding"),
    path("tokens/", account_views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", account_views.token_revoke, name="token_revoke"),
    path(
        "areas/",
        include(
            (
                [
                    path("", registry_area_views.area_tree, name="tree"),
                    path("<str:code>/", area_views.area_detail, name="detail"),
                ],
                "areas",
            )
        ),
    ),
    path("audit/", include(([path("", audit_views.audit_list, name="list")], "audit"))),
    path("", include("jiuzhu.registry.urls")),
    path("", include("jiuzhu.programs.urls")),
    path("", include("jiuzhu.applications.urls")),
    path("", include("jiuzhu.referrals.urls")),
    path("verification/", include("jiuzhu.verification.urls")),
    path("payments/", include("jiuzhu.monitoring.urls")),  # reviews and stops keep their /payments/ paths
    path("monitoring/", include("jiuzhu.monitoring.urls_discovery")),  # 政策找人: warnings, rules, grid tasks
    path("payments/", include((payments_urls.urlpatterns + funds_urls.reserve_urlpatterns, "payments"))),
    path("funds/", include("jiuzhu.funds.urls")),
    path("", include("jiuzhu.complaints.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
