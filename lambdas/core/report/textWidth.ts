/**
 * Text widths for laying out charts without a canvas. Vega measures labels to place axes, legends and
 * titles and to truncate long labels; without node-canvas it falls back to 0.8 x font size per character,
 * about 40% wider than real sans-serif text, which truncates labels that would fit. This table holds the
 * advance widths of DejaVu Sans (the widest of the usual sans-serif system fonts, so the layout errs on
 * the roomy side on Windows and macOS fonts) at 100 px for the printable ASCII characters.
 */

// prettier-ignore
const REGULAR = [32,40,46,84,64,95,78,27,39,39,50,84,32,36,32,34,64,64,64,64,64,64,64,64,64,64,34,34,84,84,84,53,100,68,69,70,77,63,58,77,75,29,29,66,56,86,75,79,60,79,69,63,61,73,68,99,69,61,69,39,34,39,84,50,50,61,63,55,63,62,35,63,63,28,28,58,28,97,63,61,63,63,41,52,39,63,59,82,59,59,52,64,34,64,84];
// prettier-ignore
const BOLD = [35,46,52,84,70,100,87,31,46,46,52,84,38,42,38,37,70,70,70,70,70,70,70,70,70,70,40,40,84,84,84,58,100,77,76,73,83,68,68,82,84,37,37,77,64,100,84,85,73,85,77,72,68,81,77,110,77,72,73,46,37,46,84,50,50,67,72,59,72,68,44,72,71,34,34,67,34,104,71,69,72,72,49,60,48,71,65,92,65,65,58,71,37,71,84];
const OTHER: Record<string, number> = { '★': 90, '·': 35, '–': 50, '—': 100, '×': 84, '…': 100, '≥': 84, '≤': 84, '’': 35, '‘': 35, '“': 52, '”': 52, ' ': 32 };

/** Width in pixels of `text` at `fontSize` px; bold for weights of 600 and more. */
export function textWidth(text: string, fontSize = 11, fontWeight: string | number = 400): number {
  const bold = fontWeight === 'bold' || fontWeight === 'bolder' || Number(fontWeight) >= 600;
  const table = bold ? BOLD : REGULAR;
  let w = 0;
  for (const ch of text) {
    // accented letters measure like their base letter
    const code = ch.normalize('NFD').codePointAt(0)!;
    w += code >= 32 && code < 127 ? table[code - 32] : (OTHER[ch] ?? 64);
  }
  return (w * fontSize) / 100;
}

interface TextItem {
  fontSize?: number;
  fontWeight?: string | number;
}

/** A replacement for vega's textMetrics.width (vega supports user-defined width functions). */
export function vegaTextWidth(item: TextItem, text: unknown): number {
  const t = text == null ? '' : String(text).trim();
  if (!t) return 0;
  const size = item.fontSize != null ? +item.fontSize || 0 : 11;
  return textWidth(t, size, item.fontWeight ?? 400);
}
