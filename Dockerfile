# One image for every process: the bot, the workers and the queue dashboard differ only in their
# command (see docker-compose.yml). TypeScript runs through tsx, so there is no build step.
FROM node:20-slim

WORKDIR /app
ENV NODE_ENV=production

# Dependencies first, so code changes do not reinstall them. .npmrc skips onnxruntime-node's
# optional CUDA download; the CPU binaries ship inside the npm package, as do @napi-rs/canvas's.
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY . .
# Downloaded checkpoints and books go to models/cache (a volume in docker-compose.yml).
RUN mkdir -p models/cache && chown -R node:node models/cache
USER node

CMD ["node", "--import", "tsx", "src/bot.ts"]
