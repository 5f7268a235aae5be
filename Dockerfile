# The network's services (orchestrator with its registration authority, seed directory) as a
# container image: the `pnode` CLI, headless. See docs/RUN-A-NETWORK.md and compose.yaml.
#   docker build -t pnode .
#   docker run --rm pnode --help
# Build stage: install, build the CLI bundle (dist/pnode.js), keep only production dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /src
# cbor-extract (and keytar, which a server does not use) build native code.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
ENV ELECTRON_SKIP_BINARY_DOWNLOAD=1
RUN npm ci --ignore-scripts && npm rebuild cbor-extract
COPY . .
RUN node scripts/build-node.mjs && npm prune --omit=dev --ignore-scripts

# Run stage: node, the bundle and its runtime dependencies; no compilers, no shell tools beyond the base.
FROM node:20-bookworm-slim
WORKDIR /opt/pnode
COPY --from=build /src/package.json ./
COPY --from=build /src/bin ./bin
COPY --from=build /src/dist/pnode.js ./dist/pnode.js
COPY --from=build /src/node_modules ./node_modules
# State (identity, keys, logs) lives in /var/lib/pnode: mount a volume there. No keychain in a
# container: keys are 0600 files in that volume (--keystore file), so back the volume up.
RUN mkdir -p /var/lib/pnode && chown node:node /var/lib/pnode
USER node
VOLUME ["/var/lib/pnode"]
ENTRYPOINT ["node", "/opt/pnode/bin/pnode.js"]
CMD ["--help"]
