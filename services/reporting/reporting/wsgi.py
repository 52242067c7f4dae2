"""gunicorn entry point: `gunicorn reporting.wsgi:app`."""
from .app import create_app

app = create_app()
