from django.urls import path

from . import views

app_name = "referrals"
urlpatterns = [
    path("referrals/", views.inbox, name="inbox"),
    path("referrals/board/", views.board_view, name="board"),
    path("referrals/checks/", views.checks_view, name="checks"),
    path("referrals/records/", views.import_view, name="import"),
    path("referrals/<int:pk>/", views.detail, name="detail"),
    path("referrals/<int:pk>/actions/<str:name>/", views.act, name="act"),
    path("referrals/<int:pk>/transfer.pdf", views.transfer_pdf, name="transfer_pdf"),
    path("households/<int:household_id>/refer/", views.create, name="create"),
    path("households/<int:household_id>/lists/", views.household_lists, name="lists"),
    path("households/<int:household_id>/lists.pdf", views.household_lists_pdf, name="lists_pdf"),
    path("households/<int:household_id>/visits/", views.visit_create, name="visit_create"),
]
