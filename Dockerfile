# The gateway image: the server and client distributions, one console script; configuration by
# APIINONE_* variables.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml setup.py README.md ./
COPY clients/python ./clients/python
COPY src ./src
RUN pip install --no-cache-dir ./clients/python . && useradd --system --uid 10001 apiinone
USER apiinone
ENV APIINONE_DATA_DIR=/tmp/apiinone
EXPOSE 8000
CMD ["apiinone", "serve", "--host", "0.0.0.0", "--port", "8000"]
