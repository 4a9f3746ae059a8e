"""Strawberry GraphQL: types, queries, mutations and loaders per feature; the schema."""
