/** Segment cards for marketing: one card per segment, in plain words, readable without any data science. */
import { RunSummary } from '../model/summary';
import { ChartDef, segmentColor, shareAxis } from './chartKit';
import { esc, fmt } from './format';
import { figure, metric, section } from './html';
import { PageContext } from './pageContext';
import { keyFeatures, segmentChart } from './segmentStory';

export async function cardsPage(ctx: PageContext): Promise<string> {
  const s = ctx.input.summary;
  const stories = s.segments.map((_, i) => keyFeatures(s, i));
  const defs = s.segments.map((_, i) => segmentChart(s, i, stories[i]));
  const rendered = await ctx.renderAll([sharesChart(s), ...defs]);

  const cards = s.segments.map((g, i) => {
    const keys = stories[i];
    const chart = rendered.get(defs[i].id)!;
    return `<article class="card" style="--seg:${segmentColor(g.id)}" data-segment="${g.id}" aria-labelledby="seg-${g.id}-name">
<p class="seg-id">Segment <strong data-segment-id>${g.id}</strong></p>
<h2 id="seg-${g.id}-name" data-segment-name>${esc(g.name)}</h2>
<div class="size"><span><strong>${metric('summary', `segments.${i}.size`, g.size, fmt.int(g.size))}</strong> customers · <strong>${metric('summary', `segments.${i}.share`, g.share, fmt.pct(g.share))}</strong> of all</span><span class="bar" aria-hidden="true"><span style="width:${Math.max(1, Math.round(g.share * 100))}%"></span></span></div>
<p class="who">${esc(g.description)}</p>
<h3>What sets them apart</h3>
<ul>${keys
      .map(
        (k) =>
          `<li>${esc(k.sentence)}.<span hidden>${metric('summary', k.segmentPath, k.segment, String(k.segment))}${metric('summary', k.allPath, k.all, String(k.all))}</span></li>`,
      )
      .join('')}</ul>
${figure(chart)}
<h3>What to do</h3>
<p class="action" data-action>${esc(g.action)}</p>
<p class="get-list" data-campaign-list>Their list: <code>npx segments query --segment ${g.id}</code> (highest spend first; <code>--json</code> for programs), or the rows with <code>segment_id</code> ${g.id} in <code>assignments.csv</code> beside the model.</p>
</article>`;
  });

  const overview = section(
    'overview',
    `${s.k} groups of customers`,
    `${figure(rendered.get('segment-shares')!)}`,
    `We grouped ${esc(fmt.int(s.customers))} customers who received at least one order into ${s.k} groups of people who behave alike: how much and how often they buy, how recently, how happy they were and how their deliveries went. Each card compares a group with the average customer and says what to do with it.`,
  );
  const glossary = section(
    'how-to-read',
    'How to read the cards',
    `<ul>
<li><strong>Typical customer</strong>: the customer in the middle (half spend more, half less). Used for spend, where a few very large orders would distort an average.</li>
<li><strong>Average customer</strong>: the mean over all ${esc(fmt.int(s.customers))} customers, for everything else.</li>
<li><strong>Late delivery</strong>: delivered after the day the customer was promised.</li>
<li>Groups are recomputed on every run from the latest data; names and actions follow fixed rules on the numbers, so a group keeps its name as long as it behaves the same way.</li>
</ul>`,
  );
  return ctx.page({
    file: 'segment-cards.html',
    title: 'Customer segments',
    lead: `Who our customers are, in ${s.k} groups, and what marketing should do with each. Data as of ${esc(fmt.date(s.asOf))}.`,
    body: [overview, `<div class="cards">${cards.join('\n')}</div>`, glossary].join('\n'),
  });
}

function sharesChart(s: RunSummary): ChartDef {
  return {
    id: 'segment-shares',
    title: 'How big is each group?',
    subtitle: 'Share of all customers',
    description: `Horizontal bar chart of the share of customers in each group: ${s.segments.map((g) => `${g.name} ${fmt.pct(g.share)}`).join(', ')}.`,
    size: 'full',
    data: s.segments.map((g) => ({ segment: g.name, id: g.id, share: Math.round(g.share * 1e5) / 1e5, customers: g.size, label: `${fmt.pct(g.share)} · ${fmt.int(g.size)} customers` })),
    spec: {
      width: 520,
      height: { step: 26 },
      encoding: {
        y: { field: 'segment', type: 'nominal', title: null, sort: { field: 'id', op: 'min' }, axis: { labelLimit: 320, labelFontSize: 13, domain: false, ticks: false } },
        x: { field: 'share', type: 'quantitative', title: 'Share of customers', ...shareAxis(Math.max(...s.segments.map((g) => g.share))) },
      },
      layer: [
        { mark: { type: 'bar', cornerRadiusEnd: 3 }, encoding: { color: { field: 'segment', type: 'nominal', scale: { domain: s.segments.map((g) => g.name), range: s.segments.map((g) => segmentColor(g.id)) }, legend: null } } },
        { mark: { type: 'text', align: 'left', dx: 5, fontSize: 12 }, encoding: { text: { field: 'label' } } },
      ],
    },
  };
}
