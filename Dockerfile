# The tenancy API server, started as `npm start` starts it: TypeScript through tsx, a 32 MiB young generation (README).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# The fix to postgres.js that npm ci applies (patch-package, README: dependencies).
COPY patches ./patches
# argon2 builds its native addon from source (its prebuilt binary is not safe on Node 20).
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && npm ci --omit=dev --no-audit --no-fund \
  && apt-get purge -y python3 make g++ && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
COPY tsconfig.json ./
COPY src ./src
COPY bin ./bin
COPY master-migrations ./master-migrations
COPY tenant-migrations ./tenant-migrations
USER node
EXPOSE 3000
CMD ["node", "--max-semi-space-size=32", "--import", "tsx", "src/server.ts"]
