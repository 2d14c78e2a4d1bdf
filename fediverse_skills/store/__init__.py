"""Persistence: tables, queries and durable queues. The only package that imports SQLAlchemy."""
