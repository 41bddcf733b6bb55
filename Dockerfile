# The clientsync worker, for docker-compose.yml (`docker compose up --scale worker=3`).
# Build stage: everything, to compile the TypeScript.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm ci --no-audit --no-fund && npm run build

# Runtime dependencies only; better-sqlite3's native module is the one install script they need.
FROM node:20-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm rebuild better-sqlite3

FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
# The workflow bundle is built from the compiled workflows at start; run as the image's unprivileged user.
USER node
ENTRYPOINT ["node", "--max-old-space-size=192", "bin/clientsync.js"]
CMD ["worker"]
