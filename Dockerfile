# One image for every process: `memory-movie telegram|discord|worker`. ffmpeg comes from the
# imageio-ffmpeg wheel and FFmpeg's libraries from PyAV's, so no system ffmpeg is installed.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# gcc for the renderer's small C extension (pipeline/render/_resample.c); only this stage has it
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY bots ./bots
COPY conversation ./conversation
COPY pipeline ./pipeline
COPY workers ./workers
RUN python -m venv /opt/venv && /opt/venv/bin/pip install .

FROM python:3.11-slim
# libgomp: OpenCV/numba threads; tini: PID 1 that forwards SIGTERM so workers re-queue cleanly
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 tini \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/venv /opt/venv
RUN useradd --create-home --uid 10001 movie && mkdir -p /data && chown movie /data
USER movie
ENV PATH=/opt/venv/bin:$PATH \
    MEMORY_MOVIE_HOME=/data \
    NUMBA_CACHE_DIR=/tmp/numba \
    LOG_FORMAT=json \
    PYTHONUNBUFFERED=1
VOLUME ["/data"]
ENTRYPOINT ["tini", "--", "memory-movie"]
CMD ["--help"]
