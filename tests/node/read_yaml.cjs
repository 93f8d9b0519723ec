// Reads each YAML file named on the command line with js-yaml, yaml (version 2) and yaml-js (Dredd's
// parser), and prints one JSON object per file: {"js-yaml": {"document"|"error"}, "yaml": {...}, ...}.
// The Python test compares those documents with PyYAML's, so every parser must read the same data.
"use strict";
const fs = require("fs");
const jsYaml = require("js-yaml");
const yaml = require("yaml");
const yamlJs = require("yaml-js");

const parsers = {
  "js-yaml": (text) => jsYaml.load(text),
  yaml: (text) => yaml.parse(text),
  "yaml-js": (text) => yamlJs.load(text),
};

const results = {};
for (const path of process.argv.slice(2)) {
  const text = fs.readFileSync(path, "utf8");
  results[path] = {};
  for (const [name, load] of Object.entries(parsers)) {
    try {
      results[path][name] = { document: load(text) };
    } catch (error) {
      results[path][name] = { error: String(error).split("\n").join(" ") };
    }
  }
}
process.stdout.write(JSON.stringify(results));
