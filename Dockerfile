# pledge: one image for the operator (`pledge operator`) and the API (`pledge serve`).
# Build: docker build -t pledge:0.1.0 .   (the Helm chart's image.repository/tag point at it)
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY pledge ./pledge
RUN python -m venv /venv \
 && /venv/bin/pip install --no-cache-dir --upgrade pip \
 && /venv/bin/pip install --no-cache-dir '.[operator]'

FROM python:3.11-slim
# Non-root, numeric (runAsNonRoot can verify it); the chart mounts an emptyDir at /tmp and keeps
# the root file system read-only.
RUN groupadd --gid 10001 pledge && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin pledge
COPY --from=build /venv /venv
ENV PATH=/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["pledge"]
CMD ["operator", "--standalone", "--all-namespaces"]
