"""The Article record's JSON Schema, generated from ``feedscrub.models.Article``.

    python -m feedscrub.schema > docs/article.schema.json

A test checks that the committed file equals this output and that docs/schema.md documents every
field, so the contract with downstream teams cannot drift silently.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter

from feedscrub.models import SCHEMA_VERSION, Article


def article_json_schema() -> dict[str, Any]:
    schema = TypeAdapter(Article).json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://feedscrub.example/schema/article-v{SCHEMA_VERSION}.json"
    schema["title"] = "feedscrub Article"
    return schema


def article_to_json(article: Article) -> dict[str, Any]:
    """An Article as the JSON object the schema describes (dates as ISO 8601 strings)."""
    return TypeAdapter(Article).dump_python(article, mode="json")


def main() -> None:
    print(json.dumps(article_json_schema(), indent=2, ensure_ascii=False, sort_keys=True))


if __name__ == "__main__":
    main()
