# Aushang: one board per container, data in the /data volume.
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
COPY pyproject.toml README.md ./
COPY federation ./federation
COPY noticeboard ./noticeboard
COPY templates ./templates
COPY static ./static
COPY locales ./locales
COPY instances ./instances
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh

RUN pip install --no-cache-dir -e . \
 && useradd --system --uid 10001 --home-dir /data aushang \
 && mkdir -p /data && chown aushang /data

USER aushang
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"

ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["serve"]
