"""Validates packaging/vcpkg/ports/joule/vcpkg.json against vcpkg-port-manifest.schema.json (the
fields vcpkg's documentation gives for vcpkg.json; see the schema's $comment), and first shows that
the schema is not toothless: manifests with known mistakes must be rejected.

    python check_vcpkg_manifest.py SCHEMA MANIFEST
"""
import copy
import json
import sys

import jsonschema


def strict_json(path):
    """vcpkg reads manifests as strict JSON: no comments, no trailing commas, no duplicate keys."""

    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise ValueError(f"{path}: duplicate keys {duplicates}")
        return dict(pairs)

    with open(path, encoding="utf-8") as f:
        return json.load(f, object_pairs_hook=no_duplicates)


def errors(validator, manifest):
    return sorted(validator.iter_errors(manifest), key=lambda e: list(e.absolute_path))


def mistakes(manifest):
    """(what, manifest with that mistake) pairs the schema must reject."""

    def changed(edit):
        m = copy.deepcopy(manifest)
        edit(m)
        return m

    yield "upper-case name", changed(lambda m: m.update(name="Joule"))
    yield "reserved name", changed(lambda m: m.update(name="core"))
    yield "no version field", changed(lambda m: m.pop("version"))
    yield "two version fields", changed(lambda m: m.update({"version-semver": "0.1.0"}))
    yield "version with a port-version suffix", changed(lambda m: m.update(version="0.1.0#1"))
    yield "negative port-version", changed(lambda m: m.update({"port-version": -1}))
    yield "misspelt field", changed(lambda m: m.update(dependancies=m["dependencies"]))
    yield "host given as a string", changed(lambda m: m["dependencies"].append({"name": "zlib", "host": "true"}))
    yield "dependency object without a name", changed(lambda m: m["dependencies"].append({"host": True}))
    yield "feature without a description", changed(lambda m: m.update(features={"openmp": {}}))


def main(schema_path, manifest_path):
    schema = strict_json(schema_path)
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    manifest = strict_json(manifest_path)

    failed = False
    for what, bad in mistakes(manifest):
        if not errors(validator, bad):
            print(f"schema self-test: a manifest with a {what} was accepted")
            failed = True
    found = errors(validator, manifest)
    for e in found:
        print(f"{manifest_path}: {'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}")
    if failed or found:
        return 1
    print(f"{manifest_path}: valid against {schema_path} (and the schema rejected all {len(list(mistakes(manifest)))} known mistakes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
