from django.urls import path

from . import views

urlpatterns = [
    path("", views.hello),
    path("login/", views.login),
    path("session/", views.session_read),
    path("submit/", views.submit),
]
