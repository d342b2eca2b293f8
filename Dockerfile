FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY eventstore ./eventstore
COPY projections ./projections
COPY api ./api
COPY audit ./audit
RUN pip install --no-cache-dir .
# Run as an unprivileged user; /keys (the compose file's signing-key volume) and var/ (the SQLite default) are its own.
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home registry \
    && mkdir -p /keys /app/var && chown registry:registry /keys /app/var
USER registry
ENV REGISTRY_HOST=0.0.0.0
EXPOSE 8000
CMD ["registry", "serve", "--host", "0.0.0.0"]
