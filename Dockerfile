# syntax=docker/dockerfile:1
# fediverse-skills: multi-stage build, runs as a non-root user.
#   docker build -t fediverse-skills .
#   docker run -p 8000:8000 -e FEDSKILLS_BASE_URL=https://skills.example.org \
#              -v skills-data:/var/lib/fediverse-skills fediverse-skills

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY fediverse_skills ./fediverse_skills
COPY migrations ./migrations
RUN /opt/venv/bin/pip install . \
 && /opt/venv/bin/fediverse-skills --version

FROM python:3.11-slim
RUN groupadd --system --gid 10001 skills \
 && useradd --system --uid 10001 --gid skills --home-dir /var/lib/fediverse-skills \
            --create-home --shell /usr/sbin/nologin skills
COPY --from=build /opt/venv /opt/venv
# MALLOC_ARENA_MAX: glibc's per-thread malloc arenas (aiosqlite runs a thread per connection)
# made resident memory climb for the first minutes of `make soak`; two arenas halve that.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    MALLOC_ARENA_MAX=2 \
    FEDSKILLS_HOST=0.0.0.0 \
    FEDSKILLS_PORT=8000 \
    FEDSKILLS_DATA_DIR=/var/lib/fediverse-skills
USER skills
WORKDIR /var/lib/fediverse-skills
VOLUME ["/var/lib/fediverse-skills"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('FEDSKILLS_PORT', '8000'), timeout=4)"]
CMD ["fediverse-skills", "serve"]
