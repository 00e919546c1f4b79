"""Pages of 动态管理, mounted under ``/payments/`` beside payments' own (the paths are the ones
staff bookmarks and outside links use). ``cases/<pk>/<name>/`` here takes only the benefit
decisions; payments keeps the other case actions (``recover``)."""

from django.urls import path, re_path

from . import views

app_name = "monitoring"
urlpatterns = [
    re_path(r"^cases/(?P<pk>[0-9]+)/(?P<name>change|stop|suspend|resume)/$", views.case_action, name="case_action"),
    path("reviews/", views.reviews, name="reviews"),
    path("reviews/schedule/", views.reviews_schedule, name="reviews_schedule"),
    path("reviews/<int:pk>/", views.review_view, name="review"),
    path("reviews/<int:pk>/<str:name>/", views.review_action, name="review_action"),
]

# Oversight: life events from department data (DYN-7, LNK-11) and staff conduct (DIS-10).
from . import views_oversight  # noqa: E402

urlpatterns += [
    path("life-events/", views_oversight.life_events, name="life_events"),
    path("conduct/", views_oversight.conduct, name="conduct"),
]

# 抽查 of the towns' decisions (SUP-5).
from . import views_spot_checks as spot  # noqa: E402

urlpatterns += [
    path("spot-checks/", spot.spot_check_list, name="spot_checks"),
    path("spot-checks/<int:pk>/", spot.spot_check_view, name="spot_check"),
    path("spot-checks/<int:pk>/export.xlsx", spot.spot_check_export, name="spot_check_export"),
    path("spot-checks/<int:pk>/close/", spot.spot_check_close, name="spot_check_close"),
    path("spot-checks/<int:pk>/items/<int:item_pk>/<str:name>/", spot.spot_check_item, name="spot_check_item"),
]
