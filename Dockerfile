# The image of the api and worker services in docker-compose.yml.
FROM python:3.11-slim
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir /app
ENV GRAPHCDP_API_HOST=0.0.0.0
CMD ["graphcdp", "api"]
