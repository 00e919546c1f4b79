from django.urls import path

from . import views

app_name = "disclosure"

urlpatterns = [
    path("", views.home, name="home"),
    path("status/", views.status, name="status"),
    path("gongshi/", views.gongshi_index, name="gongshi_index"),
    path("gongshi/<str:village_code>/", views.gongshi, name="gongshi"),
    path("gongshi/<str:village_code>/sheet.pdf", views.gongshi_pdf, name="gongshi_pdf"),
    path("policy/", views.policy_home, name="policy_home"),
    path("policy/<str:county_code>/", views.policy_county, name="policy"),
    path("policy/<str:county_code>/<str:code>/", views.policy_program, name="program"),
    path("policy/<str:county_code>/<str:code>/mingbaizhi.pdf", views.mingbaizhi_pdf, name="mingbaizhi"),
]
