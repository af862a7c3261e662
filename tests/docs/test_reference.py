"""The reference pages' generators: every setting described, every type named."""

from pathlib import Path

import pytest
from docsite import api_reference, settings_reference

from encore.config import Settings


def test_every_setting_has_a_description() -> None:
    assert settings_reference.undescribed() == []


def test_the_settings_table_has_a_row_per_setting() -> None:
    rows = [line for line in settings_reference.render().splitlines() if line.startswith("| `")]
    assert len(rows) == len(Settings.model_fields)
    assert any("`ENCORE_DATA`" in row and "`./var`" in row for row in rows)
    assert any("`ENCORE_EVENT_LOG`" in row and "one of `sqlite`, `nats`" in row for row in rows)


def test_a_settings_type_without_a_name_stops_the_build() -> None:
    with pytest.raises(TypeError, match="no documentation name"):
        settings_reference.type_text(complex)


def test_the_http_reference_links_every_schema_it_names() -> None:
    document = {
        "info": {"title": "T", "version": "1"},
        "paths": {
            "/things/{id}": {
                "get": {
                    "operationId": "get_thing",
                    "tags": ["things"],
                    "summary": "Get a thing",
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "maxLength": 22},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "OK",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Thing"}
                                }
                            },
                        }
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "Thing": {
                    "type": "object",
                    "required": ["id"],
                    "properties": {
                        "id": {"type": "string"},
                        "tags": {"type": "array", "items": {"type": "string"}},
                    },
                }
            }
        },
    }
    page = api_reference.render(document)
    assert "### `GET /things/{id}` {#get-thing}" in page
    assert "| `id` | path | string | yes | length ≤ 22 |" in page
    assert "[Thing](#schema-thing)" in page
    assert "### Thing {#schema-thing}" in page
    assert "| `tags` | array of string | no |" in page
    assert "| `/problems/not-licensed` | 451 |" in page


def test_the_reference_pages_carry_their_markers() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "reference"
    assert "<!-- generated: settings -->" in (docs / "configuration.md").read_text()
    assert "<!-- generated: http-api -->" in (docs / "http-api.md").read_text()
