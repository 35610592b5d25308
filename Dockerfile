# One image for every Switchboard process: `switchboard router`, `switchboard subgraph NAME`,
# `switchboard migrate NAME`, `switchboard bank`. Built from the locked dependencies (uv.lock).
#   docker build -t switchboard:latest .
FROM python:3.11-slim AS build
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
RUN pip install --no-cache-dir uv==0.13.8
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY router router
COPY schema schema
COPY subgraphs subgraphs
COPY switchboard switchboard
COPY sandbox sandbox
RUN uv sync --frozen --no-dev \
    && .venv/bin/python -m compileall -q router schema subgraphs switchboard sandbox

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /app switchboard \
    && mkdir -p /app/data && chown 10001 /app/data
WORKDIR /app
COPY --from=build /app /app
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1
USER 10001
# 4000: the router's API; 9464: its Prometheus metrics; 4001-4004: the subgraphs.
EXPOSE 4000 9464 4001 4002 4003 4004
ENTRYPOINT ["switchboard"]
CMD ["router", "--config", "/etc/switchboard/router.yaml"]
