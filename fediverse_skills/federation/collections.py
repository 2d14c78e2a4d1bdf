"""Paged OrderedCollections (pages are 1-based: ``?page=1``)."""

from __future__ import annotations

from typing import Any

from .media import AS_CONTEXT


def ordered_collection(uri: str, total: int) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": uri,
        "type": "OrderedCollection",
        "totalItems": total,
    }
    if total:
        doc["first"] = f"{uri}?page=1"
    return doc


def ordered_page(
    uri: str, page: int, items: list[Any], total: int, page_size: int
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": f"{uri}?page={page}",
        "type": "OrderedCollectionPage",
        "partOf": uri,
        "totalItems": total,
        "orderedItems": items,
    }
    if page > 1:
        doc["prev"] = f"{uri}?page={page - 1}"
    if page * page_size < total:
        doc["next"] = f"{uri}?page={page + 1}"
    return doc
