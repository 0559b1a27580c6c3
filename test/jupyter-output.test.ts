// Display bundles for notebooks: HTML tables escape what they show and say
// what they left out; charts carry the Vega-Lite MIME type.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml, tableOutput, vegaLiteOutput, VEGA_LITE_MIME } from '../src/index.ts';

test('tableOutput escapes cells and headings, and counts the rows it leaves out', () => {
  const rows = Array.from({ length: 7 }, (_, i) => ({ pkg: `<script>alert(${i})</script>`, 'a&b': i * 1000 }));
  const out = tableOutput(rows, { limit: 3, caption: 'x < y' });
  const html = out['text/html'] as string;
  assert.doesNotMatch(html, /<script>/);
  assert.equal(html.match(/<tr>/g)!.length, 5, 'header, 3 rows, footer');
  assert.ok(html.includes(`>${escapeHtml('a&b')}</th>`) && !html.includes('>a&b<'));
  assert.match(html, /4 more rows not shown/);
  assert.ok(html.includes(`<caption>${escapeHtml('x < y')}</caption>`));
  assert.match(html, />2,000</);
  const text = (out['text/plain'] as string).split('\n');
  assert.equal(text.length, 1 + 3 + 1);
});

test('vegaLiteOutput takes a spec or a chart object and names it in the text fallback', () => {
  const spec = { title: { text: 'Where did the build wait?' }, mark: 'bar', data: { values: [] } };
  for (const x of [spec, { name: 'timeline', spec }]) {
    const out = vegaLiteOutput(x);
    assert.equal(out[VEGA_LITE_MIME], spec);
    assert.equal(out['text/plain'], '[Vega-Lite chart: Where did the build wait?]');
  }
});
