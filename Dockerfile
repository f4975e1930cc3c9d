# The Atende image used by docker-compose.yml. UNTESTED: the development machines have no Docker.
FROM python:3.11-slim-bookworm
WORKDIR /opt/atende
# The CPU build of torch first: the default wheel pulls gigabytes of CUDA libraries.
RUN pip install --no-cache-dir "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu
COPY pyproject.toml README.md ./
COPY atende atende
COPY connectors connectors
COPY dialog dialog
COPY classifier classifier
COPY kb_search kb_search
COPY ticket_core ticket_core
COPY models models
COPY kb kb
RUN pip install --no-cache-dir . && useradd --system --home /var/lib/atende atende \
    && mkdir -p /var/lib/atende && chown atende /var/lib/atende
USER atende
# Installed (not editable), the package cannot find the shipped model and articles next to it: name them.
ENV ATENDE_DATA_DIR=/var/lib/atende ATENDE_HTTP_HOST=0.0.0.0 \
    ATENDE_MODEL_DIR=/opt/atende/models/classifier ATENDE_KB_DIR=/opt/atende/kb
EXPOSE 8080
CMD ["atende", "serve"]
