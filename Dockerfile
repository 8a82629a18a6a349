# syntax=docker/dockerfile:1
# packybridge as a container: `docker run -p 8317:8317 -v ./config:/config -v ./data:/data packybridge`.
# Three stages: production dependencies, the TypeScript build, and a small runtime image (Debian slim, the
# compiled dist/ and production node_modules only, running as the unprivileged `node` user).
ARG NODE_IMAGE=node:24-bookworm-slim

# --- production dependencies only (no install scripts: every runtime dependency is plain JavaScript)
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# --- compile src/ to dist/ (dev dependencies without their optional platform binaries: only tsc is needed)
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --omit=optional --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- runtime
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    CODEX_HOME=/config/codex
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json config.example.yaml ./
COPY bin ./bin
# /config holds config.yaml (the gateway rewrites it atomically on management writes, so the folder, not
# only the file, must be writable); /data holds what the gateway keeps across restarts (usage database).
RUN mkdir -p /config /data && chown node:node /config /data
USER node
VOLUME ["/config", "/data"]
# The gateway runs in /config and finds ./config.yaml there; without one it still starts and explains what to
# configure (PACKYBRIDGE_CONFIG would insist on the file).
WORKDIR /config
EXPOSE 8317
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8317/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# 0.0.0.0: reachable through the published port. Set api-keys in config.yaml: without them anyone who can
# reach the port can use the gateway (it warns at start-up).
CMD ["node", "/app/bin/packybridge.js", "serve", "--host", "0.0.0.0", "--port", "8317"]
