// Escaping for everything a bundle can put into the report: package names,
// paths and argv are attacker-controlled text as far as the HTML goes.

/** Text or attribute value → HTML with `& < > " '` escaped. */
export function escapeHtml(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * JSON safe to inline in `<script type="application/json">`: `<` (so no
 * `</script>` or `<!--`), `>`, `&` and the JS line separators are \u-escaped.
 * JSON.parse reads it back unchanged.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
