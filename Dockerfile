# Aushang: one board per container, data in the /data volume.
# The first stage builds the wheels (Aushang's and its dependencies'); the image itself installs
# them and holds neither the source tree nor what was needed to build.
FROM python:3.11-slim AS build

WORKDIR /src
COPY pyproject.toml README.md ./
COPY federation ./federation
COPY noticeboard ./noticeboard
COPY templates ./templates
COPY static ./static
COPY locales ./locales
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    AUSHANG_INSTANCE=/app/instances/nordstadt.toml \
    AUSHANG_DATA_DIR=/data

# WeasyPrint draws the posters and the weekly sheet with Pango; DejaVu for text, Symbola for the
# kinds' symbols in black and white.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
    libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-symbola \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index /wheels/*.whl \
 && useradd --system --uid 10001 --home-dir /data aushang \
 && mkdir -p /data && chown aushang /data
COPY instances ./instances
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh

USER aushang
VOLUME ["/data"]
EXPOSE 8000
# /healthz answers 200 with {"status": "ok"} while the database answers (and reports the
# delivery backlog and the last backup); anything else marks the container unhealthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD python -c "import json,sys,urllib.request; r=urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4); sys.exit(json.load(r).get('status') != 'ok')"

ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["serve"]
