# The gateway image: one package, one console script; configuration by APIINONE_* variables.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir . && useradd --system --uid 10001 apiinone
USER apiinone
ENV APIINONE_DATA_DIR=/tmp/apiinone
EXPOSE 8000
CMD ["apiinone", "serve", "--host", "0.0.0.0", "--port", "8000"]
