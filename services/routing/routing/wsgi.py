"""gunicorn entry point: `gunicorn routing.wsgi:app`."""
from .app import create_app

app = create_app()
