#!/usr/bin/env python3
"""Validates JSON or YAML files against a JSON schema stored next to this script.

    validate.py devContainer.schema.json .devcontainer/scenario-01-single-server/devcontainer.json
    validate.py compose-spec.json docker-compose.base.yml scenario-01-single-server/docker-compose.yml

Python's jsonschema is the reference implementation of JSON Schema; Swift has no maintained equivalent.
Prints one line per problem and exits 1 when any file is invalid, 2 when the tools are missing.
"""
import json
import pathlib
import sys

try:
    import jsonschema
    import referencing
    import referencing.jsonschema
    import yaml
except ImportError as error:
    print(f"missing Python package ({error.name}): pip install jsonschema pyyaml", file=sys.stderr)
    sys.exit(2)

HERE = pathlib.Path(__file__).resolve().parent


def retrieve(uri: str) -> referencing.Resource:
    """Resolves a schema's references to the local copies (no network in tests)."""
    if uri.startswith("vscode://"):
        contents = {"type": "object"}  # VS Code's own settings schema: only VS Code resolves it
    else:
        contents = json.loads((HERE / uri.rsplit("/", 1)[-1]).read_text())
    return referencing.jsonschema.DRAFT7.create_resource(contents) if "$schema" not in contents \
        else referencing.Resource.from_contents(contents)


def load(path: pathlib.Path):
    text = path.read_text()
    # devcontainer.json may be JSON with comments; the lab's are plain JSON, so plain JSON is required.
    return yaml.safe_load(text) if path.suffix in (".yml", ".yaml") else json.loads(text)


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    schema_path = HERE / sys.argv[1]
    schema = json.loads(schema_path.read_text())
    registry = referencing.Registry(retrieve=retrieve)
    # Relative references ("./devContainer.base.schema.json") resolve against the schema's own address.
    base = referencing.Resource.from_contents(schema, default_specification=referencing.jsonschema.DRAFT7)
    registry = registry.with_resource(schema_path.as_uri(), base)
    validator_class = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    validator = validator_class({"$ref": schema_path.as_uri()}, registry=registry)
    failed = False
    for name in sys.argv[2:]:
        path = pathlib.Path(name)
        try:
            document = load(path)
        except (OSError, ValueError, yaml.YAMLError) as error:
            print(f"{name}: cannot read: {error}")
            failed = True
            continue
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        for error in errors:
            where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
            print(f"{name}: {where}: {error.message[:300]}")
        failed = failed or bool(errors)
        if not errors:
            print(f"{name}: valid ({sys.argv[1]})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
