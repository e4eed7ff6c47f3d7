# One image for the API and the worker; docker-compose.yml picks the entry point.
FROM node:24-slim
WORKDIR /app
COPY . .
RUN npm install --no-audit --no-fund && npm run build:console
ENV NODE_ENV=production HOST=0.0.0.0
EXPOSE 3000
CMD ["node", "--import", "tsx", "apps/api/src/main.ts"]
