#!/usr/bin/env python3
"""Validates sample commands (JSON lines on stdin, from kemas_command_samples) against
schemas/commands/envelope.schema.json and the per-type payload schemas it refers to, with
Debian's python3-jsonschema (Draft 2020-12). Every command the codecs accept must validate;
every refused one marked schema_refuses must not. Exits 1 naming each disagreement.

usage: kemas_command_samples | check_command_schemas.py SCHEMA_DIR
"""
import json
import pathlib
import sys

import jsonschema


def main() -> int:
    folder = pathlib.Path(sys.argv[1])
    schemas = {}
    for path in sorted(folder.glob("*.schema.json")):
        schema = json.loads(path.read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        schemas[schema["$id"]] = schema
    envelope = json.loads((folder / "envelope.schema.json").read_text())
    resolver = jsonschema.RefResolver.from_schema(envelope, store=schemas)
    validator = jsonschema.Draft202012Validator(
        envelope, resolver=resolver, format_checker=jsonschema.FormatChecker())

    problems = []
    checked = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        sample = json.loads(line)
        errors = sorted(validator.iter_errors(sample["command"]), key=str)
        checked += 1
        if sample["codec_accepts"] and errors:
            problems.append(f"{sample['name']}: the codec writes it, the schema refuses it: "
                            f"{errors[0].message}")
        if not sample["codec_accepts"] and sample["schema_refuses"] and not errors:
            problems.append(f"{sample['name']}: the codec refuses it, the schema accepts it")
    # Every type has a schema, and the envelope names each.
    types = envelope["properties"]["type"]["enum"]
    for name in types:
        if not (folder / f"{name}.schema.json").exists():
            problems.append(f"type {name}: schemas/commands/{name}.schema.json is missing")
    if checked == 0:
        problems.append("no samples on stdin")
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{checked} samples checked against {len(schemas)} schemas; {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
