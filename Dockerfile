# syntax=docker/dockerfile:1
#
# source-asana as an Airbyte connector image.
#
#   docker build -t source-asana/source-asana:1.1.1 .
#   docker run --rm source-asana/source-asana:1.1.1 spec
#   docker run --rm -v "$PWD/secrets:/secrets" source-asana/source-asana:1.1.1 check --config /secrets/config.json
#
# Airbyte's image rules (docs/platform/understanding-airbyte/airbyte-protocol-docker.md):
# - ENV AIRBYTE_ENTRYPOINT equals the ENTRYPOINT joined by spaces, with absolute paths (the
#   platform runs the connector with its working directory set to /source);
# - a non-root user named airbyte, and a /airbyte directory it owns and can write to;
# - the labels io.airbyte.name / io.airbyte.version equal metadata.yaml's dockerRepository /
#   dockerImageTag (checked by test/acceptance/packaging.test.ts, together with the rules above);
# - amd64 or multi-arch: node:20-slim is multi-arch, so `docker buildx build --platform
#   linux/amd64,linux/arm64` works as is.

# --- build: compile the TypeScript, then drop the dev dependencies ----------------------------
FROM node:20-slim AS build
WORKDIR /build
# Dependencies first, so that a source change does not re-run `npm ci`.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json manifest.yaml ./
COPY schemas ./schemas
COPY src ./src
COPY scripts ./scripts
COPY integration_tests ./integration_tests
RUN npm run build && npm prune --omit=dev

# --- runtime: node, the compiled code, the manifest, the schemas, production dependencies -----
FROM node:20-slim

LABEL io.airbyte.name=source-asana/source-asana
LABEL io.airbyte.version=1.1.1
LABEL org.opencontainers.image.title="source-asana" \
      org.opencontainers.image.description="Asana source for Airbyte (declarative manifest, TypeScript runtime)" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="https://github.com/source-asana/source-asana"

ENV NODE_ENV=production

# The user airbyte takes over the base image's `node` account, so it keeps uid/gid 1000, the ids
# Airbyte's own images run as. /airbyte is its home and is writable; the code under
# /airbyte/integration_code is copied as root and stays read-only for the connector.
RUN groupmod --new-name airbyte node \
    && usermod --login airbyte --home /airbyte node \
    && mkdir -p /airbyte/integration_code \
    && chown -R airbyte:airbyte /airbyte

WORKDIR /airbyte/integration_code
COPY --from=build /build/package.json ./package.json
COPY --from=build /build/node_modules ./node_modules
COPY --from=build /build/dist ./dist
COPY --from=build /build/manifest.yaml ./manifest.yaml
COPY --from=build /build/schemas ./schemas

USER airbyte

ENV AIRBYTE_ENTRYPOINT="/usr/local/bin/node /airbyte/integration_code/dist/src/cli/airbyte.js"
ENTRYPOINT ["/usr/local/bin/node", "/airbyte/integration_code/dist/src/cli/airbyte.js"]
