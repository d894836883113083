# cloudsweep as a container: `docker run --rm -e AWS_... cloudsweep scan --regions us-east-1`.
# The same image is a Lambda container image with the runtime interface client it carries (the `lambda` extra):
#   docker run --entrypoint python IMAGE -m awslambdaric scanner.lambda_handler.handler
# (on Lambda: image config ENTRYPOINT ["python", "-m", "awslambdaric"], CMD ["scanner.lambda_handler.handler"]).
#
# Two stages: the build stage installs cloudsweep and exactly the versions pinned in constraints.txt into a virtualenv
# (every pinned dependency has a manylinux wheel for cp312 on x86_64 and aarch64, so nothing is compiled); the runtime
# stage gets that virtualenv and nothing else of the build: no wheels, no sources, no pip cache.

FROM python:3.12-slim AS build
# The virtualenv first on PATH: `pip` below is its pip.
ENV PATH=/opt/cloudsweep/bin:$PATH \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN /usr/local/bin/python -m venv /opt/cloudsweep
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY scanner ./scanner
COPY checks ./checks
RUN pip install --no-cache-dir --constraint constraints.txt '.[lambda]'

FROM python:3.12-slim
ENV PATH=/opt/cloudsweep/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
RUN groupadd --system --gid 10001 cloudsweep \
    && useradd --system --uid 10001 --gid 10001 --home-dir /home/cloudsweep --create-home cloudsweep
# Same base image in both stages, so the virtualenv's interpreter link (/usr/local/bin/python3.12) holds.
# Owned by root and world-readable: the non-root user (and Lambda's own user) can run it but not change it.
COPY --from=build /opt/cloudsweep /opt/cloudsweep
USER 10001:10001
WORKDIR /home/cloudsweep
ENTRYPOINT ["cloudsweep"]
CMD ["--help"]
