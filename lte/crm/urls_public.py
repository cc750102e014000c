"""The CRM's one page without a login: the private calendar feed, at its secret URL."""

from django.urls import path

from lte.crm.views import calendar

urlpatterns = [
    path("calendar/<str:token>.ics", calendar.calendar_feed, name="calendar-feed"),
]
