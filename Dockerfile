# cloudsweep as a container: `docker run --rm -e AWS_... cloudsweep scan --regions us-east-1`.
# Two stages: wheels are built against the pinned constraints, the runtime image gets only what runs.

FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY scanner ./scanner
COPY checks ./checks
RUN pip wheel --no-cache-dir --wheel-dir /wheels --constraint constraints.txt .

FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
COPY --from=build /wheels /wheels
COPY constraints.txt /tmp/constraints.txt
RUN pip install --no-cache-dir --no-index --find-links /wheels --constraint /tmp/constraints.txt cloudsweep \
    && rm -rf /wheels /tmp/constraints.txt \
    && useradd --system --uid 10001 --home-dir /home/cloudsweep --create-home cloudsweep
USER cloudsweep
WORKDIR /home/cloudsweep
ENTRYPOINT ["cloudsweep"]
CMD ["--help"]
