# mcpgw in front of an MCP server from npm, in the shape of the
# Supergateway + nginx workflow (see README.md, "Container").
#
#   podman build --format docker -t mcpgw \
#       --build-arg NPM_MCP=@modelcontextprotocol/server-filesystem .
#   export ACCESS_TOKEN=$(podman run --rm mcpgw keygen)
#   podman run -e ACCESS_TOKEN -e NPM_MCP_ARGS=/data \
#       -p 127.0.0.1:8000:8000 mcpgw
#
# Build arguments name the base image, versions and the defaults of the
# workflow's variables, never a secret: those are given at run time.
# BASE_IMAGE may be any Debian 12 image with Node.js
# in /usr/local/bin, as the node images have it.

ARG NODE_VERSION=22
ARG BASE_IMAGE=node:${NODE_VERSION}-bookworm-slim

# --- build: the same script CI runs ------------------------------------
FROM ${BASE_IMAGE} AS build
WORKDIR /src
COPY . .
# The runtime needs the Debian packages that hold the libraries the
# binary links, and only those: ask the binary, not a second list.
RUN sh scripts/setup.sh \
 && mkdir -p /out \
 && install -s -m 0755 build/mcpgw /out/mcpgw \
 && ldd build/mcpgw | awk '$3 ~ /^\// { print $3 }' \
    | while read -r lib; do dpkg -S "*/${lib##*/}"; done \
    | cut -d: -f1 | sort -u > /out/runtime-packages \
 && test -s /out/runtime-packages

# --- runtime -----------------------------------------------------------
FROM ${BASE_IMAGE}

# The MCP server installed into the image. `npx --no` runs only what is
# installed; for a package fetched at each start, run the image with
# --stdio "npx -y PKG ARGS" (the sandbox leaves the network open).
# The others are the defaults of the variables of the same name, as the
# workflow's build script passes them; each can be set again at run time.
ARG NPM_MCP=
ARG NPM_MCP_VERSION=latest
ARG NPM_MCP_ARGS=
ARG SUPERGATEWAY_EXTRA_ARGS=

COPY --from=build /out/runtime-packages /usr/local/share/mcpgw/
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends $(cat /usr/local/share/mcpgw/runtime-packages) \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 10001 --user-group --no-create-home --home-dir /data \
    --shell /usr/sbin/nologin mcpgw \
 && mkdir -p /data && chown mcpgw:mcpgw /data && chmod 0750 /data
RUN if [ -n "$NPM_MCP" ]; then \
        npm install -g --no-audit --no-fund --loglevel=error \
            "$NPM_MCP@$NPM_MCP_VERSION" && npm cache clean --force; \
    fi \
 && npm config set --global update-notifier false
COPY --from=build /out/mcpgw /usr/local/bin/mcpgw

# mcpgw reads these itself (no shell in front of it): without --stdio it
# runs `npx --no $NPM_MCP $NPM_MCP_ARGS`, and SUPERGATEWAY_EXTRA_ARGS adds
# flags. All interfaces, so it refuses to start without ACCESS_TOKEN
# (or MCPGW_ALLOW_UNAUTHENTICATED=true). The MCP server is sandboxed and
# may write /data only; MCPGW_SANDBOX=false turns that off.
ENV NPM_MCP=${NPM_MCP} \
    NPM_MCP_ARGS=${NPM_MCP_ARGS} \
    SUPERGATEWAY_EXTRA_ARGS=${SUPERGATEWAY_EXTRA_ARGS} \
    MCPGW_HOST=0.0.0.0 \
    MCPGW_PORT=8000 \
    MCPGW_SANDBOX=strict \
    MCPGW_ALLOW_WRITE=/data

USER mcpgw
WORKDIR /data
VOLUME /data
EXPOSE 8000
# mcpgw is PID 1: it reaps orphans and stops cleanly on SIGTERM.
ENTRYPOINT ["mcpgw"]
# With no URL, the probe asks /readyz where MCPGW_* and
# SUPERGATEWAY_EXTRA_ARGS say the gateway listens.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["mcpgw", "probe"]
