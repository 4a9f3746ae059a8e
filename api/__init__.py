"""The Starlette application: tracking API, GraphQL, health; the one composition root."""
