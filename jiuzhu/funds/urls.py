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
