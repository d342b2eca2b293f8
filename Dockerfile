FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY eventstore ./eventstore
COPY projections ./projections
COPY api ./api
COPY audit ./audit
RUN pip install --no-cache-dir .
ENV REGISTRY_HOST=0.0.0.0
EXPOSE 8000
CMD ["registry", "serve", "--host", "0.0.0.0"]
