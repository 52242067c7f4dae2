"""gunicorn entry point: `gunicorn notify.wsgi:app`."""
from .app import create_app

app = create_app()
