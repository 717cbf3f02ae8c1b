"""The management API's OpenAPI 3.1 document, built from the same pydantic models the
endpoints answer with, so it cannot drift from them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

__all__ = ["Operation", "Query", "document"]

REF = "#/components/schemas/{model}"
PATH_PARAMETER = re.compile(r"\{(\w+)\}")


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
    body: type[BaseModel] | None = None
    status: int = 200
    # A streamed answer's media type (its lines are documented by the summary, not a schema).
    stream: str | None = None


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
        content: dict[str, Any] = (
            {operation.stream: {"schema": {"type": "string"}}}
            if operation.stream
            else {"application/json": {"schema": ref(operation.response)}}
        )
        if operation.also_csv:
            content["text/csv"] = {"schema": {"type": "string"}}
        parameters: list[dict[str, Any]] = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in PATH_PARAMETER.findall(operation.path)
        ]
        parameters += [
            {
                "name": q.name,
                "in": "query",
                "required": False,
                "description": q.description,
                "schema": {"type": "string", **({"enum": list(q.enum)} if q.enum else {})},
            }
            for q in operation.query
        ]
        responses: dict[str, Any] = {
            str(operation.status): {"description": "OK", "content": content},
            "400": {"description": "A parameter is wrong; the message says which.", **failure},
            "401": {"description": "Missing or wrong management key.", **failure},
            "403": {"description": "Not a loopback client and allow-remote is off.", **failure},
        }
        if "{" in operation.path:
            responses["404"] = {"description": "No such id; the message says where to list them.", **failure}
        if operation.method != "GET":
            responses["409"] = {"description": "A guard refuses the change; the message says why.", **failure}
            responses["503"] = {"description": "The store's database is not open.", **failure}
        entry: dict[str, Any] = {
            "summary": operation.summary,
            "parameters": parameters,
            "responses": responses,
            "security": [{"bearer": []}],
        }
        if operation.body is not None:
            entry["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(operation.body)}}}
            responses["422"] = {"description": "The body is invalid; the message names the field.", **failure}
        paths.setdefault(prefix + operation.path, {})[operation.method.lower()] = entry
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
