# One image for every wangge process: the five web services (gunicorn), their outbox relays and Kafka
# consumers, the migrations and the topic setup. docker-compose.yml picks the process with `command:`.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# A fixed uid/gid, so volumes, secrets and Kubernetes' runAsNonRoot can refer to it by number.
RUN groupadd --system --gid 10001 wangge \
 && useradd --system --uid 10001 --gid wangge --create-home --home-dir /home/wangge --shell /usr/sbin/nologin wangge

WORKDIR /app

# Third-party dependencies first: this layer is rebuilt only when the lock file changes.
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock

COPY libs/ libs/
COPY services/ services/
# Editable installs keep the code at /app, where Alembic finds each service's migrations beside its package.
# Compile the bytecode now: at run time the code is read-only for the unprivileged user.
RUN pip install --no-cache-dir --no-deps \
        -e libs/common \
        -e services/roster \
        -e services/intake \
        -e services/routing \
        -e services/notify \
        -e services/reporting \
 && python -m compileall -q libs services

# The only places the app writes to: WANGGE_VAR_DIR's default (/app/var, for the SQLite fallback) and the
# Prometheus multi-process directory (compose mounts a fresh tmpfs over it on every start).
RUN mkdir -p /app/var /tmp/prom \
 && chown wangge:wangge /app/var /tmp/prom

USER 10001:10001

CMD ["wangge", "--help"]
