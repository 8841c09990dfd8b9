/**
 * `validate`'s reports in the formats CI systems show best: GitHub Actions workflow commands
 * (one annotation per problem) and JUnit XML (one test case per file). Pure: results in, text
 * out; everything taken from a file (paths, messages) is escaped for its format.
 */
import type { ValidationResult } from "../../session/mod.ts";

/** The escapes of a workflow command's message (GitHub's `escapeData`). */
function escapeData(text: string): string {
  return text.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
}

/** The escapes of a workflow command's property value (`escapeProperty`): also `:` and `,`. */
function escapeProperty(text: string): string {
  return escapeData(text).replaceAll(":", "%3A").replaceAll(",", "%2C");
}

function where(e: { line: number | null; offset: number | null }): string {
  if (e.line === null) return "";
  return e.offset === null ? `line ${e.line}: ` : `line ${e.line} (byte ${e.offset}): `;
}

/**
 * GitHub Actions annotations: `::error file=PATH,line=N,title=...::message` per error,
 * `::warning` per warning, then the summary line as plain text.
 */
export function githubReport(results: readonly ValidationResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    const file = `file=${escapeProperty(r.path)}`;
    for (const e of r.errors) {
      const line = e.line === null ? "" : `,line=${e.line}`;
      const title = `,title=${escapeProperty("rollout validate")}`;
      out.push(`::error ${file}${line}${title}::${escapeData(`${where(e)}${e.message}`)}`);
    }
    for (const w of r.warnings) {
      out.push(`::warning ${file},title=${escapeProperty("rollout validate")}::${escapeData(w)}`);
    }
  }
  out.push(summary(results));
  return `${out.join("\n")}\n`;
}

/** `N files: X valid, Y invalid`, as the text report ends. */
export function summary(results: readonly ValidationResult[]): string {
  const invalid = results.filter((r) => !r.ok).length;
  const files = `${results.length} file${results.length === 1 ? "" : "s"}`;
  return `${files}: ${results.length - invalid} valid, ${invalid} invalid`;
}

// XML 1.0 allows tab, newline and carriage return below U+0020, nothing of U+FFFE/U+FFFF, and
// no lone surrogates.
const NOT_XML =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Text as XML character data or an attribute value: entities escaped, characters XML cannot
 * hold replaced by U+FFFD.
 */
export function escapeXml(text: string): string {
  return text.replace(NOT_XML, "\ufffd")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&apos;")
    .replaceAll("\n", "&#10;")
    .replaceAll("\r", "&#13;")
    .replaceAll("\t", "&#9;");
}

/**
 * JUnit XML: one suite, one test case per file (named by its path), a `<failure>` listing
 * every error with its line and byte offset, warnings in `<system-out>`.
 */
export function junitReport(results: readonly ValidationResult[], seconds: number): string {
  const failures = results.filter((r) => !r.ok).length;
  const head = `tests="${results.length}" failures="${failures}" errors="0" skipped="0" time="${
    seconds.toFixed(3)
  }"`;
  const cases = results.map((r) => {
    const name = escapeXml(r.path);
    const what = r.format === null ? "" : ` (${r.format}, ${r.items} items)`;
    const parts = [
      `    <testcase classname="rollout.validate" name="${name}" file="${name}" time="0">`,
    ];
    if (!r.ok) {
      const first = r.errors[0];
      const message = first === undefined ? "invalid" : `${where(first)}${first.message}`;
      const body = r.errors.map((e) => `${where(e)}${e.message}`).join("\n");
      parts.push(
        `      <failure message="${escapeXml(message)}" type="invalid_rollout">${
          escapeXml(`${r.path}${what}\n${body}`)
        }</failure>`,
      );
    }
    if (r.warnings.length > 0) {
      parts.push(`      <system-out>${escapeXml(r.warnings.join("\n"))}</system-out>`);
    }
    parts.push("    </testcase>");
    return parts.join("\n");
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="rollout validate" ${head}>`,
    `  <testsuite name="rollout validate" ${head}>`,
    ...cases,
    "  </testsuite>",
    "</testsuites>",
    "",
  ].join("\n");
}
