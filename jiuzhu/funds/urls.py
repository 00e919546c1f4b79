from django.urls import path

from . import views

app_name = "funds"
urlpatterns = [
    path("", views.home, name="home"),
    path("lines/", views.lines, name="lines"),
    path("lines/<int:pk>/", views.line_view, name="line"),
    path("forecast/", views.forecast, name="forecast"),
    path("sources/", views.sources, name="sources"),
    path("powers/", views.powers, name="powers"),
    path("plans/", views.plans, name="plans"),
    path("plans/<int:pk>/", views.plan_view, name="plan"),
    path("incentives/", views.incentives, name="incentives"),
    path("contracts/", views.contracts, name="contracts"),
    path("charity/", views.charity, name="charity"),
    path("charity/<int:pk>/", views.account_view, name="account"),
]

# The towns' reserve funds (备用金) keep their addresses and names under /payments/ (payments:reserves
# …): ``jiuzhu/urls.py`` adds these to the payments namespace.
reserve_urlpatterns = [
    path("reserves/", views.reserves, name="reserves"),
    path("reserves/open/", views.reserve_open, name="reserve_open"),
    path("reserves/<int:pk>/", views.reserve_view, name="reserve"),
    path("reserves/<int:pk>/top-up/", views.reserve_top_up, name="reserve_top_up"),
    path("reserves/<int:pk>/entries.xlsx", views.reserve_export, name="reserve_export"),
]
