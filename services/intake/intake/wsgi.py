"""gunicorn entry point: `gunicorn intake.wsgi:app`."""
from .app import create_app

app = create_app()
