// Headless SVG of a Vega-Lite spec: compile → Vega View (renderer 'none') → toSVG.
// No DOM and no browser; text widths come from vega's canvas-less estimate,
// so the SVG is for a quick look, the HTML report is the interactive one.
import { compile, type TopLevelSpec } from 'vega-lite';
import { parse, View } from 'vega';

/** The chart as a standalone SVG document string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vg = compile(spec).spec;
  const view = new View(parse(vg), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
