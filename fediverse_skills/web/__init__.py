"""Starlette: parse the request, call one service, render the result. No business rules here."""
