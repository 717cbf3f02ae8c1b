"""The management API's OpenAPI 3.1 document, built from the same pydantic models the
endpoints answer with, so it cannot drift from them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

__all__ = ["Operation", "Query", "document"]

REF = "#/components/schemas/{model}"


@dataclass(frozen=True, slots=True)
class Query:
    name: str
    description: str
    enum: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str  # under the API's prefix
    summary: str
    response: type[BaseModel]
    query: tuple[Query, ...] = ()
    also_csv: bool = False


def document(operations: tuple[Operation, ...], *, prefix: str, version: str, error: type[BaseModel]) -> dict[str, Any]:
    schemas: dict[str, Any] = {}

    def ref(model: type[BaseModel]) -> dict[str, str]:
        schema = model.model_json_schema(ref_template=REF)
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
        return {"$ref": REF.format(model=model.__name__)}

    failure = {"content": {"application/json": {"schema": ref(error)}}}
    paths: dict[str, Any] = {}
    for operation in operations:
        content: dict[str, Any] = {"application/json": {"schema": ref(operation.response)}}
        if operation.also_csv:
            content["text/csv"] = {"schema": {"type": "string"}}
        parameters = [
            {
                "name": q.name,
                "in": "query",
                "required": False,
                "description": q.description,
                "schema": {"type": "string", **({"enum": list(q.enum)} if q.enum else {})},
            }
            for q in operation.query
        ]
        paths.setdefault(prefix + operation.path, {})[operation.method.lower()] = {
            "summary": operation.summary,
            "parameters": parameters,
            "responses": {
                "200": {"description": "OK", "content": content},
                "400": {"description": "A parameter is wrong; the message says which.", **failure},
                "401": {"description": "Missing or wrong management key.", **failure},
                "403": {"description": "Not a loopback client and allow-remote is off.", **failure},
            },
            "security": [{"bearer": []}],
        }
    return {
        "openapi": "3.1.0",
        "info": {"title": "llm-gateway management API", "version": version},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "remote-management.secret-key"}
            },
        },
    }
