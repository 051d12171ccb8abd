#!/usr/bin/env python3
"""The benchmark's Django project: run by bench/run.mjs and bench/ws-echo.mjs under gunicorn and daphne."""
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
