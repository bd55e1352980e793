# A fedcommons node: `docker run -v fedcommons:/data -p 8080:8080 IMAGE` after
# `docker run -v fedcommons:/data IMAGE init --url https://your.host` once.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FEDCOMMONS_HOME=/data/home

RUN useradd --system --create-home --uid 10001 fedcommons \
    && mkdir -p /data && chown fedcommons /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY fedcommons ./fedcommons
COPY vocab ./vocab
RUN pip install --no-cache-dir . && rm -rf /root/.cache

USER fedcommons
VOLUME ["/data"]
EXPOSE 8080

HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/health', timeout=4).status == 200 else 1)"

ENTRYPOINT ["fedcommons"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
