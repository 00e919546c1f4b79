from django.urls import path

from . import views, views_apply, views_staff

app_name = "portal"

urlpatterns = [
    path("", views.home_view, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("display/", views.display_view, name="display"),
    path("applications/<int:pk>/", views.case_view, name="case"),
    path("notices/<int:pk>/", views.notice_view, name="notice"),
    path("notices/<int:pk>/download/", views.notice_download, name="notice_download"),
    path("apply/", views_apply.apply_new, name="apply_new"),
    path("apply/<int:pk>/", views_apply.apply_detail, name="apply_detail"),
    path("sign/<str:token>/", views_apply.sign_view, name="sign"),
]

staff_urlpatterns = [
    path("", views_staff.online_queue, name="queue"),
    path("<int:pk>/accept/", views_staff.online_accept, name="accept"),
]
