# syntax=docker/dockerfile:1
# The production image of every wangge process: the web services (gunicorn), their outbox relays, Kafka
# consumers and schedulers, the migrations and the topic setup. docker-compose.yml and deploy/k8s pick the
# process with the command. Two stages: `build` installs the pinned runtime packages (wheels only: nothing is
# compiled, and the image carries no compiler) and the wangge packages into a virtualenv; `runtime` copies that
# virtualenv and the code onto a fresh base. No test tools, no Playwright, no development broker: those are in
# requirements-dev.lock, which this file never reads. Estimated size: see README.md ("Production").
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

RUN python -m venv /opt/venv

WORKDIR /app

# Third-party packages first: this layer is rebuilt only when the runtime lock changes.
COPY requirements-runtime.lock ./
RUN pip install --no-cache-dir --only-binary=:all: -r requirements-runtime.lock

# .dockerignore keeps tests, benchmarks and local state out of the context.
COPY libs/ libs/
COPY services/ services/
# Every package under services/ (roster, intake, routing, notify, reporting, portal), editable so the code stays at
# /app, where Alembic finds each service's migrations beside its package. Bytecode is compiled now: at run time
# the code is read-only for the unprivileged user.
RUN printf -- '-e %s\n' libs/common services/*/ > /tmp/wangge-packages.txt \
 && pip install --no-cache-dir --no-deps -r /tmp/wangge-packages.txt \
 && python -m compileall -q libs services


FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="wangge" \
      org.opencontainers.image.description="wangge (网格): deputies in the grids, every service and process"

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

# A fixed uid/gid, so volumes, secrets and Kubernetes' runAsUser/fsGroup can refer to it by number.
RUN groupadd --system --gid 10001 wangge \
 && useradd --system --uid 10001 --gid wangge --create-home --home-dir /home/wangge --shell /usr/sbin/nologin wangge

COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
# The health check of relays, consumers and schedulers (and of the web services, for one command everywhere).
COPY deploy/healthcheck.py /app/deploy/healthcheck.py

WORKDIR /app

# The only places the app writes to: WANGGE_VAR_DIR's default (/app/var, for the SQLite fallback), the Prometheus
# multi-process directory of gunicorn's workers (/app/prom; compose and Kubernetes mount a fresh tmpfs over it on
# every start, as over /tmp) and /tmp. Everything else can be mounted read-only.
RUN mkdir -p /app/var /app/prom \
 && chown wangge:wangge /app/var /app/prom

USER 10001:10001

# 8000: a web service (gunicorn); 9100: /metrics of a relay, consumer or scheduler (WANGGE_<SERVICE>_METRICS_PORT).
EXPOSE 8000 9100

CMD ["wangge", "--help"]
