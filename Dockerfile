# The mock and its contract suite in one image.
#   docker run -p 4010:4010 IMAGE                       the mock on port 4010 (any `discard-mock serve` option after IMAGE)
#   docker run IMAGE contract --base-url URL ...        the contract suite: the CI gate as one step
# Build:   docker build -t discard-mock .   (dependencies from the package index, or, when wheels/ holds
# wheels, from those alone: container/wheels.sh builds them on a host that reaches the index)
# Layers change in this order, least often first: Debian's packages, the dependencies (only when their
# list in pyproject.toml changes), the project's own files (every commit: a layer of a few hundred KB).
ARG BASE=debian:bookworm-slim

# Debian's Python 3.11 and tini (PID 1: forwards SIGTERM, reaps the suite's subprocesses). Shared by every stage.
FROM ${BASE} AS python
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 tini \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*

# The runtime dependencies' names, alone: the dependency layer below is reused until this list changes.
FROM python AS requirements
COPY pyproject.toml /tmp/
RUN python3 -c 'import tomllib; print("\n".join(tomllib.load(open("/tmp/pyproject.toml", "rb"))["project"]["dependencies"]))' \
    > /requirements.txt

# venv and pip exist in the build stages only.
FROM python AS installer
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-venv \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore

# Where packages come from: wheels/ alone when it holds wheels (pip.conf, build stages only), else the index.
FROM installer AS dependencies
COPY wheels/ /wheels/
RUN if ls /wheels/*.whl >/dev/null 2>&1; then printf '[global]\nno-index = true\nfind-links = /wheels\n' >/etc/pip.conf; fi
COPY --from=requirements /requirements.txt /tmp/
RUN python3 -m venv /opt/discard-mock && /opt/discard-mock/bin/pip install -r /tmp/requirements.txt

# The project, built from its source, staged under /staging so that only its own files reach the image.
FROM dependencies AS project
COPY pyproject.toml README.md /src/
COPY openapi /src/openapi
COPY discard_contract /src/discard_contract
COPY mock_server /src/mock_server
COPY contract_tests /src/contract_tests
RUN /opt/discard-mock/bin/pip install --no-deps --no-compile --no-warn-script-location --root /staging /src \
 && /opt/discard-mock/bin/python -m compileall -q -s /staging -p / /staging/opt/discard-mock/lib

# The dependencies without the installer (pip and setuptools serve no purpose at run time).
FROM dependencies AS runtime-dependencies
RUN /opt/discard-mock/bin/pip uninstall -y -q pip setuptools

FROM python
RUN groupadd --system --gid 10001 mock \
 && useradd --system --uid 10001 --gid mock --create-home --home-dir /home/mock --shell /usr/sbin/nologin mock
COPY --from=runtime-dependencies /opt/discard-mock /opt/discard-mock
COPY container/entrypoint.sh /usr/local/bin/discard-entrypoint
COPY container/healthcheck.py /usr/local/lib/discard-healthcheck.py
COPY --from=project /staging/ /
ENV PATH=/opt/discard-mock/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
USER 10001:10001
WORKDIR /home/mock
# A gate step starts in a fresh container, where Hypothesis would first build the Unicode tables the suite's
# generators need, in .hypothesis under the working directory: about 2 s of every run. The suite's own
# collection builds them here once (a gate run with another working directory builds its own, as before).
RUN python -m pytest --pyargs contract_tests -p no:cacheprovider --collect-only -q >/dev/null
EXPOSE 4010
# Podman keeps a HEALTHCHECK only when it builds with --format docker.
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD ["python3", "/usr/local/lib/discard-healthcheck.py"]
ENTRYPOINT ["tini", "--", "discard-entrypoint"]
CMD ["serve"]
