import { describe, expect, it } from "vitest";
import { checkManifestDepth, MAX_VALUE_DEPTH } from "../cel/values.js";
import { DEFAULT_INPUT_LIMITS } from "../limits/limits.js";
import { parseManifests, resourcesFromObjects } from "./parse.js";
import { containersOf, podSpecOf } from "./workload.js";

describe("parseManifests", () => {
  it("keeps file, first line and document index; skips empty documents; unpacks Lists", () => {
    const text = `# leading comment
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: shop}
---
---
apiVersion: v1
kind: List
items:
  - {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}
  - {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}
--- # trailing
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
`;
    const { resources, diagnostics } = parseManifests(text, "k8s/app.yaml");
    expect(diagnostics).toEqual([]);
    expect(resources.map((r) => [r.ref.name, r.ref.source?.line, r.ref.source?.document])).toEqual([
      // the document's first line, not the `---` before it
      ["a", 3, 0],
      ["b", 8, 1],
      ["c", 8, 1],
      ["d", 14, 2],
    ]);
    expect(resources[0]!.ref.namespace).toBe("shop");
    expect(resources[3]!.ref.namespace).toBeUndefined();
  });

  it("points at a document's first non-blank line (a leading comment included), and at content after ---", () => {
    const text =
      "# web\n\napiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\n\n# Source: chart/b.yaml\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\n--- {apiVersion: v1, kind: Pod, metadata: {name: c}}\n...\n# after the end marker\napiVersion: v1\nkind: Pod\nmetadata: {name: d}\n";
    const { resources, diagnostics } = parseManifests(text, "m.yaml");
    expect(diagnostics).toEqual([]);
    expect(resources.map((r) => [r.ref.name, r.ref.source?.line])).toEqual([
      ["a", 1],
      ["b", 8],
      ["c", 12],
      ["d", 14],
    ]);
  });

  it("reports a syntax error with its line and keeps the other documents", () => {
    const text =
      "apiVersion: v1\nkind: Pod\nmetadata: {name: ok}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: [broken\n";
    const { resources, diagnostics } = parseManifests(text, "m.yaml");
    expect(resources).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ code: "yaml-syntax", file: "m.yaml" });
    expect(diagnostics[0]!.line).toBeGreaterThanOrEqual(8);
  });

  it("refuses a key given twice in one mapping, naming its line, rather than keeping the last value", () => {
    // privileged: true, then false: the last value was checked while another reader may take the first
    const text =
      "apiVersion: v1\nkind: Pod\nmetadata: {name: ok}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: twice}\n" +
      "spec:\n  containers:\n    - name: a\n      securityContext:\n        privileged: true\n        privileged: false\n";
    const { resources, diagnostics } = parseManifests(text, "m.yaml");
    expect(resources.map((r) => r.ref.name)).toEqual(["ok"]);
    expect(diagnostics).toEqual([
      expect.objectContaining({
        code: "yaml-syntax",
        file: "m.yaml",
        line: 13,
        message: expect.stringMatching(/duplicated mapping key/),
      }),
    ]);
    // the same key in two mappings is no repetition
    const fine = parseManifests(
      "apiVersion: v1\nkind: Pod\nmetadata: {name: a, labels: {name: a}}\n",
      "f.yaml",
    );
    expect(fine.diagnostics).toEqual([]);
  });

  it("refuses a JSON manifest with a key given twice in one object, naming its line", () => {
    const text =
      '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "twice"},\n' +
      ' "spec": {"containers": [{"name": "a", "securityContext": {"privileged": true,\n' +
      '   "privileged": false}}]}}\n';
    const { resources, diagnostics } = parseManifests(text, "m.json");
    expect(resources).toEqual([]);
    expect(diagnostics).toEqual([
      expect.objectContaining({
        code: "yaml-syntax",
        file: "m.json",
        line: 3,
        column: 4,
        message: expect.stringMatching(/duplicated key "privileged"/),
      }),
    ]);
    // a key written with an escape is the same key
    const escaped = parseManifests('{"apiVersion": "v1", "kind": "Pod", "kin\\u0064": "Pod"}', "e.json");
    expect(escaped.diagnostics).toEqual([
      expect.objectContaining({ line: 1, message: expect.stringMatching(/"kind"/) }),
    ]);
    // the same key in two objects, or in an array's objects, or a key's text as a value, is no repetition
    const fine = parseManifests(
      '[{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "labels": {"name": "a"}}},' +
        ' {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "kind", "x": ["kind", {"kind": 1}]}}]',
      "f.json",
    );
    expect(fine.diagnostics).toEqual([]);
    expect(fine.resources).toHaveLength(2);
  });

  it("keeps timestamps and odd scalars as text, reads YAML 1.1 words as kubectl does, and __proto__ as data", () => {
    const { resources } = parseManifests(
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, creationTimestamp: 2024-01-01T00:00:00Z}\ndata: {"__proto__": "p", a: =, b: yes}\n',
      "c.yaml",
    );
    const object = resources[0]!.object as {
      metadata: Record<string, unknown>;
      data: Record<string, unknown>;
    };
    expect(object.metadata.creationTimestamp).toBe("2024-01-01T00:00:00Z");
    expect(object.data.a).toBe("=");
    // kubectl's reader (go-yaml v2) takes `yes` for true; quoted, it stays text
    expect(object.data.b).toBe(true);
    expect(Object.hasOwn(object.data, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("reads JSON (one object or an array) and warns about non-objects", () => {
    expect(
      parseManifests('{"apiVersion":"v1","kind":"Pod","metadata":{"name":"j"}}', "p.json").resources,
    ).toHaveLength(1);
    const list = parseManifests('[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"j"}}, 3]', "p.json");
    expect(list.resources).toHaveLength(1);
    expect(list.diagnostics[0]).toMatchObject({ code: "not-an-object", severity: "warning" });
    expect(parseManifests("values: {a: 1}\n", "values.yaml").diagnostics[0]?.severity).toBe("warning");
  });

  it("skips celgate's own documents kept next to manifests, with a warning", () => {
    const { resources, diagnostics } = parseManifests(
      "apiVersion: celgate.dev/v1\nkind: PolicyException\nmetadata: {name: x}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\n",
      "k8s.yaml",
    );
    expect(resources.map((r) => r.ref.name)).toEqual(["p"]);
    expect(diagnostics[0]).toMatchObject({ code: "celgate-document", severity: "warning", line: 1 });
  });

  it("refuses binary input and input over the size limit", () => {
    expect(parseManifests("a\u0000b", "bin").diagnostics[0]!.code).toBe("binary-input");
    expect(parseManifests("x".repeat(100), "big.yaml", { maxBytes: 10 }).diagnostics[0]!.message).toContain(
      "limit of 10 bytes",
    );
  });

  it("turns a deeply nested document into an error, not a crash", () => {
    const deep = `${"[".repeat(20_000)}${"]".repeat(20_000)}`;
    const { diagnostics } = parseManifests(`a: ${deep}\n`, "deep.yaml");
    expect(diagnostics.length).toBeGreaterThan(0);
  });

  it("builds resources from request objects", () => {
    const { resources, diagnostics } = resourcesFromObjects([
      { apiVersion: "v1", kind: "Pod", metadata: { name: "p" } },
      "x",
    ]);
    expect(resources).toHaveLength(1);
    expect(diagnostics[0]!.path).toBe("[1]");
  });
});

describe("pod specs", () => {
  it("finds the pod spec of every workload kind and every container", () => {
    const spec = {
      containers: [{ name: "a" }],
      initContainers: [{ name: "i" }],
      ephemeralContainers: [{ name: "e" }],
    };
    const template = { template: { spec } };
    const kinds: [string, unknown][] = [
      ["Pod", spec],
      ["Deployment", template],
      ["StatefulSet", template],
      ["DaemonSet", template],
      ["ReplicaSet", template],
      ["ReplicationController", template],
      ["Job", template],
      ["CronJob", { jobTemplate: { spec: template } }],
    ];
    for (const [kind, s] of kinds) {
      const podSpec = podSpecOf({ kind, spec: s });
      expect(podSpec, kind).toBe(spec);
      expect(containersOf(podSpec).map((c) => c.name)).toEqual(["a", "i", "e"]);
    }
    expect(podSpecOf({ kind: "Service", spec: {} })).toBeNull();
  });
});

describe("parseManifests: unstorable text, whichever way the strings are checked", () => {
  const doc = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;
  const refusal = (text: string) => parseManifests(text, "u.yaml").diagnostics.map((d) => [d.code, d.path]);

  it("refuses a lone surrogate written in the text, in a value or a key, but not in a comment", () => {
    expect(refusal(doc('"a\ud800b"'))).toEqual([["input-unicode", "metadata.name"]]);
    // (a key's path names the key itself)
    expect(refusal(`${doc("a")}data:\n  "k\udc00": v\n`)).toEqual([["input-unicode", "data.k\udc00"]]);
    // a pair is valid Unicode, and a comment is no string
    expect(refusal(doc("a\ud83d\ude00"))).toEqual([]);
    expect(refusal(`# \ud800\n${doc("a")}`)).toEqual([]);
  });

  it("refuses NUL and lone surrogates written as escapes, in the document that has them", () => {
    const text = `${doc("a")}---\n${doc('"b\\0"')}---\n${doc("c")}`;
    expect(parseManifests(text, "u.yaml").diagnostics).toEqual([
      expect.objectContaining({ code: "input-nul", path: "metadata.name", line: 6 }),
    ]);
    expect(refusal(doc('"\\ud800"'))).toEqual([["input-unicode", "metadata.name"]]);
    expect(refusal(`${doc("a")}data:\n  "\\udc00": v\n`)).toEqual([["input-unicode", "data.\udc00"]]);
  });

  it("still refuses a long string and a long key", () => {
    const limits = {
      maxDepth: 128,
      maxAliases: 100,
      maxExpandedSize: 1 << 20,
      maxStringLength: 64,
      maxDocuments: 10,
    };
    const long = "x".repeat(65);
    expect(parseManifests(doc(long), "u.yaml", { limits }).diagnostics[0]).toMatchObject({
      code: "input-limit",
      path: "metadata.name",
    });
    expect(
      parseManifests(`${doc("a")}data:\n  ${long}: v\n`, "u.yaml", { limits }).diagnostics[0],
    ).toMatchObject({ code: "input-limit" });
  });
});

describe("parseManifests: depth", () => {
  const deep = (levels: number) => {
    const root: Record<string, unknown> = {};
    let at = root;
    for (let i = 0; i < levels; i++) at = at.a = {} as Record<string, unknown>;
    return root;
  };

  it("marks objects checked under limits at least as strict as CEL's, so evaluation does not walk them again", () => {
    const strict = parseManifests("apiVersion: v1\nkind: ConfigMap\ndata: {}\n", "d.yaml").resources[0]!
      .object;
    const loose = parseManifests("apiVersion: v1\nkind: ConfigMap\ndata: {}\n", "d.yaml", {
      limits: { ...DEFAULT_INPUT_LIMITS, maxDepth: MAX_VALUE_DEPTH + 1 },
    }).resources[0]!.object;
    // made deeper afterwards (which callers must not do): only the unmarked one is walked again
    strict.data = deep(MAX_VALUE_DEPTH + 5);
    loose.data = deep(MAX_VALUE_DEPTH + 5);
    expect(() => checkManifestDepth(strict)).not.toThrow();
    expect(() => checkManifestDepth(loose)).toThrow(/deeper than/);
  });

  it("a document as deep as the limit allows is within CEL's depth limit", () => {
    const limits = { ...DEFAULT_INPUT_LIMITS, maxDepth: MAX_VALUE_DEPTH };
    // `levels` maps nested, a scalar in the innermost
    const nest = (levels: number): unknown => {
      let value: unknown = 1;
      for (let i = 0; i < levels; i++) value = { a: value };
      return value;
    };
    const object = { apiVersion: "v1", kind: "ConfigMap", data: nest(MAX_VALUE_DEPTH - 1) };
    expect(parseManifests(JSON.stringify(object), "d.json", { limits }).diagnostics).toEqual([]);
    // what the mark stands for: the walk it saves would not throw
    expect(() => checkManifestDepth(JSON.parse(JSON.stringify(object)))).not.toThrow();
    const over = { ...object, data: nest(MAX_VALUE_DEPTH) };
    expect(parseManifests(JSON.stringify(over), "d.json", { limits }).diagnostics[0]).toMatchObject({
      code: "input-limit",
    });
    // one level more is over both limits
    expect(() => checkManifestDepth(JSON.parse(JSON.stringify(over)))).toThrow();
  });
});

describe("parseManifests: aliases", () => {
  const limits = { ...DEFAULT_INPUT_LIMITS, maxAliases: 2 };
  const pod = (spec: string) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n${spec}`;

  it("counts the aliases of a document that has an anchor, whatever else it holds", () => {
    const aliased = pod(`  a: &x {k: "*/5 * * * *"}\n  b: *x\n  c: *x\n  d: *x\n`);
    expect(parseManifests(aliased, "a.yaml", { limits }).diagnostics).toEqual([
      expect.objectContaining({ code: "input-limit", path: "spec.d", line: 1 }),
    ]);
    expect(parseManifests(aliased, "a.yaml").diagnostics).toEqual([]);
  });

  it("reads `*` without an anchor as text, and an alias without its anchor is refused by js-yaml", () => {
    const starred = pod(`  a: ["*", "*/5 * * * *"]\n  b: a*b\n  c: "&x"\n`);
    const parsed = parseManifests(starred, "s.yaml", { limits });
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.resources[0]?.object.spec).toEqual({ a: ["*", "*/5 * * * *"], b: "a*b", c: "&x" });
    // what lets a document without `&` go unchecked for aliases
    expect(parseManifests(pod(`  a: 1\n  b: *x\n`), "u.yaml").diagnostics).toEqual([
      expect.objectContaining({
        code: "yaml-syntax",
        message: expect.stringContaining("unidentified alias"),
      }),
    ]);
  });
});

describe("parseManifests: merge keys", () => {
  const pod = (spec: string) => `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n${spec}`;
  const spec = (text: string) => {
    const { resources, diagnostics } = parseManifests(text, "m.yaml");
    return { spec: resources[0]?.object.spec as Record<string, unknown> | undefined, diagnostics };
  };

  it("merges a plain `<<` as kubectl does: a privileged securityContext brought in by an anchor is seen", () => {
    const { spec: s, diagnostics } = spec(
      pod(
        `defaults: &priv\n  securityContext: {privileged: true}\nspec:\n  containers:\n    - name: app\n      image: x\n      <<: *priv\n`,
      ),
    );
    expect(diagnostics).toEqual([]);
    expect(s?.containers).toEqual([{ name: "app", image: "x", securityContext: { privileged: true } }]);
  });

  it("lets a key written after the `<<` override it, and earlier sources of a list win over later ones", () => {
    const { spec: s, diagnostics } = spec(
      pod(
        `spec:\n  containers:\n    - &c {name: a, image: x, securityContext: {privileged: true}}\n    - <<: *c\n      name: b\n      securityContext: {privileged: false}\n  template:\n    <<: [{a: 1, b: 1}, {a: 2, c: 2}]\n`,
      ),
    );
    expect(diagnostics).toEqual([]);
    expect((s?.containers as unknown[] | undefined)?.[1]).toEqual({
      name: "b",
      image: "x",
      securityContext: { privileged: false },
    });
    expect(s?.template).toEqual({ a: 1, b: 1, c: 2 });
  });

  it("refuses a key written before the `<<` that the merge gives too: readers disagree on which wins", () => {
    const { spec: s, diagnostics } = spec(
      pod(
        `x: &priv {securityContext: {privileged: true}}\nspec:\n  containers:\n    - name: b\n      securityContext: {privileged: false}\n      <<: *priv\n`,
      ),
    );
    expect(s).toBeUndefined();
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ code: "yaml-syntax", line: 1, path: "spec.containers[0]" });
    expect(diagnostics[0]!.message).toMatch(/merge key `<<` also gives "securityContext".*readers disagree/);
    // the same through a source's own merge (the anchor merges another one)
    const nested = spec(
      pod(`a: &a {hostPID: true}\nb: &b {<<: *a, x: 1}\nspec:\n  hostPID: false\n  <<: *b\n`),
    );
    expect(nested.diagnostics[0]).toMatchObject({ code: "yaml-syntax", path: "spec" });
    expect(nested.diagnostics[0]!.message).toMatch(/"hostPID"/);
  });

  it("refuses two `<<` keys in one mapping and an explicit merge tag, and keeps a quoted `<<` as a key", () => {
    expect(spec(pod(`spec:\n  <<: {a: 1}\n  <<: {b: 2}\n`)).diagnostics[0]).toMatchObject({
      code: "yaml-syntax",
      message: expect.stringMatching(/duplicated mapping key/),
    });
    for (const tag of ["!!merge", "!<tag:yaml.org,2002:merge>"]) {
      const tagged = spec(pod(`x: &d {hostPID: true}\nspec:\n  hostPID: false\n  ${tag} <<: *d\n`));
      expect(tagged.spec).toBeUndefined();
      expect(tagged.diagnostics[0]!.message).toMatch(/explicit merge tag/);
    }
    expect(spec(pod(`spec:\n  "<<": {a: 1}\n`)).spec).toEqual({ "<<": { a: 1 } });
  });

  it("refuses the merge tag however it is spelt and wherever it is written", () => {
    const refused = (text: string) => {
      const parsed = spec(text);
      expect(parsed.spec, text).toBeUndefined();
      expect(parsed.diagnostics, text).toEqual([
        expect.objectContaining({
          code: "yaml-syntax",
          message: expect.stringMatching(/explicit merge tag/),
        }),
      ]);
    };
    const tagged = (tag: string, directive = "") =>
      `${directive}apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nx: &d {hostPID: true}\nspec:\n  hostPID: false\n  ${tag} <<: *d\n`;
    // percent escapes, which js-yaml decodes: the tag's text never spells the word
    refused(tagged("!!m%65rge"));
    refused(tagged("!<tag:yaml.org,2002:m%65rge>"));
    // through a %TAG handle (a prefix may even split the word): the stream is split at `---`,
    // so the directive never reaches its document and the handle is an error of its own
    for (const [tag, directive] of [
      ["!e!merge", "%TAG !e! tag:yaml.org,2002:\n---\n"],
      ["!merge", "%TAG ! tag:yaml.org,2002:\n---\n"],
      ["!!merge", "%TAG !! tag:yaml.org,2002:\n---\n"],
      ["!m!ge", "%TAG !m! tag:yaml.org,2002:mer\n---\n"],
    ] as const) {
      const { resources, diagnostics } = parseManifests(tagged(tag, directive), "m.yaml");
      expect(resources, directive).toEqual([]);
      expect(diagnostics.length, directive).toBeGreaterThan(0);
      for (const d of diagnostics) expect(d.code).toBe("yaml-syntax");
    }
    // flow style, a key with no text (js-yaml merges it), a compact mapping in a sequence
    refused(pod(`x: &d {hostPID: true}\nspec: {hostPID: false, !!merge <<: *d}\n`));
    refused(pod(`x: &d {hostPID: true}\nspec: [{!<tag:yaml.org,2002:merge> <<: *d}]\n`));
    refused(pod(`x: &d {hostPID: true}\nspec:\n  !!merge : *d\n`));
    refused(pod(`x: &d {hostPID: true}\nspec:\n  - name: a\n    !!merge <<: *d\n`));
  });

  it("reads `!!merge` in a scalar's text, a comment or a key as text, not as a tag", () => {
    const text = pod(
      [
        `metadata:`,
        `  name: p`,
        `  annotations:`,
        `    note: "explains !!merge"`,
        `    verbatim: 'the tag !<tag:yaml.org,2002:merge> written out'`,
        `    plain: a !!merge b`,
        `    percent: "50% of !!merge"`,
        `    "!!merge": key`,
        `    block: |`,
        `      !!merge <<: *d`,
        `spec: {containers: [{name: "!!merge", image: x}]} # !!merge <<: *d`,
        ``,
      ].join("\n"),
    ).replace("metadata: {name: p}\n", "");
    const { resources, diagnostics } = parseManifests(text, "m.yaml");
    expect(diagnostics).toEqual([]);
    expect(resources[0]?.object.metadata).toEqual({
      name: "p",
      annotations: {
        note: "explains !!merge",
        verbatim: "the tag !<tag:yaml.org,2002:merge> written out",
        plain: "a !!merge b",
        percent: "50% of !!merge",
        "!!merge": "key",
        block: "!!merge <<: *d\n",
      },
    });
    expect(resources[0]?.object.spec).toEqual({ containers: [{ name: "!!merge", image: "x" }] });
    // a plain `<<` beside such text still merges, and a conflict is still refused
    const merged = spec(pod(`x: &d {hostPID: true}\nspec:\n  note: "!!merge"\n  <<: *d\n`));
    expect(merged).toEqual({ spec: { note: "!!merge", hostPID: true }, diagnostics: [] });
    const conflict = spec(
      pod(`x: &d {hostPID: true}\nspec:\n  note: "!!merge"\n  hostPID: false\n  <<: *d\n`),
    );
    expect(conflict.diagnostics[0]!.message).toMatch(/merge key `<<` also gives "hostPID"/);
  });

  it("reads merges through repeated aliases once each, within the alias limits (the test's timeout is the bound)", () => {
    let text = "a0: &a0 {k0: 0}\n";
    for (let i = 1; i <= 12; i++)
      text += `a${i}: &a${i} {<<: [*a${i - 1}, *a${i - 1}, *a${i - 1}], k${i}: ${i}}\n`;
    const { resources, diagnostics } = parseManifests(
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n${text}`,
      "m.yaml",
    );
    // within the limits it is read (each key once); past them, refused as an input limit
    if (diagnostics.length === 0) expect(Object.keys(resources[0]!.object.a12 as object)).toHaveLength(13);
    else expect(diagnostics[0]!.code).toBe("input-limit");
  });
});

describe("parseManifests: plain scalars as kubectl reads them", () => {
  it("sees `privileged: yes`, `hostNetwork: on` and `hostPID: y` as the true that kubectl sends", () => {
    const { resources, diagnostics } = parseManifests(
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: on\n  hostPID: y\n  containers:\n    - name: a\n      securityContext: {privileged: yes, runAsNonRoot: "yes"}\n',
      "p.yaml",
    );
    expect(diagnostics).toEqual([]);
    const spec = resources[0]!.object.spec as Record<string, unknown>;
    expect(spec.hostNetwork).toBe(true);
    expect(spec.hostPID).toBe(true);
    expect(spec.containers).toEqual([
      { name: "a", securityContext: { privileged: true, runAsNonRoot: "yes" } },
    ]);
  });

  it("reads octal, underscores and YAML 1.1 words alike on both readers, keys included", () => {
    const text =
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nmodes: [0644, 0o17, 08, 1_000, off, No]\nflow:\n  - 0644\n  - yes\n0755: octal key\non: word key\n";
    // the block form takes the fast path, the same text with an anchor js-yaml: the same value
    for (const doc of [text, `${text}anchored: &a x\n`]) {
      const object = parseManifests(doc, "c.yaml").resources[0]!.object as Record<string, unknown>;
      expect(object.modes).toEqual([420, 15, 8, 1000, false, false]);
      expect(object.flow).toEqual([420, true]);
      expect(object["493"]).toBe("octal key");
      expect(object.true).toBe("word key");
    }
  });
});

describe("parseManifests: lists as kubectl reads them", () => {
  const privileged = "spec: {containers: [{name: a, image: x, securityContext: {privileged: true}}]}";

  it("checks the items of any object with a list of items, as kubectl applies them, and the object too unless a list kind", () => {
    const { resources, diagnostics } = parseManifests(
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: innocent}\nitems:\n  - {apiVersion: v1, kind: Pod, metadata: {name: evil}, ${privileged}}\n`,
      "m.yaml",
    );
    expect(diagnostics).toEqual([]);
    // kubectl creates the Pod; a tool that deploys the object as it is creates the ConfigMap
    expect(resources.map((r) => [r.ref.kind, r.ref.name])).toEqual([
      ["ConfigMap", "innocent"],
      ["Pod", "evil"],
    ]);
    // objects the API server admits are never lists
    const admitted = resourcesFromObjects(
      [
        {
          apiVersion: "example.com/v1",
          kind: "AllowList",
          metadata: { name: "a" },
          items: [{ kind: "Pod" }],
        },
      ],
      "resources",
      { asAdmitted: true },
    );
    expect(admitted.resources.map((r) => [r.ref.kind, r.ref.name])).toEqual([["AllowList", "a"]]);
    // objects to deploy are read as manifests are
    expect(
      resourcesFromObjects([
        { apiVersion: "v1", kind: "PodList", items: [{ metadata: { name: "p" } }] },
      ]).resources.map((r) => r.ref.kind),
    ).toEqual(["Pod"]);
  });

  it("gives an item with neither kind nor apiVersion the list's kind without List and its apiVersion", () => {
    const { resources } = parseManifests(
      `apiVersion: v1\nkind: PodList\nitems:\n  - {metadata: {name: p}, ${privileged}}\n  - {kind: Service, apiVersion: v1, metadata: {name: s}}\n`,
      "m.yaml",
    );
    expect(resources.map((r) => [r.ref.apiVersion, r.ref.kind, r.ref.name])).toEqual([
      ["v1", "Pod", "p"],
      ["v1", "Service", "s"],
    ]);
    expect((resources[0]!.object.spec as { containers: unknown[] }).containers).toHaveLength(1);
    // a plain List names no kind for its items: one without a kind is still no object
    const plain = parseManifests("apiVersion: v1\nkind: List\nitems:\n  - {metadata: {name: p}}\n", "m.yaml");
    expect(plain.resources).toEqual([]);
    expect(plain.diagnostics[0]).toMatchObject({ code: "not-an-object", severity: "warning" });
  });

  it("unpacks lists within lists, and reads an object whose items are not a list as the object", () => {
    const nested = parseManifests(
      `apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: PodList\n    items: [{metadata: {name: deep}}]\n`,
      "m.yaml",
    );
    expect(nested.resources.map((r) => [r.ref.kind, r.ref.name])).toEqual([["Pod", "deep"]]);
    const odd = parseManifests(
      "apiVersion: example.com/v1\nkind: Basket\nmetadata: {name: b}\nitems: {a: 1}\n",
      "m.yaml",
    );
    expect(odd.resources.map((r) => r.ref.kind)).toEqual(["Basket"]);
  });
});
